import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { systemClock } from "../../src/cluster/runtime.js";
import { publishingChanges } from "../../src/core/watch/hints.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { HUB_RETRY_MS, hubHints, hubPublisher, hubStub } from "../../src/watch/hub-hints.js";
import { HUB_COUNT, hubObjectName, hubOf, type WatchHub } from "../../src/watch/watch-hub.js";
import { BASE, call, freshKey, keyPath } from "./helpers.js";

// The watch hubs (src/watch): the proposer that chose a change publishes a hint to the key's hub, which relays it to
// the Workers holding watchers' sockets. Hints only make a watcher read sooner; its rechecks bound a lost one.

const e = env as unknown as Env;
const config = loadConfig(e);

const put = async (key: string, value: string) => {
  const res = await call(keyPath(key), { method: "PUT", body: value, headers: { "content-type": "text/plain" } });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { version: number }).version;
};

/** An app of its own (another "isolate"): its waiters hear only what `hints` says, and recheck every `recheckMs`. */
function waiterApp(hints: Parameters<typeof createApp>[0]["waiting"] extends infer W ? (W extends { hints: infer H } ? H : never) : never, recheckMs: number) {
  const proposer = createWorkerProposer(e, config);
  return createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, waiting: { hints, clock: systemClock, recheckMs } });
}

const unreachable = {
  idFromName: () => {
    throw new Error("hub unreachable (test)");
  },
} as unknown as DurableObjectNamespace<WatchHub>;

describe("watch hubs", { timeout: 40_000 }, () => {
  it("a waiter in another isolate is woken through the hub, long before its recheck", async () => {
    const key = freshKey("hub-wake");
    const v = await put(key, "one");
    const app = waiterApp(hubHints(e.WATCH_HUB, config.cluster), 120_000);
    const started = Date.now();
    const waiting = app(new Request(`${BASE}${keyPath(key)}?wait=${v}&timeout=60`));
    // Until the hub holds the watcher's socket, a PUT's hint would find nobody to tell.
    const hub = hubStub(e.WATCH_HUB, config.cluster, key);
    for (let i = 0; i < 100 && (await hub.watchers()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await hub.watchers()).toBeGreaterThan(0);
    await put(key, "two"); // through the Worker: its proposer publishes to the hub
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("two");
    expect(Date.now() - started).toBeLessThan(30_000); // the recheck would take 120 s
  });

  it("the hub tells only the key's watchers, and forgets a watcher whose request ended", async () => {
    const key = freshKey("hub-only");
    const hub = hubStub(e.WATCH_HUB, config.cluster, key);
    expect(await hub.publish(key, 1)).toBe(0);
    const seen: number[] = [];
    const stop = hubHints(e.WATCH_HUB, config.cluster).subscribe(key, (v) => seen.push(v));
    for (let i = 0; i < 100 && (await hub.watchers()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await hub.publish(`${key}-other`, 5)).toBe(0);
    expect(await hub.publish(key, 7)).toBe(1);
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([7]);
    stop();
    for (let i = 0; i < 100 && (await hub.publish(key, 8)) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await hub.publish(key, 9)).toBe(0);
  });

  it("an unreachable hub is only lost hints: the PUT succeeds (logged), and a waiter is answered by its recheck", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const proposer = createWorkerProposer(e, config);
      const background: Promise<unknown>[] = [];
      const registers = publishingChanges(proposer.registers, hubPublisher(unreachable, config.cluster, (p) => background.push(p)));
      const writer = createApp({ registers, maxValueBytes: config.maxValueBytes });
      const key = freshKey("hub-down");
      const first = await writer(new Request(`${BASE}${keyPath(key)}`, { method: "PUT", body: "a" }));
      expect(first.status).toBe(201);
      await Promise.all(background);
      expect(errors.mock.calls.some(([line]) => String(line).includes("watch hint lost"))).toBe(true);

      const app = waiterApp(hubHints(unreachable, config.cluster), 500);
      const waiting = app(new Request(`${BASE}${keyPath(key)}?wait=1&timeout=60`));
      await new Promise((r) => setTimeout(r, 100));
      expect((await writer(new Request(`${BASE}${keyPath(key)}`, { method: "PUT", body: "b" }))).status).toBe(200);
      const res = await waiting;
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("b");
      expect(errors.mock.calls.some(([line]) => String(line).includes("watch hub unreachable"))).toBe(true);
    } finally {
      errors.mockRestore();
    }
  });

  it("a prefix subscription hears every hub, of keys under its prefix only", async () => {
    const prefix = `${freshKey("hub-prefix")}/`;
    const seen: string[] = [];
    const stop = hubHints(e.WATCH_HUB, config.cluster).subscribePrefix(prefix, (key, version) => seen.push(`${key}@${version}`));
    const hubs = Array.from({ length: HUB_COUNT }, (_, i) => e.WATCH_HUB.get(e.WATCH_HUB.idFromName(hubObjectName(config.cluster, i))));
    for (let i = 0; i < 200 && (await Promise.all(hubs.map((h) => h.watchers()))).some((n) => n === 0); i++) await new Promise((r) => setTimeout(r, 25));
    // Keys under the prefix that land on different hubs, and one beside the prefix.
    const keys = Array.from({ length: 40 }, (_, i) => `${prefix}k${i}`);
    const onHubs = new Set(keys.map(hubOf));
    expect(onHubs.size).toBeGreaterThan(8);
    for (const key of keys) expect(await hubStub(e.WATCH_HUB, config.cluster, key).publish(key, 3)).toBeGreaterThanOrEqual(1);
    const beside = `${prefix.slice(0, -1)}x`;
    await hubStub(e.WATCH_HUB, config.cluster, beside).publish(beside, 3);
    for (let i = 0; i < 100 && seen.length < keys.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.sort()).toEqual(keys.map((k) => `${k}@3`).sort());
    stop();
  });

  it("a socket the hub drops is reopened, and hints flow again", async () => {
    const key = freshKey("hub-reopen");
    const hub = hubStub(e.WATCH_HUB, config.cluster, key);
    const seen: number[] = [];
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const stop = hubHints(e.WATCH_HUB, config.cluster).subscribe(key, (v) => seen.push(v));
    try {
      for (let i = 0; i < 100 && (await hub.watchers()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await hub.publish(key, 1)).toBe(1);
      // The hub restarts (an eviction or a deploy): every socket it held closes.
      await runInDurableObject(hub, async (_instance, state) => {
        for (const ws of state.getWebSockets()) ws.close(1012, "restarting");
      });
      for (let i = 0; i < 200 && (await hub.publish(key, 2)) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      for (let i = 0; i < 100 && !seen.includes(2); i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toContain(2);
      expect(errors.mock.calls.some(([line]) => String(line).includes("watch hub unreachable"))).toBe(true);
      expect(HUB_RETRY_MS.first).toBeLessThan(5000);
    } finally {
      stop();
      errors.mockRestore();
    }
  });
});
