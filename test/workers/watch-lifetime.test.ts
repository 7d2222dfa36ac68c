import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_WATCH_MAX_STREAM_MS, loadConfig } from "../../src/config.js";
import type { Env } from "../../src/env.js";
import { serve } from "../../src/index.js";
import { BASE, call, freshKey, keyPath } from "./helpers.js";
import { movedClockApp } from "./moved-clock-app.js";
import { reader } from "./sse-reader.js";

// Every watch stream ends by its lifetime (src/http/stream-lifetime.ts), client or no client: the bound that holds
// when workerd reports no disconnect. Streams run on a clock the test moves.

const MAX = 60_000;
const paths = (label: string) => [`/v1/watch/${encodeURIComponent(freshKey(label))}`, `/v1/watch?prefix=${encodeURIComponent(`${freshKey(label)}/`)}`];

/** Reads a body to its end as workerd does for a client that has gone: every chunk taken, nothing cancelled. */
function drain(res: Response) {
  const state = { text: "", done: false };
  const r = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const chunk = await r.read();
      if (chunk.done) return void (state.done = true);
      state.text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  return state;
}

describe("watch stream lifetime", { timeout: 120_000 }, () => {
  it("a stream drained by a reader that never leaves (a client workerd lost) stops its reads and hint subscriptions at its lifetime", async () => {
    const { clock, advanceTo, app, reads, subscriptions } = movedClockApp({ maxStreamMs: MAX, random: () => 0 });
    for (const path of paths("life")) {
      clock.reset();
      const body = drain(await app(new Request(`${BASE}${path}`)));
      await advanceTo(MAX - 10_000);
      reads.count = 0;
      await advanceTo(MAX - 10);
      expect(reads.count, `${path}: reading before its lifetime`).toBeGreaterThan(0);
      expect(subscriptions.open, `${path}: subscribed before its lifetime`).toBe(1);
      expect(body.done, `${path}: open before its lifetime`).toBe(false);
      await advanceTo(MAX);
      await new Promise((r) => setTimeout(r, 50));
      expect(body.done, `${path}: ended at its lifetime`).toBe(true);
      expect(body.text).toMatch(/: reconnect: [^\n]*Last-Event-ID\n\n$/);
      expect(subscriptions.open, `${path}: subscriptions after`).toBe(0);
      reads.count = 0;
      await advanceTo(MAX + 300_000);
      expect(reads.count, `${path}: reads after its lifetime`).toBe(0);
    }
  });

  it("lifetimes are spread over the last tenth of the limit, never past it", async () => {
    for (const [random, endsBy] of [
      [0, MAX],
      [0.5, MAX * 0.95],
      [0.999_999, MAX * 0.9 + 10],
    ] as const) {
      const { advanceTo, app } = movedClockApp({ maxStreamMs: MAX, random: () => random });
      const body = drain(await app(new Request(`${BASE}${paths("spread")[0]}`)));
      await advanceTo(endsBy - 20);
      expect(body.done, `random ${random}: open at ${endsBy - 20} ms`).toBe(false);
      await advanceTo(endsBy);
      await new Promise((r) => setTimeout(r, 50));
      expect(body.done, `random ${random}: ended by ${endsBy} ms`).toBe(true);
    }
  });

  it("a reading client sees retry first, its events, then the closing comment and a clean end; resuming from the last id repeats nothing", async () => {
    const { clock, advanceTo, app } = movedClockApp({ maxStreamMs: MAX, random: () => 0 });
    const key = freshKey("life-read");
    const put = await call(keyPath(key), { method: "PUT", body: "v", headers: { "content-type": "text/plain" } });
    const version = ((await put.json()) as { version: number }).version;
    const s = reader(await app(new Request(`${BASE}/v1/watch/${encodeURIComponent(key)}`)));
    expect(await s.next()).toEqual({ comment: "watching", retry: "1000" });
    await advanceTo(100);
    const event = await s.event();
    expect(event).toMatchObject({ id: String(version), event: "put" });
    const rest: string[] = [];
    const collect = (async () => {
      for (;;) {
        const e = await s.next(60_000).catch((error: Error) => error.message);
        if (typeof e === "string") return void rest.push(e);
        rest.push(e.comment ?? JSON.stringify(e));
      }
    })();
    await advanceTo(MAX);
    await collect;
    expect(rest.slice(-2)).toEqual(["reconnect: this stream's time is up; resume with Last-Event-ID", "the stream ended"]);
    expect(rest.slice(0, -2).every((c) => c === "heartbeat")).toBe(true);
    clock.reset();
    const again = reader(await app(new Request(`${BASE}/v1/watch/${encodeURIComponent(key)}`, { headers: { "last-event-id": event.id! } })));
    expect((await again.next()).comment).toBe("watching");
    await advanceTo(6_000); // its first read and a recheck
    await expect(again.next(1_000)).rejects.toThrow("no event in time"); // nothing above the version it had
    await again.cancel();
  });

  it("BALLOT_WATCH_MAX_STREAM_MS: 10 minutes by default, checked, and what the Worker's streams live by", async () => {
    const vars = env as unknown as Env;
    expect(loadConfig(vars).watchMaxStreamMs).toBe(DEFAULT_WATCH_MAX_STREAM_MS);
    expect(DEFAULT_WATCH_MAX_STREAM_MS).toBe(600_000);
    expect(loadConfig({ ...vars, BALLOT_WATCH_MAX_STREAM_MS: "1000" }).watchMaxStreamMs).toBe(1000);
    for (const bad of ["999", "86400001", "1.5", "soon"]) {
      expect(() => loadConfig({ ...vars, BALLOT_WATCH_MAX_STREAM_MS: bad }), bad).toThrow(ConfigError);
    }
    // The real Worker on the real clock: a stream of a 1 s limit has ended within 1 s (plus slack).
    const worker = serve({ ...vars, BALLOT_WATCH_MAX_STREAM_MS: "1000" });
    for (const path of paths("life-worker")) {
      const started = Date.now();
      const body = drain(await worker(new Request(`${BASE}${path}`)));
      while (!body.done && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
      expect(body.done, path).toBe(true);
      expect(Date.now() - started, path).toBeGreaterThanOrEqual(900);
      expect(body.text, path).toMatch(/^: watching\nretry: 1000\n\n[\s\S]*: reconnect: /);
    }
  });
});
