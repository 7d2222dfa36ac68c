/**
 * Layout changes on the real Worker, objects and reconfigurer (issue 19): each runs under concurrent load whose
 * history the linearizability checker verifies, and what was written before (values, counters, tombstones, locks)
 * reads back the same after. The reconfigurer is the real Durable Object; its alarm runs the change's steps.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env.js";
import { serve } from "../../src/index.js";
import { reconfigurerObjectName } from "../../src/reconfigurer/reconfigurer-object.js";
import { acceptorObjectName, shardOf } from "../../src/cluster/placement.js";
import { createClient } from "../../src/client/index.js";
import { checkHistory, describeEvent } from "../lin/checker.js";
import { HistoryRecorder, type Op, type Result } from "../lin/history.js";
import { BASE, keyPath } from "./helpers.js";

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

interface LayoutView {
  epoch: number;
  vshards: number;
  groups: { id: number; acceptors: { name: string; locationHint: string | null }[] }[];
  change: null | { id: number; kind: string; state: string; step: string; vshardsDone: number; vshardsTotal: number; keysCopied: number; error?: string };
}

/** The real Worker (dev admin on) on a cluster of its own. */
function cluster(label: string, vars: Partial<Env> = {}) {
  const name = `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const app = serve({ ...(env as unknown as Env), DEV_ADMIN: "true", BALLOT_CLUSTER: name, ...vars });
  const fetch: Fetch = (path, init) => app(new Request(BASE + path, init));
  const layout = async (): Promise<LayoutView> => {
    const res = await fetch("/v1/admin/layout");
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as LayoutView;
  };
  const change = async (body: unknown): Promise<{ change: number; epoch: number }> => {
    const res = await fetch("/v1/admin/layout", { method: "POST", body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(202);
    return (await res.json()) as { change: number; epoch: number };
  };
  /** Polls until change `id` is done; fails on a failed change or after `timeoutMs`. */
  const done = async (id: number, timeoutMs = 90_000): Promise<LayoutView> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const view = await layout();
      if (view.change?.id === id && view.change.state === "done") return view;
      expect(view.change?.state, JSON.stringify(view.change)).not.toBe("failed");
      if (Date.now() > until) throw new Error(`change ${id} not done after ${timeoutMs} ms: ${JSON.stringify(view.change)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { name, app, fetch, layout, change, done };
}

/** What a key holds, as a client sees it. */
async function snapshot(fetch: Fetch, keys: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    keys.map(async (key) => {
      const res = await fetch(keyPath(key));
      out[key] = res.status === 200 ? `${res.headers.get("etag")} ${await res.text()}` : `${res.status}`;
    }),
  );
  return out;
}

/** The keys a listing of `prefix` shows (every page), or null when a page was 503 (a majority out of reach for a moment). */
async function listed(fetch: Fetch, prefix: string): Promise<string[] | null> {
  const keys: string[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await fetch(`/v1/keys?${new URLSearchParams({ prefix, limit: "1000", ...(after === null ? {} : { after }) })}`);
    if (res.status === 503) return null;
    expect(res.status, await res.clone().text()).toBe(200);
    const page = (await res.json()) as { keys: { key: string }[]; next: string | null };
    keys.push(...page.keys.map((k) => k.key));
    if (page.next === null) return keys;
    after = page.next;
  }
}

/**
 * `fetch`, sent again while the answer is 503: that answer means "not applied" (a deadline or admission refusal on a
 * loaded machine), so a client retries it, even an increment. Any other answer is returned as is.
 */
function retrying503(fetch: Fetch): Fetch {
  return async (path, init) => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(path, init);
      if (res.status !== 503 || attempt === 5) return res;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  };
}

/** Writes registers, counters, deleted keys and a lock, and returns how to read them all back. */
async function seed(direct: Fetch, prefix: string) {
  const fetch = retrying503(direct);
  const values = Array.from({ length: 60 }, (_, i) => `${prefix}/value-${i}`);
  const deleted = Array.from({ length: 20 }, (_, i) => `${prefix}/deleted-${i}`);
  const counters = Array.from({ length: 10 }, (_, i) => `${prefix}/counter-${i}`);
  for (const key of [...values, ...deleted]) expect((await fetch(keyPath(key), { method: "PUT", body: `v1 of ${key}` })).status).toBe(201);
  for (const key of values.slice(0, 20)) expect((await fetch(keyPath(key), { method: "PUT", body: `v2 of ${key}` })).status).toBe(200);
  for (const key of deleted) expect((await fetch(keyPath(key), { method: "DELETE" })).status).toBe(204);
  for (const key of counters) for (let i = 0; i < 3; i++) expect((await fetch(keyPath(key, "/increment"), { method: "POST", body: '{"by":1}' })).status).toBe(200);
  const lock = await fetch(`/v1/locks/${encodeURIComponent(`${prefix}/leader`)}/acquire`, { method: "POST", body: JSON.stringify({ owner: "a", ttlMs: 3_600_000 }) });
  expect(lock.status).toBe(200);
  const lease = (await lock.json()) as { owner: string; token: number };
  const keys = [...values, ...deleted, ...counters];
  const before = await snapshot(fetch, keys);
  return {
    deleted,
    /** Everything reads back as it was; the lock is still held with its token, and the next owner's token is higher. */
    async check(): Promise<void> {
      expect(await snapshot(fetch, keys)).toEqual(before);
      // A deleted key's next version continues above its old ones (versions never go back across a move).
      const recreated = await fetch(keyPath(deleted[0]!), { method: "PUT", body: "again" });
      expect(recreated.status).toBe(201);
      expect(Number(recreated.headers.get("etag")!.replaceAll('"', ""))).toBeGreaterThan(1);
      const held = await fetch(`/v1/locks/${encodeURIComponent(`${prefix}/leader`)}`);
      expect(held.status).toBe(200);
      expect(await held.json()).toMatchObject({ owner: "a", token: lease.token });
      const released = await fetch(`/v1/locks/${encodeURIComponent(`${prefix}/leader`)}/release`, { method: "POST", body: JSON.stringify({ owner: "a", token: lease.token }) });
      expect(released.status).toBe(204);
      const next = await fetch(`/v1/locks/${encodeURIComponent(`${prefix}/leader`)}/acquire`, { method: "POST", body: JSON.stringify({ owner: "b", ttlMs: 1000 }) });
      expect(next.status).toBe(200);
      expect(((await next.json()) as { token: number }).token).toBeGreaterThan(lease.token);
    },
  };
}

/**
 * Clients that read, write, compare-and-set and increment a few keys until `stop()`, recording every call and what
 * it answered (503: not applied; 504 or a transport error: unknown). `check()` runs the linearizability checker.
 */
function load(fetch: Fetch, prefix: string, clients = 6) {
  const history = new HistoryRecorder();
  const registers = Array.from({ length: 4 }, (_, i) => `${prefix}/reg-${i}`);
  const counters = Array.from({ length: 2 }, (_, i) => `${prefix}/count-${i}`);
  let running = true;
  let writes = 0;
  let answered = 0;
  const statuses = new Map<number, number>();
  const now = () => performance.now();

  const run = async (client: number) => {
    let n = 0;
    while (running) {
      n++;
      const counter = n % 4 === 0;
      const key = counter ? counters[n % counters.length]! : registers[(client + n) % registers.length]!;
      let op: Op;
      let init: RequestInit | undefined;
      let path = keyPath(key);
      if (counter) {
        op = n % 8 === 0 ? { kind: "read" } : { kind: "increment", by: 1 };
        if (op.kind === "increment") {
          path = keyPath(key, "/increment");
          init = { method: "POST", body: '{"by":1}' };
        }
      } else if (n % 3 === 0) {
        op = { kind: "read" };
      } else {
        const value = `c${client}-${n}`;
        const read = n % 3 === 2 ? await fetch(keyPath(key)) : null;
        const version = read?.status === 200 ? Number(read.headers.get("etag")!.replaceAll('"', "")) : null;
        await read?.arrayBuffer();
        op = version === null ? { kind: "write", value } : { kind: "cas", expect: version, value };
        init = { method: "PUT", body: value, headers: version === null ? {} : { "if-match": `"${version}"` } };
      }
      const id = history.invoke(key, client, op, now());
      try {
        const res = await fetch(path, init);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const result = await resultOf(op, res);
        if (result === "unknown") history.unknown(id, now());
        else history.complete(id, result, now());
        if (result !== "unknown") answered++;
        if (op.kind !== "read") writes++;
      } catch {
        history.unknown(id, now());
      }
    }
  };
  const clientsDone = Promise.all(Array.from({ length: clients }, (_, c) => run(c)));
  return {
    get answered() {
      return answered;
    },
    async stop(): Promise<{ events: number; writes: number; statuses: Record<number, number> }> {
      running = false;
      await clientsDone;
      const events = history.events();
      const verdict = checkHistory(events);
      if (verdict.ok === false) throw new Error(`not linearizable on ${verdict.key}: ${verdict.reason}\n${verdict.events.map(describeEvent).join("\n")}`);
      expect(verdict.ok).toBe(true);
      return { events: events.length, writes, statuses: Object.fromEntries(statuses) };
    },
  };
}

/** An HTTP answer as the checker's result, or "unknown" (503 is "not applied" and counts as nothing happening). */
async function resultOf(op: Op, res: Response): Promise<Result | "unknown"> {
  const version = () => Number(res.headers.get("etag")!.replaceAll('"', ""));
  if (res.status === 503 || res.status === 504) {
    await res.arrayBuffer();
    // 503 means definitely not applied; the checker's "unknown" allows that too, and a 504 may have been applied.
    return "unknown";
  }
  switch (op.kind) {
    case "read":
      if (res.status === 404) return (await res.arrayBuffer(), { found: false });
      expect(res.status).toBe(200);
      return { found: true, value: await res.text(), version: version() };
    case "increment": {
      expect(res.status).toBe(200);
      const body = (await res.json()) as { value: number; version: number };
      return { ok: true, value: body.value, version: body.version };
    }
    case "write":
    case "cas":
      if (res.status === 412) {
        const body = (await res.json()) as { error: { currentVersion: number | null } };
        return { ok: false, current: body.error.currentVersion };
      }
      expect([200, 201]).toContain(res.status);
      await res.arrayBuffer();
      return { ok: true, version: version() };
    default:
      throw new Error(`no such op ${op.kind}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("layout changes on workerd", () => {
  it("starts as the first layout: 16 groups of today's objects in epoch 1, written to the config register", async () => {
    const c = cluster("first");
    const view = await c.layout();
    expect(view.epoch).toBe(1);
    expect(view.vshards).toBe(4096);
    expect(view.change).toBeNull();
    expect(view.groups.map((g) => g.id)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(view.groups[3]!.acceptors).toEqual([
      { name: `${c.name}/shard-3/acceptor-0`, locationHint: "wnam" },
      { name: `${c.name}/shard-3/acceptor-1`, locationHint: "enam" },
      { name: `${c.name}/shard-3/acceptor-2`, locationHint: "weur" },
    ]);
  });

  it("a cluster written before layouts keeps its data with no step: its objects are the first layout's groups", async () => {
    // Write a key the way a Worker from before layouts did: straight to its shard's objects with the old RPC and the
    // layout string they check, no epoch, no config register.
    const c = cluster("upgrade");
    const e = env as unknown as Env;
    const key = "written-before-layouts";
    const shard = shardOf(key);
    const ballot = { counter: 7, proposer: "old-worker" };
    const state = { version: 1, value: new TextEncoder().encode("kept"), contentType: "text/plain", origin: "old-request" };
    for (let i = 0; i < 3; i++) {
      const stub = e.ACCEPTOR.get(e.ACCEPTOR.idFromName(acceptorObjectName(c.name, shard, i)));
      const layout = "ballot-v1 acceptors=3 shards=16";
      expect(await stub.handle(layout, [{ type: "prepare", key, ballot }])).toMatchObject([{ type: "promised" }]);
      expect(await stub.handle(layout, [{ type: "accept", key, ballot, state }])).toEqual([{ type: "accepted" }]);
    }
    // The new Worker (its first request reads the never-written config register and writes the first layout).
    const res = await c.fetch(keyPath(key));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("kept");
    expect((await c.fetch(keyPath(key), { method: "PUT", body: "changed", headers: { "if-match": '"1"' } })).status).toBe(200);
    expect((await c.layout()).epoch).toBe(1);
  });

  it("refuses bad changes with 400 and a second change with 409, and changes nothing", async () => {
    const c = cluster("refuse");
    for (const [body, code, message] of [
      ["{", "invalid_json", /JSON/],
      [{}, "invalid_argument", /exactly one of "groups", "acceptors" or "replace"/],
      [{ groups: 0 }, "invalid_argument", /"groups" must be a positive integer/],
      [{ groups: 5000 }, "invalid_request", /groups must be an integer from 1 to 4096/],
      [{ groups: 1000 }, "invalid_request", /3000 acceptor objects, more than the 2000 a layout may have: local workerd keeps only about 2,500/],
      [{ acceptors: 4 }, "invalid_argument", /"acceptors" must be 3, 5 or 7/],
      [{ acceptors: 3, locationHints: ["wnam", "enam", "mars"] }, "invalid_argument", /unknown location hint "mars"/],
      [{ replace: { group: 99, index: 0 } }, "invalid_request", /there is no group 99/],
      [{ groups: 16 }, "invalid_request", /nothing to change/],
    ] as const) {
      const res = await c.fetch("/v1/admin/layout", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code, JSON.stringify(body)).toBe(code);
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await c.layout()).epoch).toBe(1);
    const started = await c.change({ replace: { group: 0, index: 1 } });
    const second = await c.fetch("/v1/admin/layout", { method: "POST", body: JSON.stringify({ groups: 32 }) });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe("change_in_progress");
    await c.done(started.change);
  });

  it("splits 16 groups into 32 under concurrent load: linearizable throughout, everything written before reads back", async () => {
    const c = cluster("split");
    const before = await seed(c.fetch, "s");
    // A second Worker isolate that read the layout before the change and will not hear of it otherwise.
    const stale = serve({ ...(env as unknown as Env), DEV_ADMIN: "true", BALLOT_CLUSTER: c.name });
    const staleFetch: Fetch = (path, init) => stale(new Request(BASE + path, init));
    const values = Array.from({ length: 60 }, (_, i) => `s/value-${i}`).sort();
    expect(await listed(staleFetch, "s/value-")).toEqual(values);
    const traffic = load(c.fetch, "s-load");
    await sleep(200);
    const started = await c.change({ groups: 32 });
    expect(started.epoch).toBe(2);
    // Listings during the change (joint pairs, then the final epoch) list every key that exists throughout.
    let listing = true;
    const listings = (async () => {
      let complete = 0;
      while (listing) {
        const keys = await listed(c.fetch, "s/value-");
        if (keys !== null) {
          expect(keys).toEqual(values);
          complete++;
        }
        await sleep(50);
      }
      return complete;
    })();
    const view = await c.done(started.change);
    listing = false;
    expect(await listings).toBeGreaterThan(0);
    const answeredDuring = traffic.answered;
    await sleep(200);
    const run = await traffic.stop();
    expect(view.groups.length).toBe(32);
    expect(view.change).toMatchObject({ kind: "groups", state: "done", step: "done" });
    expect(view.change!.vshardsDone).toBe(view.change!.vshardsTotal);
    expect(view.change!.keysCopied).toBeGreaterThan(0);
    // The load kept being served while the change ran.
    expect(answeredDuring).toBeGreaterThan(20);
    expect(run.writes).toBeGreaterThan(20);
    await before.check();
    // Garbage collection after the move: the collectors of the new layout's groups free the moved tombstones, and
    // a recreated key still continues above its old versions (the floors moved with the keys).
    const collected = (await (await c.fetch("/v1/admin/collect?all=true", { method: "POST" })).json()) as { collected: number; retry: number };
    expect(collected.retry).toBe(0);
    expect(collected.collected).toBeGreaterThanOrEqual(before.deleted.length - 1);
    for (const key of before.deleted.slice(1)) {
      const slots = (await (await c.fetch(`/v1/admin/keys/${encodeURIComponent(key)}`)).json()) as { acceptors: { present: boolean }[] };
      expect(slots.acceptors.map((a) => a.present), key).toEqual([false, false, false]);
    }
    const recreated = await c.fetch(keyPath(before.deleted[1]!), { method: "PUT", body: "back" });
    expect(recreated.status).toBe(201);
    expect(Number(recreated.headers.get("etag")!.replaceAll('"', ""))).toBeGreaterThan(2);
    // Health probes the layout's groups.
    const health = (await (await c.fetch("/v1/health")).json()) as { status: string; shards: { shard: number; acceptors: unknown[] }[] };
    expect(health.status).toBe("ok");
    expect(health.shards.map((s) => s.shard)).toEqual(view.groups.map((g) => g.id));
    // New groups hold keys now: some key of the seed lives on an object the first layout did not have.
    const fresh = view.groups.filter((g) => g.id >= 16);
    expect(fresh.length).toBe(16);
    expect(fresh[0]!.acceptors[0]!.name).toMatch(new RegExp(`^${c.name}/change-${started.change}/group-\\d+/acceptor-0$`));
    // Keys written after the change, many on the new groups: the stale isolate lists them all (its scan of the old
    // groups shows a newer epoch, so it reloads the layout and scans the new groups too).
    const added = Array.from({ length: 30 }, (_, i) => `s/after-${String(i).padStart(2, "0")}`);
    for (const key of added) expect((await c.fetch(keyPath(key), { method: "PUT", body: "x" })).status).toBe(201);
    expect(await listed(staleFetch, "s/after-")).toEqual(added);
  }, 180_000);

  it("replaces an acceptor while another of its group is slow, then grows N from 3 to 5 and back to 3", async () => {
    const c = cluster("members");
    const before = await seed(c.fetch, "m");
    // Acceptor 2 of every group answers 150 ms late (on the Worker's calls): changes and load proceed at majorities.
    expect((await c.fetch("/v1/admin/faults", { method: "POST", body: JSON.stringify({ acceptor: 2, mode: "slow", ms: 150 }) })).status).toBe(200);
    const traffic = load(c.fetch, "m-load", 4);
    const replaced = await c.change({ replace: { group: 5, index: 1, locationHint: "eeur" } });
    let view = await c.done(replaced.change);
    const group5 = view.groups.filter((g) => g.acceptors.some((a) => a.name.includes(`/change-${replaced.change}/`)));
    expect(group5).toHaveLength(1);
    expect(group5[0]!.acceptors[1]).toMatchObject({ locationHint: "eeur" });
    expect(group5[0]!.acceptors[0]!.name).toBe(`${c.name}/shard-5/acceptor-0`);
    expect(view.groups.some((g) => g.id === 5)).toBe(false);

    const grown = await c.change({ acceptors: 5, locationHints: ["wnam", "enam", "weur", "eeur", "apac"] });
    view = await c.done(grown.change);
    expect(view.groups.every((g) => g.acceptors.length === 5)).toBe(true);
    const health = (await (await c.fetch("/v1/health")).json()) as { shards: { acceptors: { locationHint: string | null }[] }[] };
    expect(health.shards.every((s) => s.acceptors.map((a) => a.locationHint).join() === "wnam,enam,weur,eeur,apac")).toBe(true);
    const shrunk = await c.change({ acceptors: 3, locationHints: ["wnam", "enam", "weur"] });
    view = await c.done(shrunk.change);
    expect(view.groups.every((g) => g.acceptors.length === 3)).toBe(true);
    expect(view.epoch).toBe(1 + 3 * 2);
    expect((await c.fetch("/v1/admin/faults", { method: "DELETE" })).status).toBe(200);
    const run = await traffic.stop();
    expect(run.writes).toBeGreaterThan(10);
    await before.check();
  }, 240_000);

  it("the typed client shows the layout, starts a change, waits for it, and gets the server's refusals as errors", async () => {
    const c = cluster("client");
    const client = createClient({ baseUrl: BASE, fetch: (input, init) => c.app(new Request(input, init)) });
    expect((await client.layout()).groups).toHaveLength(16);
    await expect(client.changeLayout({ groups: 0 })).rejects.toMatchObject({ status: 400 });
    const started = await client.changeLayout({ replace: { group: 2, index: 0 } });
    await expect(client.changeLayout({ groups: 20 })).rejects.toMatchObject({ status: 409 });
    const steps: string[] = [];
    const finished = await client.waitForLayoutChange(started.change, { pollMs: 50, onProgress: (change) => steps.push(change.step) });
    expect(finished).toMatchObject({ id: started.change, kind: "replace", state: "done" });
    expect(steps.at(-1)).toBe("done");
  }, 60_000);

  it("a reconfigurer that crashes mid-catch-up resumes from the config register and finishes", async () => {
    const c = cluster("crash");
    const before = await seed(c.fetch, "x");
    const traffic = load(c.fetch, "x-load", 4);
    const started = await c.change({ groups: 24 });
    // Wait until the catch-up is under way, then crash the reconfigurer object (as an eviction or a deploy would).
    const until = Date.now() + 60_000;
    let seen: LayoutView["change"] = null;
    while (Date.now() < until) {
      seen = (await c.layout()).change;
      if (seen?.step === "catch-up" || seen?.state === "done") break;
      await sleep(20);
    }
    expect(seen?.step, JSON.stringify(seen)).toBe("catch-up");
    // A stub that met the crash stays broken: a fresh one per call.
    const e = env as unknown as Env;
    const reconfigurer = () => e.RECONFIGURER.get(e.RECONFIGURER.idFromName(reconfigurerObjectName(c.name)));
    const instance = await reconfigurer().instance();
    const stepsBefore = seen!.vshardsDone;
    expect((await c.fetch("/v1/admin/reconfigurer/restart", { method: "POST" })).status).toBe(200);
    const view = await c.done(started.change);
    expect(await reconfigurer().instance()).not.toBe(instance);
    expect(view.change!.vshardsDone).toBeGreaterThan(stepsBefore);
    expect(view.groups.length).toBe(24);
    await traffic.stop();
    await before.check();
  }, 180_000);
});
