import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { systemClock } from "../../src/cluster/runtime.js";
import type { HintSource } from "../../src/core/watch/hints.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { MAX_EXACT_BYTES } from "../../src/http/resume-id.js";
import { watchPrefixRoutes } from "../../src/http/watch-prefix.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { BASE, call, errorOf, freshKey, keyPath } from "./helpers.js";
import { movedClockApp } from "./moved-clock-app.js";
import { reader, type Sse } from "./sse-reader.js";

// GET /v1/watch?prefix=P: every key under a prefix as a text/event-stream (src/http/watch-prefix.ts). Timings only
// with generous bounds.

const put = async (key: string, value: string) => {
  const res = await call(keyPath(key), { method: "PUT", body: value, headers: { "content-type": "text/plain" } });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { version: number }).version;
};
const watchPath = (prefix: string, since?: string) => `/v1/watch?${new URLSearchParams({ prefix, ...(since === undefined ? {} : { since }) })}`;
const summary = (e: Sse) => (e.event === "synced" ? `synced ${(e.data as { keys: number }).keys}` : `${e.event} ${String(e.data?.key)}@${String(e.data?.version)}`);

/** Events until (and with) the first `synced`. */
async function untilSynced(s: ReturnType<typeof reader>): Promise<Sse[]> {
  const seen: Sse[] = [];
  for (;;) {
    const e = await s.event();
    seen.push(e);
    if (e.event === "synced") return seen;
  }
}

describe("GET /v1/watch?prefix=", { timeout: 90_000 }, () => {
  it("sends every live key under the prefix, then synced, then each change; nothing from beside the prefix", async () => {
    const prefix = `${freshKey("wp")}/`;
    const a = await put(`${prefix}a`, "1");
    await put(`${prefix}gone`, "x");
    expect((await call(keyPath(`${prefix}gone`), { method: "DELETE" })).status).toBe(204);
    await put(`${prefix.slice(0, -1)}-beside`, "no");
    const res = await call(watchPath(prefix));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const s = reader(res);
    expect((await s.next()).comment).toBe("watching");
    const first = await untilSynced(s);
    expect(first.map(summary)).toEqual([`put ${prefix}a@${a}`, "synced 1"]);
    expect(first[0]!.data).toEqual({ key: `${prefix}a`, version: a, contentType: "text/plain", value: "1" });
    const b = await put(`${prefix}b`, "2");
    expect(summary(await s.event())).toBe(`put ${prefix}b@${b}`);
    expect((await call(keyPath(`${prefix}a`), { method: "DELETE" })).status).toBe(204);
    expect(summary(await s.event())).toBe(`delete ${prefix}a@${a + 1}`);
    await put(`${prefix.slice(0, -1)}-beside`, "still no");
    const c = await put(`${prefix}c`, "3");
    expect(summary(await s.event())).toBe(`put ${prefix}c@${c}`);
    await s.cancel();
  });

  it("resumes from any event's id: only newer states, and a delete of a key it held; no repeats", async () => {
    const prefix = `${freshKey("wr")}/`;
    await put(`${prefix}keep`, "k");
    await put(`${prefix}change`, "c1");
    await put(`${prefix}drop`, "d");
    const s = reader(await call(watchPath(prefix)));
    const first = await untilSynced(s);
    const id = first.at(-1)!.id!;
    expect(id).toMatch(/^w1\./);
    await s.cancel();
    const changed = await put(`${prefix}change`, "c2");
    expect((await call(keyPath(`${prefix}drop`), { method: "DELETE" })).status).toBe(204);
    const fresh = await put(`${prefix}new`, "n");
    for (const resumed of [await call(watchPath(prefix), { headers: { "last-event-id": id } }), await call(watchPath(prefix, id))]) {
      expect(resumed.status).toBe(200);
      const r = reader(resumed);
      const again = (await untilSynced(r)).map(summary);
      expect(again.slice(0, -1).sort()).toEqual([`delete ${prefix}drop@2`, `put ${prefix}change@${changed}`, `put ${prefix}new@${fresh}`].sort());
      expect(again.at(-1)).toBe("synced 3");
      await r.cancel();
    }
  });

  it("past the bytes an id holds, the id says reset: a stream resumed from it starts with reset and every key again", async () => {
    const prefix = `${freshKey("wz")}/`;
    const long = "x".repeat(90);
    const count = Math.ceil(MAX_EXACT_BYTES / long.length) + 2;
    await Promise.all(Array.from({ length: count }, (_, i) => put(`${prefix}${long}${i}`, "v")));
    const s = reader(await call(watchPath(prefix)));
    const first = await untilSynced(s);
    expect(first).toHaveLength(count + 1);
    const id = first.at(-1)!.id!;
    expect(id).toMatch(/\.reset$/);
    expect(first[0]!.id).not.toMatch(/\.reset$/); // a short one while it held few keys
    await s.cancel();
    const r = reader(await call(watchPath(prefix), { headers: { "last-event-id": id } }));
    expect((await r.event()).event).toBe("reset");
    expect((await untilSynced(r)).at(-1)!.data).toEqual({ keys: count });
    await r.cancel();
  });

  it("a lost hint still arrives: a watcher whose hints never come sees a PUT by its next pass", async () => {
    const config = loadConfig(env as unknown as Env);
    const proposer = createWorkerProposer(env as unknown as Env, config);
    const deaf: HintSource = { subscribe: () => () => {}, subscribePrefix: () => () => {} };
    const routes = watchPrefixRoutes(proposer.registers, { hints: deaf, clock: systemClock, recheckMs: 500, scanVersions: proposer.scanVersions });
    const app = createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, routes });
    const prefix = `${freshKey("wl")}/`;
    const s = reader(await app(new Request(`${BASE}${watchPath(prefix)}`)));
    expect((await untilSynced(s)).map(summary)).toEqual(["synced 0"]);
    const v = await put(`${prefix}late`, "v");
    const started = Date.now();
    expect(summary(await s.event())).toBe(`put ${prefix}late@${v}`);
    expect(Date.now() - started).toBeLessThan(10_000);
    await s.cancel();
  });

  it("both streams send a heartbeat comment at least every 15 s (on a clock the test moves)", async () => {
    const { clock, advanceTo, app } = movedClockApp();
    for (const path of [`/v1/watch/${encodeURIComponent(freshKey("hb"))}`, watchPath(`${freshKey("hb")}/`)]) {
      clock.reset();
      const s = reader(await app(new Request(`${BASE}${path}`)));
      expect((await s.next()).comment).toBe("watching");
      const comments: string[] = [];
      const collect = (async () => {
        for (;;) {
          const e = await s.next(60_000).catch(() => null);
          if (e === null) return;
          if (e.comment !== undefined) comments.push(e.comment);
        }
      })();
      for (const at of [14_000, 15_000, 29_000, 30_000]) {
        await advanceTo(at);
        await new Promise((r) => setTimeout(r, 50));
        expect(comments.filter((c) => c === "heartbeat").length, `${path} at ${at} ms`).toBe(Math.floor(at / 15_000));
      }
      await s.cancel();
      await collect;
    }
  });

  it("a stream whose client left stops its work: when the request's signal aborts, or when nothing is read for two heartbeats", async () => {
    const { clock, advanceTo, app, reads } = movedClockApp();
    const key = freshKey("left");
    for (const leave of ["abort", "never read"] as const) {
      for (const path of [`/v1/watch/${encodeURIComponent(key)}`, watchPath(`${key}/`)]) {
        clock.reset();
        const abort = new AbortController();
        const res = await app(new Request(`${BASE}${path}`, { signal: abort.signal }));
        expect(res.status).toBe(200);
        await advanceTo(20_000);
        expect(reads.count, `${leave} ${path}: working`).toBeGreaterThan(0);
        if (leave === "abort") abort.abort();
        // Never read: two heartbeats (15 s each) without a chunk taken end it.
        await advanceTo(leave === "abort" ? 21_000 : 50_000);
        reads.count = 0;
        await advanceTo(leave === "abort" ? 200_000 : 230_000);
        expect(reads.count, `${leave} ${path}: reads after the client left`).toBe(0);
        await res.body?.cancel().catch(() => {});
      }
    }
  });

  it("refuses a missing or bad prefix, a resume id that is not one or is another prefix's, and unknown parameters", async () => {
    const prefix = `${freshKey("wb")}/`;
    const s = reader(await call(watchPath(prefix)));
    const id = (await untilSynced(s)).at(-1)!.id!;
    await s.cancel();
    const cases: [string, RequestInit | undefined, RegExp][] = [
      ["/v1/watch", undefined, /prefix/],
      [`/v1/watch?prefix=${encodeURIComponent("a\u0001")}`, undefined, /control character/],
      [watchPath(prefix, "nonsense"), undefined, /is not one/],
      [watchPath(prefix, "w1.abc.%%%"), undefined, /another prefix|is not one/],
      [watchPath("other/", id), undefined, /another prefix/],
      [watchPath(prefix), { headers: { "last-event-id": "7" } }, /is not one/],
      [`${watchPath(prefix)}&sice=1`, undefined, /sice|unrecognized|unknown/i],
      [`${watchPath(prefix)}&prefix=b`, undefined, /more than once/],
    ];
    for (const [path, init, message] of cases) {
      const res = await call(path, init);
      expect(res.status, path).toBe(400);
      const error = await errorOf(res);
      expect(error.code, path).toBe("invalid_argument");
      expect(error.message, path).toMatch(message);
    }
  });
});
