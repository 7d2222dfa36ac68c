import { describe, expect, it } from "vitest";
import type { VersionScan } from "../../src/core/listing/scan-versions.js";
import type { Outcome } from "../../src/core/proposer.js";
import type { Register } from "../../src/core/register.js";
import { PrefixFeed, type PrefixSignal } from "../../src/core/watch/prefix-feed.js";
import { flush as flushOnce, ManualClock } from "./manual-clock.js";

/** Lets reads (one macrotask each, a few at a time) and the events they cause run out. */
async function flush(): Promise<void> {
  for (let i = 0; i < 6; i++) await flushOnce();
}

const stats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };
const put = (version: number): Register => ({ version, value: new TextEncoder().encode(`v${version}`), contentType: "text/plain", origin: `o${version}` });
const tombstone = (version: number): Register => ({ version, value: null, contentType: "", origin: `o${version}` });

/**
 * Keys' chosen states, with rows as acceptors hold them: `rows` is what a scan finds (a collected key has none; an
 * acceptor of older code names no version). Reads answer from `chosen`; the test counts them and their concurrency.
 */
class World {
  readonly chosen = new Map<string, Register>();
  readonly rows = new Map<string, number | null>();
  readonly reads: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  scanAnswer: "scanned" | "unavailable" | "too_many" = "scanned";
  scans = 0;

  set(key: string, state: Register, row: number | null | "none" = state?.version ?? 0): void {
    this.chosen.set(key, state);
    if (row === "none") this.rows.delete(key);
    else this.rows.set(key, row);
  }

  scan = async (prefix: string): Promise<VersionScan> => {
    this.scans++;
    await Promise.resolve();
    if (this.scanAnswer === "unavailable") return { kind: "unavailable", reason: "no majority" };
    if (this.scanAnswer === "too_many") return { kind: "too_many" };
    return { kind: "scanned", versions: new Map([...this.rows].filter(([key]) => key.startsWith(prefix))) };
  };

  read = async (key: string): Promise<Outcome> => {
    this.reads.push(key);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.inFlight--;
    const state = this.chosen.get(key) ?? null;
    return { kind: "applied", state, previous: state, stats };
  };
}

function watch(world: World, options: { since?: [string, number][]; ranges?: string[]; readConcurrency?: number } = {}) {
  const clock = new ManualClock();
  const signals: PrefixSignal[] = [];
  const feed = new PrefixFeed({ scan: world.scan, read: world.read, clock }, (s) => signals.push(s), {
    ranges: options.ranges ?? ["app/"],
    recheckMs: 1000,
    since: new Map(options.since ?? []),
    readConcurrency: options.readConcurrency ?? 8,
  });
  const events = () => signals.flatMap((s) => (s.kind === "event" ? [`${s.event.kind} ${s.event.key}@${s.event.version}`] : s.kind === "synced" ? [`synced ${s.keys}`] : [s.kind]));
  return { clock, feed, signals, events };
}

describe("PrefixFeed", () => {
  it("starts with a put for every live key under the prefix, then synced; tombstones of keys it never held send nothing", async () => {
    const world = new World();
    world.set("app/a", put(3));
    world.set("app/b", tombstone(2));
    world.set("app/c", put(1));
    world.set("other/x", put(9));
    const { feed, events } = watch(world);
    feed.start();
    await flush();
    expect(events().sort()).toEqual(["put app/a@3", "put app/c@1", "synced 2"]);
    expect(events().at(-1)).toBe("synced 2");
    expect(world.reads.sort()).toEqual(["app/a", "app/b", "app/c"]);
    expect([...feed.vector]).toEqual(expect.arrayContaining([["app/a", 3], ["app/c", 1]]));
    expect(feed.vector.size).toBe(2);
  });

  it("a pass reads only the keys whose accepted version moved: a change whose hint was lost arrives within one period", async () => {
    const world = new World();
    world.set("app/a", put(1));
    world.set("app/b", put(1));
    const { clock, feed, events } = watch(world);
    feed.start();
    await flush();
    world.reads.length = 0;
    world.set("app/b", put(2)); // no hint
    world.set("app/new", put(1)); // a key created since: found by the scan
    await clock.advance(1000);
    expect(world.reads.sort()).toEqual(["app/b", "app/new"]);
    expect(events().slice(3).sort()).toEqual(["put app/b@2", "put app/new@1"]);
    world.reads.length = 0;
    await clock.advance(1000); // nothing moved: a scan and no read
    expect(world.reads).toEqual([]);
    expect(world.scans).toBe(3);
  });

  it("a hint reads its key at once; hints outside the ranges, or at versions the watcher has, read nothing", async () => {
    const world = new World();
    world.set("app/a", put(1));
    const { feed, events } = watch(world);
    feed.start();
    await flush();
    world.reads.length = 0;
    world.set("app/a", put(2));
    feed.hint("app/a", 2);
    feed.hint("app/a", 1);
    feed.hint("else/a", 7);
    await flush();
    expect(world.reads).toEqual(["app/a"]);
    expect(events()).toEqual(["put app/a@1", "synced 1", "put app/a@2"]);
    feed.hint("app/a", 2);
    await flush();
    expect(world.reads).toEqual(["app/a"]);
  });

  it("resumes from a vector: keys at the versions held send nothing; a key deleted and collected meanwhile is a delete", async () => {
    const world = new World();
    world.set("app/same", put(4));
    world.set("app/newer", put(6));
    world.set("app/gone", tombstone(3), "none"); // deleted, its row collected
    world.set("app/deleted", tombstone(8)); // deleted, tombstone still there
    const { feed, events } = watch(world, { since: [["app/same", 4], ["app/newer", 5], ["app/gone", 2], ["app/deleted", 7]] });
    feed.start();
    await flush();
    expect(events().slice(0, -1).sort()).toEqual(["delete app/deleted@8", "delete app/gone@3", "put app/newer@6"]);
    expect(events().at(-1)).toBe("synced 2");
    expect(world.reads).not.toContain("app/same");
    expect([...feed.vector].sort()).toEqual([["app/newer", 6], ["app/same", 4]]);
  });

  it("deletes a held key when it is deleted, and a recreated key comes back as a put above the tombstone", async () => {
    const world = new World();
    world.set("app/a", put(1));
    const { clock, feed, events } = watch(world);
    feed.start();
    await flush();
    world.set("app/a", tombstone(2));
    await clock.advance(1000);
    world.set("app/a", put(3));
    await clock.advance(1000);
    expect(events()).toEqual(["put app/a@1", "synced 1", "delete app/a@2", "put app/a@3"]);
  });

  it("an acceptor that names no version makes every key it reports a read (nothing is skipped on its word)", async () => {
    const world = new World();
    world.set("app/a", put(5), null);
    const { clock, feed } = watch(world, { since: [["app/a", 5]] });
    feed.start();
    await flush();
    await clock.advance(1000);
    expect(world.reads).toEqual(["app/a", "app/a"]);
  });

  it("a failed scan sends nothing and is retried at the next pass; too many keys ends the feed", async () => {
    const world = new World();
    world.set("app/a", put(1));
    world.scanAnswer = "unavailable";
    const { clock, feed, events } = watch(world);
    feed.start();
    await flush();
    expect(events()).toEqual([]);
    world.scanAnswer = "scanned";
    await clock.advance(1000);
    expect(events()).toEqual(["put app/a@1", "synced 1"]);
    world.scanAnswer = "too_many";
    await clock.advance(1000);
    expect(events().at(-1)).toBe("too_many");
    world.scanAnswer = "scanned";
    const scans = world.scans;
    await clock.advance(5000);
    expect(world.scans).toBe(scans);
  });

  it("follows only its ranges (a scoped token's) and keeps reads within the concurrency bound", async () => {
    const world = new World();
    for (let i = 0; i < 40; i++) world.set(`app/${i % 2 === 0 ? "pub" : "priv"}/${i}`, put(1));
    const { feed, events } = watch(world, { ranges: ["app/pub/"], readConcurrency: 3 });
    feed.start();
    await flush();
    for (let i = 0; i < 10 && !events().includes("synced 20"); i++) await flush();
    expect(events()).toContain("synced 20");
    expect(world.reads.every((key) => key.startsWith("app/pub/"))).toBe(true);
    expect(world.maxInFlight).toBe(3);
  });
});
