import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Env } from "../../src/env.js";
import { serve } from "../../src/index.js";
import { collectorSettings, collectorStub } from "../../src/collector/collection-trigger.js";
import { SHARD_COUNT } from "../../src/cluster/placement.js";
import { FLOOR_BUCKETS } from "../../src/acceptor/sqlite-slot-store.js";
import { BASE, keyPath } from "./helpers.js";

interface AcceptorStorage {
  index: number;
  slots: number;
  tombstones: number;
  floors: number;
  bytes: number;
}

const KEYS = 1000;

/** The real Worker wiring (deletes wake collectors in waitUntil) on a cluster of its own. */
function gcWorker(delayMs: number) {
  const vars: Env = {
    ...(env as unknown as Env),
    DEV_ADMIN: "true",
    BALLOT_GC_DELAY_MS: String(delayMs),
    BALLOT_CLUSTER: `gc-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
  };
  const app = serve(vars);
  const fetch = (path: string, init?: RequestInit) => app(new Request(BASE + path, init));
  const storage = async (): Promise<AcceptorStorage[]> => {
    const res = await fetch("/v1/admin/storage");
    expect(res.status).toBe(200);
    return ((await res.json()) as { acceptors: AcceptorStorage[] }).acceptors;
  };
  return { vars, fetch, storage };
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

const total = (rows: AcceptorStorage[], field: keyof AcceptorStorage) => rows.reduce((sum, r) => sum + r[field], 0);

describe("garbage collection of deleted keys", () => {
  it(`frees the rows of ${KEYS} deleted keys on every acceptor by alarms, leaving only bucket floors`, async () => {
    // The Worker deletes with a delay no test outlasts, so nothing is collected before the storage is measured; the
    // collectors are then told the delay is over (as a redeploy with another BALLOT_GC_DELAY_MS would) and their
    // alarms run.
    const { vars, fetch, storage } = gcWorker(3_600_000);
    const config = loadConfig(vars);
    const now = loadConfig({ ...vars, BALLOT_GC_DELAY_MS: "0" });
    const keys = Array.from({ length: KEYS }, (_, i) => `session-${i}`);

    const empty = await storage();
    await inBatches(keys, 50, async (key) => {
      const res = await fetch(keyPath(key), { method: "PUT", body: `value of ${key}`.padEnd(100, ".") });
      expect(res.status).toBe(201);
    });
    const written = await storage();
    await inBatches(keys, 50, async (key) => {
      expect((await fetch(keyPath(key), { method: "DELETE" })).status).toBe(204);
    });
    const deleted = await storage();
    // Every delete reached at least a majority; before collection each acceptor keeps its tombstones.
    expect(total(deleted, "tombstones")).toBeGreaterThanOrEqual(2 * KEYS);

    // The deletes woke each shard's collector (waitUntil); its alarm sweeps until no tombstone is left. Run the
    // alarms now rather than waiting for workerd to fire them.
    let after = deleted;
    const collectors = Array.from({ length: SHARD_COUNT }, (_, shard) => collectorStub((env as unknown as Env).COLLECTOR, config, shard));
    const dueNow = () => Promise.all(collectors.map((collector, shard) => collector.wake(collectorSettings(now, shard))));
    // Bounded by time, not rounds: on a loaded machine some rounds time out and the collector retries by alarm.
    for (const giveUpAt = Date.now() + 90_000; total(after, "slots") > 0 && Date.now() < giveUpAt; ) {
      await dueNow(); // again each time: a late wake of a delete may still bring the long delay back
      for (const collector of collectors) await runDurableObjectAlarm(collector);
      after = await storage();
    }
    for (const acceptor of after) {
      expect(acceptor.slots, `acceptor ${acceptor.index} rows`).toBe(0);
      expect(acceptor.floors).toBeGreaterThan(0);
      expect(acceptor.floors).toBeLessThanOrEqual(SHARD_COUNT * FLOOR_BUCKETS);
    }
    // Once nothing is left, a collector stops re-arming its alarm (a late wake from a delete may still have set one,
    // whose sweep then finds nothing).
    for (const collector of collectors) {
      let ran = 0;
      while ((await runDurableObjectAlarm(collector)) && ran < 5) ran++;
      expect(ran, "alarms run after the work was done").toBeLessThan(5);
    }

    const perKey = (rows: AcceptorStorage[]) => Math.round((total(rows, "bytes") - total(empty, "bytes")) / KEYS);
    console.log(
      JSON.stringify({
        msg: "gc storage",
        acceptors: config.proposer.acceptors,
        keys: KEYS,
        bytesPerKeyLive: perKey(written),
        bytesPerKeyDeleted: perKey(deleted),
        bytesPerKeyCollected: perKey(after),
        floorRows: total(after, "floors"),
        bytes: { empty: total(empty, "bytes"), written: total(written, "bytes"), deleted: total(deleted, "bytes"), collected: total(after, "bytes") },
      }),
    );

    // Deleted keys read as absent, and a recreated key continues above its old versions (1: write, 2: delete), also
    // after every acceptor restarted (floors come back from storage, not from memory).
    for (let i = 0; i < config.proposer.acceptors; i++) {
      expect((await fetch(`/v1/admin/acceptors/${i}/restart`, { method: "POST" })).status).toBe(200);
    }
    expect((await fetch(keyPath("session-7"))).status).toBe(404);
    const recreated = await fetch(keyPath("session-7"), { method: "PUT", headers: { "if-none-match": "*" }, body: "again" });
    expect(recreated.status).toBe(201);
    expect(((await recreated.json()) as { version: number }).version).toBeGreaterThan(2);
    const read = await fetch(keyPath("session-7"));
    expect(await read.text()).toBe("again");
  }, 120_000);

  it("with one acceptor down removes nothing anywhere, and collects once it is back", async () => {
    const { fetch, storage } = gcWorker(3_600_000);
    const keys = Array.from({ length: 20 }, (_, i) => `claim-${i}`);
    for (const key of keys) {
      expect((await fetch(keyPath(key), { method: "PUT", body: "x" })).status).toBe(201);
      expect((await fetch(keyPath(key), { method: "DELETE" })).status).toBe(204);
    }
    const before = await storage();
    const fault = await fetch("/v1/admin/faults", { method: "POST", body: JSON.stringify({ acceptor: 2, mode: "down" }) });
    expect(fault.status).toBe(200);
    const blocked = (await (await fetch("/v1/admin/collect?all=true", { method: "POST" })).json()) as Record<string, number>;
    expect(blocked).toMatchObject({ collected: 0, retry: keys.length });
    expect(blocked.unreachable).toBeGreaterThan(0);
    // Not one row went, on any acceptor: the tombstone could not be written to all three.
    expect((await storage()).map((a) => a.slots)).toEqual(before.map((a) => a.slots));

    expect((await fetch("/v1/admin/faults", { method: "DELETE" })).status).toBe(200);
    const healed = (await (await fetch("/v1/admin/collect?all=true", { method: "POST" })).json()) as Record<string, number>;
    expect(healed).toMatchObject({ collected: keys.length, retry: 0, unreachable: 0 });
    expect(total(await storage(), "slots")).toBe(0);
    for (const key of keys.slice(0, 3)) expect((await fetch(keyPath(key))).status).toBe(404);
  }, 30_000);

  it("keeps a key recreated before its collection, and collects only what is still deleted", async () => {
    // A delay no test outlasts: nothing is collected until the sweep below (which ignores it).
    const { fetch, storage } = gcWorker(3_600_000);
    for (const key of ["a", "b"]) {
      expect((await fetch(keyPath(key), { method: "PUT", body: "1" })).status).toBe(201);
      expect((await fetch(keyPath(key), { method: "DELETE" })).status).toBe(204);
    }
    const again = await fetch(keyPath("b"), { method: "PUT", body: "back" });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { version: number }).version).toBe(3);

    const res = await fetch("/v1/admin/collect?all=true", { method: "POST" });
    expect(res.status).toBe(200);
    const swept = (await res.json()) as { collected: number; retry: number };
    expect(swept).toMatchObject({ collected: 1, retry: 0 });
    expect(total(await storage(), "slots")).toBe(3); // b's row on each of the three acceptors
    expect(await (await fetch(keyPath("b"))).text()).toBe("back");
    expect((await fetch(keyPath("a"))).status).toBe(404);
  }, 30_000);
});
