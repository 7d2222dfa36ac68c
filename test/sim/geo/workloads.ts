import { Rng, hash32 } from "../rng.js";
import { Scheduler } from "../scheduler.js";
import type { Region } from "./regions.js";
import { buildStore, type Store, type SystemSpec, type Work } from "./systems.js";

export const WORKLOADS = ["read", "write_piggybacked", "write_cold", "cas_contended", "lock_acquire"] as const;
export type Workload = (typeof WORKLOADS)[number];

export const WORKLOAD_LABELS: Readonly<Record<Workload, string>> = {
  read: "read",
  write_piggybacked: "write (piggybacked)",
  write_cold: "write (cold key)",
  cas_contended: "CAS, contended",
  lock_acquire: "lock acquire",
};

/** What one client region saw running one workload against one system. */
export interface Sample {
  /** Latency of each operation at the client's PoP (ms of virtual time). */
  readonly latencies: number[];
  /** Object work per measured operation, caused by this PoP (warm-up and the rival excluded). */
  readonly work: Work;
  /** Operations that were retried (CAS lost to the rival, or an unavailable answer). */
  readonly retries: number;
}

/** The other region contending on the CAS key with `region`. */
export function rivalOf(region: Region): Region {
  return region === "enam" ? "weur" : "enam";
}

const LOCK_TTL_MS = 30_000;
/** A lock is held this long, then released, then idle this long before the next acquire (a periodic job). */
const LOCK_HOLD_MS = 200;
const LOCK_IDLE_MS = 1_500;
/** Pause between a client's operations. */
const THINK_MS = 10;

/**
 * Runs `ops` operations of `workload` from `region`'s PoP against a fresh instance of `spec`, in virtual time, on
 * a stream seeded by (seed, system, workload, region).
 */
export async function runWorkload(spec: SystemSpec, workload: Workload, region: Region, ops: number, seed: number): Promise<Sample> {
  const scheduler = new Scheduler();
  const rng = new Rng(hash32(`${spec.id}/${workload}/${region}`, seed));
  const store = buildStore(spec, scheduler, rng);
  let finished = false;
  const body = measure(store, scheduler, workload, region, ops).finally(() => (finished = true));
  const done = await scheduler.runUntil(() => finished, 24 * 3_600_000);
  if (!done) throw new Error(`${spec.id} ${workload} ${region}: the workload did not finish`);
  return body;
}

async function measure(store: Store, scheduler: Scheduler, workload: Workload, region: Region, ops: number): Promise<Sample> {
  const latencies: number[] = [];
  let retries = 0;
  const mine = store.workOf(region);
  const total: Work = { requests: 0, rowsRead: 0, rowsWritten: 0 };
  /** Runs one measured operation: its latency, and the object work it caused (this PoP's only). */
  const timed = async <T>(op: () => Promise<T>): Promise<T> => {
    const start = scheduler.now;
    const before = { ...mine };
    const result = await op();
    latencies.push(scheduler.now - start);
    total.requests += mine.requests - before.requests;
    total.rowsRead += mine.rowsRead - before.rowsRead;
    total.rowsWritten += mine.rowsWritten - before.rowsWritten;
    return result;
  };
  const think = () => scheduler.sleep(THINK_MS);

  // Warm-up, not measured: a few changes reach every object (a Ballot proposer learns every acceptor's latency).
  for (let i = 0; i < 3; i++) await store.write(region, `warm-${i}`, "w");
  await store.write(region, "key", "v0");
  await scheduler.sleep(1_000);

  switch (workload) {
    case "read":
      for (let i = 0; i < ops; i++) {
        await timed(() => store.read(region, "key"));
        await think();
      }
      break;
    case "write_piggybacked":
      // The PoP wrote "key" last (the warm-up): its next writes ride the promise of its previous accept.
      await store.write(region, "key", "v");
      for (let i = 0; i < ops; i++) {
        await timed(() => store.write(region, "key", `v${i}`));
        await think();
      }
      break;
    case "write_cold":
      for (let i = 0; i < ops; i++) {
        await timed(() => store.write(region, `cold-${i}`, "v"));
        await think();
      }
      break;
    case "cas_contended": {
      // This region and a rival each make `ops` successful read-then-compare-and-set changes of one key; only this
      // region's are measured (the rival has its own row). A compare-and-set needs a live key to compare with.
      await store.write(region, "cas", "v0");
      const loop = async (from: Region, measured: boolean) => {
        for (let done = 0; done < ops; ) {
          const attempt = async () => {
            for (;;) {
              const seen = await store.read(from, "cas");
              if (!seen.failed) {
                const set = await store.cas(from, "cas", seen.version, from);
                if (set.ok) return;
              }
              if (measured) retries++;
            }
          };
          if (measured) await timed(attempt);
          else await attempt();
          done++;
          await think();
        }
      };
      await Promise.all([loop(region, true), loop(rivalOf(region), false)]);
      break;
    }
    case "lock_acquire": {
      const owner = `job@${region}`;
      for (let i = 0; i < ops; ) {
        const got = await timed(() => store.acquire(region, `lock-${region}`, owner, LOCK_TTL_MS));
        if (!got.ok) {
          retries++;
          continue;
        }
        i++;
        await scheduler.sleep(LOCK_HOLD_MS);
        await store.release(region, `lock-${region}`, owner, got.version);
        await scheduler.sleep(LOCK_IDLE_MS);
      }
      break;
    }
  }
  const n = latencies.length;
  const work: Work = { requests: total.requests / n, rowsRead: total.rowsRead / n, rowsWritten: total.rowsWritten / n };
  return { latencies, work, retries };
}
