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
    const app = withFairIntake(async () => new Response("ok", { headers: { "server-timing": 'rounds;desc="1"' } }), { yieldToRuntime: y.yieldToRuntime });
    const res = await app(req("/a"));
    expect(y.calls()).toBe(0);
    expect(res.headers.get("server-timing")).toBe('rounds;desc="1"');
  });

  it("makes a request that arrives while another runs wait for the runtime before it starts", async () => {
    const y = manualYield();
    const g = gatedApp();
    let clock = 1000;
    const app = withFairIntake(g.app, { yieldToRuntime: y.yieldToRuntime, now: () => clock });
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

  it("lets newcomers in without yielding for windowMs after a poll was seen, then yields again", async () => {
    const y = manualYield();
    const g = gatedApp();
    let clock = 0;
    const app = withFairIntake(g.app, { windowMs: 10, yieldToRuntime: y.yieldToRuntime, now: () => clock });
    const running = app(req("/running")); // keeps the isolate busy throughout
    const first = app(req("/first"));
    await settle();
    expect(y.calls()).toBe(1); // no poll seen yet: yields
    clock = 5;
    y.release(); // the runtime polled at 5
    await settle();
    clock = 15;
    const within = app(req("/within")); // 10 ms after the poll: still recent
    await settle();
    expect(y.calls()).toBe(0);
    expect(g.started).toEqual(["/running", "/first", "/within"]);
    clock = 16;
    const after = app(req("/after")); // 11 ms after it: yields again
    await settle();
    expect(y.calls()).toBe(1);
    expect(g.started).not.toContain("/after");
    y.release();
    await settle();
    for (const id of ["/running", "/first", "/within", "/after"]) g.finish(id);
    await Promise.all([running, first, within, after]);
  });

  it("with windowMs 0 makes every newcomer yield while others run", async () => {
    const y = manualYield();
    const g = gatedApp();
    const app = withFairIntake(g.app, { windowMs: 0, yieldToRuntime: y.yieldToRuntime, now: () => 0 });
    const running = app(req("/running"));
    const a = app(req("/a"));
    await settle();
    y.release();
    await settle();
    const b = app(req("/b"));
    await settle();
    expect(y.calls()).toBe(1);
    y.release();
    await settle();
    for (const id of ["/running", "/a", "/b"]) g.finish(id);
    await Promise.all([running, a, b]);
  });

  it("counts a request out when it fails, so the next lone request does not yield", async () => {
    const y = manualYield();
    let fail = true;
    const app = withFairIntake(async () => {
      if (fail) throw new Error("boom");
      return new Response("ok");
    }, { yieldToRuntime: y.yieldToRuntime });
    await expect(app(req("/a"))).rejects.toThrow("boom");
    fail = false;
    await app(req("/b"));
    expect(y.calls()).toBe(0);
  });

  it("keeps a response whose headers are immutable, without the timing", async () => {
    const y = manualYield();
    const g = gatedApp();
    const frozen = Response.redirect("http://ballot.test/elsewhere", 302); // a redirect's headers are immutable
    const app = withFairIntake(async (r) => (new URL(r.url).pathname === "/frozen" ? frozen : g.app(r)), { yieldToRuntime: y.yieldToRuntime });
    const first = app(req("/first"));
    const second = app(req("/frozen"));
    await settle();
    y.release();
    expect(await second).toBe(frozen);
    g.finish("/first");
    await first;
  });
});
