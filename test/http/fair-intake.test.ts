import { describe, expect, it } from "vitest";
import { withFairIntake } from "../../src/http/fair-intake.js";

/** A yield the test releases by hand, counting how often it was asked for. */
function manualYield() {
  const pending: (() => void)[] = [];
  return {
    calls: () => pending.length,
    release: () => pending.splice(0).forEach((resolve) => resolve()),
    yieldToRuntime: () => new Promise<void>((resolve) => pending.push(resolve)),
  };
}

/** An app whose requests finish when the test says so, recording the order in which they started. */
function gatedApp() {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const app = async (request: Request) => {
    const id = new URL(request.url).pathname;
    started.push(id);
    await new Promise<void>((resolve) => finish.set(id, resolve));
    return new Response(id, { headers: { "server-timing": 'rounds;desc="1"' } });
  };
  return { app, started, finish: (id: string) => finish.get(id)?.() };
}

const req = (id: string) => new Request(`http://ballot.test${id}`);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("fair intake", () => {
  it("runs a lone request at once, without yielding or an intake timing", async () => {
    const y = manualYield();
    const app = withFairIntake(async () => new Response("ok", { headers: { "server-timing": 'rounds;desc="1"' } }), y.yieldToRuntime);
    const res = await app(req("/a"));
    expect(y.calls()).toBe(0);
    expect(res.headers.get("server-timing")).toBe('rounds;desc="1"');
  });

  it("makes a request that arrives while another runs wait for the runtime before it starts", async () => {
    const y = manualYield();
    const g = gatedApp();
    let clock = 1000;
    const app = withFairIntake(g.app, y.yieldToRuntime, () => clock);
    const first = app(req("/first"));
    const second = app(req("/second"));
    await settle();
    expect(g.started).toEqual(["/first"]);
    expect(y.calls()).toBe(1);
    clock += 25;
    y.release();
    await settle();
    expect(g.started).toEqual(["/first", "/second"]);
    g.finish("/first");
    g.finish("/second");
    expect((await first).headers.get("server-timing")).toBe('rounds;desc="1"');
    expect((await second).headers.get("server-timing")).toMatch(/rounds;desc="1",\s*intake;dur=25$/);
  });

  it("counts a request out when it fails, so the next lone request does not yield", async () => {
    const y = manualYield();
    let fail = true;
    const app = withFairIntake(async () => {
      if (fail) throw new Error("boom");
      return new Response("ok");
    }, y.yieldToRuntime);
    await expect(app(req("/a"))).rejects.toThrow("boom");
    fail = false;
    await app(req("/b"));
    expect(y.calls()).toBe(0);
  });

  it("keeps a response whose headers are immutable, without the timing", async () => {
    const y = manualYield();
    const g = gatedApp();
    const frozen = Response.redirect("http://ballot.test/elsewhere", 302); // a redirect's headers are immutable
    const app = withFairIntake(async (r) => (new URL(r.url).pathname === "/frozen" ? frozen : g.app(r)), y.yieldToRuntime);
    const first = app(req("/first"));
    const second = app(req("/frozen"));
    await settle();
    y.release();
    expect(await second).toBe(frozen);
    g.finish("/first");
    await first;
  });
});
