import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { handleRequest } from "../../../src/core/acceptor.js";
import { listKeys, type ListOptions, type ListingPorts, type ScanGroup } from "../../../src/core/listing/list-keys.js";
import { compareKeys } from "../../../src/core/listing/key-order.js";
import type { AcceptorReply, Scan } from "../../../src/core/messages.js";
import type { Clock } from "../../../src/core/ports.js";
import type { Outcome, RoundStats } from "../../../src/core/proposer.js";
import { MajorityConfig } from "../../../src/core/quorum/majority.js";
import type { Register } from "../../../src/core/register.js";
import { MemoryStore } from "../memory-store.js";

const stats: RoundStats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: "peek" };
/** Virtual time: a timer fires after the pending replies (which come at once), moving time by its delay unless cancelled. */
let time = 0;
const clock: Clock = {
  now: () => time,
  timer: (ms) => {
    let cancelled = false;
    const fired = new Promise<void>((resolve) =>
      setTimeout(() => {
        if (cancelled) return;
        time += ms;
        resolve();
      }, 0),
    );
    return { fired, cancel: () => (cancelled = true) };
  },
};
const live = (version: number): Register => ({ version, value: new TextEncoder().encode(`v${version}`), contentType: "text/plain", origin: "o" });
const tomb = (version: number): Register => ({ version, value: null, contentType: "", origin: "o" });

/** A cluster of groups of 3 in-memory acceptors, and the chosen state of each key (what a linearizable read answers). */
class FakeCluster {
  readonly stores: MemoryStore[][];
  readonly chosen = new Map<string, Register>();
  readonly down = new Set<string>();
  scans = 0;
  reads = 0;
  /** The layout the lister holds: its epoch, and how many of the groups it knows (a stale one knows fewer). */
  epoch = 1;
  known: number;
  /** What a reload finds. */
  latest: { epoch: number; known: number } | null = null;

  constructor(groups: number) {
    this.stores = Array.from({ length: groups }, () => [new MemoryStore(), new MemoryStore(), new MemoryStore()]);
    this.known = groups;
  }

  groupOf(key: string): number {
    let h = 0;
    for (const c of key) h = (h * 31 + (c.codePointAt(0) as number)) >>> 0;
    return h % this.stores.length;
  }

  /** A chosen state: on a majority (acceptors 0 and 1) of the key's group. */
  put(key: string, state: Register, on: readonly number[] = [0, 1], group = this.groupOf(key)): void {
    if (on.length >= 2) this.chosen.set(key, state);
    for (const i of on) this.stores[group]![i]!.slots.set(key, { promised: null, accepted: { counter: 1, proposer: "p" }, state });
  }

  ports(): ListingPorts {
    const groups: ScanGroup[] = this.stores.map((members, g) => ({
      quorum: new MajorityConfig([0, 1, 2]),
      send: async (id: number, request: Scan): Promise<AcceptorReply> => {
        this.scans++;
        if (this.down.has(`${g}/${id}`)) throw new Error("down");
        return handleRequest(members[id]!, request);
      },
    }));
    return {
      groups: () => ({ epoch: this.epoch, groups: groups.slice(0, this.known) }),
      refresh: async () => {
        if (this.latest !== null) ({ epoch: this.epoch, known: this.known } = this.latest);
      },
      read: async (key): Promise<Outcome> => {
        this.reads++;
        return { kind: "applied", state: this.chosen.get(key) ?? null, previous: null, stats };
      },
      clock,
    };
  }
}

const options = (o: Partial<ListOptions> = {}): ListOptions => ({
  prefixes: [""],
  after: null,
  limit: 100,
  roundTimeoutMs: 1000,
  deadlineMs: 20_000,
  budgetMs: 10_000,
  maxSteps: 8,
  readConcurrency: 8,
  ...o,
});

async function listAll(cluster: FakeCluster, o: Partial<ListOptions>): Promise<string[]> {
  const keys: string[] = [];
  let after: string | null = o.after ?? null;
  for (let page = 0; page < 1000; page++) {
    const result = await listKeys(cluster.ports(), options({ ...o, after }));
    if (result.kind !== "listed") throw new Error(result.reason);
    keys.push(...result.entries.map((e) => e.key));
    if (result.next === null) return keys;
    expect(after === null || compareKeys(result.next, after) > 0).toBe(true);
    after = result.next;
  }
  throw new Error("no end");
}

describe("listKeys", () => {
  it("lists live keys under the prefix in byte order, with versions, and pages by `next`", async () => {
    const cluster = new FakeCluster(4);
    for (const k of ["app/b", "app/a", "app/😀", "app/\uFFFF", "other", "app/c"]) cluster.put(k, live(2));
    cluster.put("app/gone", tomb(3));
    const first = await listKeys(cluster.ports(), options({ prefixes: ["app/"], limit: 2 }));
    expect(first).toMatchObject({ kind: "listed", next: "app/b" });
    if (first.kind !== "listed") return;
    expect(first.entries.map((e) => [e.key, e.state.version])).toEqual([["app/a", 2], ["app/b", 2]]);
    expect(await listAll(cluster, { prefixes: ["app/"], limit: 2 })).toEqual(["app/a", "app/b", "app/c", "app/\uFFFF", "app/😀"]);
    const rest = await listKeys(cluster.ports(), options({ prefixes: ["app/"], after: "app/c" }));
    expect(rest).toMatchObject({ kind: "listed", next: null });
  });

  it("never lists internal registers (lock keys) nor a minority's leftover", async () => {
    const cluster = new FakeCluster(2);
    cluster.put("\u0001lock:job", live(1));
    cluster.put("a", live(1));
    cluster.put("half-written", live(1), [2]);
    expect(await listAll(cluster, {})).toEqual(["a"]);
    expect(cluster.reads).toBeLessThanOrEqual(2);
  });

  it("a group without a reachable majority makes the listing unavailable", async () => {
    const cluster = new FakeCluster(2);
    cluster.put("a", live(1));
    cluster.down.add("1/0").add("1/2");
    expect(await listKeys(cluster.ports(), options())).toMatchObject({ kind: "unavailable" });
    cluster.down.delete("1/2");
    expect(await listAll(cluster, {})).toEqual(["a"]);
  });

  it("stops at its step budget past many tombstones, with a cursor that moves on", async () => {
    const cluster = new FakeCluster(1);
    for (let i = 0; i < 100; i++) cluster.put(`k${String(i).padStart(3, "0")}`, tomb(2));
    cluster.put("z", live(1));
    const page = await listKeys(cluster.ports(), options({ limit: 5, maxSteps: 1 }));
    expect(page).toMatchObject({ kind: "listed", entries: [], steps: 1 });
    if (page.kind === "listed") expect(page.next).not.toBeNull();
    expect(await listAll(cluster, { limit: 5, maxSteps: 1 })).toEqual(["z"]);
  });

  it("a stale layout: an acceptor serving a newer epoch makes it reload and scan the groups it did not know", async () => {
    const cluster = new FakeCluster(2);
    cluster.known = 1;
    cluster.put("a", live(1), [0, 1], 0);
    cluster.put("b", live(1), [0, 1], 1);
    // Without a newer epoch anywhere, the lister cannot know of group 1.
    expect(await listAll(cluster, {})).toEqual(["a"]);
    // A change installed epoch 2 on a majority of group 0 (the first step of every change does).
    for (const store of cluster.stores[0]!.slice(0, 2)) handleRequest(store, { type: "install", vshards: [7], epoch: 2 });
    cluster.latest = { epoch: 2, known: 2 };
    expect(await listAll(cluster, {})).toEqual(["a", "b"]);
    expect(cluster.epoch).toBe(2);
  });

  it("lists several ranges (a scoped token's prefixes) in order", async () => {
    const cluster = new FakeCluster(3);
    for (const k of ["a/1", "b/1", "b/2", "c/1", "d/1"]) cluster.put(k, live(1));
    expect(await listAll(cluster, { prefixes: ["a/", "c/", "d/"], limit: 1 })).toEqual(["a/1", "c/1", "d/1"]);
    expect(await listAll(cluster, { prefixes: ["a/", "c/"], after: "b" })).toEqual(["c/1"]);
  });

  it("`more` bounds a page (the values' total size), taking at least one entry", async () => {
    const cluster = new FakeCluster(1);
    for (const k of ["a", "b", "c"]) cluster.put(k, live(1));
    const page = await listKeys(cluster.ports(), options({ more: () => false }));
    expect(page).toMatchObject({ kind: "listed", next: "a" });
  });

  it("work is proportional to the page, not to the number of keys", async () => {
    const cluster = new FakeCluster(16);
    for (let i = 0; i < 5000; i++) cluster.put(`k${i}`, live(1));
    const page = await listKeys(cluster.ports(), options({ limit: 100 }));
    expect(page).toMatchObject({ kind: "listed" });
    if (page.kind === "listed") expect(page.entries).toHaveLength(100);
    expect(cluster.reads).toBeLessThanOrEqual(100 + 8);
    expect(cluster.scans).toBeLessThanOrEqual(16 * 3 * 2);
  });

  it("property: paging visits exactly the live chosen keys under the prefix, in order", async () => {
    const key = fc.string({ unit: fc.constantFrom("a", "b", "/", "é", "😀"), minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, fc.constantFrom("live", "tomb", "minority")), { maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom("", "a", "a/", "😀"),
        fc.integer({ min: 1, max: 3 }),
        async (rows, groups, limit, prefix, maxSteps) => {
          const cluster = new FakeCluster(groups);
          for (const [k, kind] of rows) {
            if (kind === "live") cluster.put(k, live(1));
            else if (kind === "tomb") cluster.put(k, tomb(2));
            else cluster.put(k, live(1), [2]);
          }
          const expected = [...cluster.chosen].filter(([k, s]) => k.startsWith(prefix) && s?.value != null).map(([k]) => k).sort(compareKeys);
          expect(await listAll(cluster, { prefixes: [prefix], limit, maxSteps })).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: over several ranges (a scoped token's readable prefixes, scope.ts), exactly the live keys under one of them", async () => {
    const key = fc.string({ unit: fc.constantFrom("a", "b", "/", "😀"), minLength: 1, maxLength: 4 });
    const prefix = fc.string({ unit: fc.constantFrom("a", "b", "/", "😀"), minLength: 1, maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { maxLength: 30 }), fc.uniqueArray(prefix, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), async (keys, raw, limit) => {
        // As readableUnder gives them: sorted, none inside another.
        const sorted = [...raw].sort(compareKeys);
        const prefixes = sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(q)));
        const cluster = new FakeCluster(3);
        for (const k of keys) cluster.put(k, live(1));
        const expected = keys.filter((k) => prefixes.some((p) => k.startsWith(p))).sort(compareKeys);
        expect(await listAll(cluster, { prefixes, limit, maxSteps: 2 })).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
