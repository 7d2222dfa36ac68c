import { BallotIssuer } from "../../src/core/ballot.js";
import { collect, type CollectOutcome, type CollectorDeps } from "../../src/core/collector.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { Transport } from "../../src/core/ports.js";
import { isLive } from "../../src/core/register.js";
import { Life, ProcessClock } from "./clock.js";
import type { Cluster } from "./cluster.js";
import type { Rng } from "./rng.js";

/** A garbage collector running alongside the workload (issue 7): the real `collect()` of src/core/collector.ts. */
export interface GcSpec {
  /** Pause between two collections, uniform in [min, max] virtual ms. */
  readonly pauseMs: readonly [number, number];
  /** Share of collections aimed at a key whose latest acknowledged state is deleted; the rest pick any key. */
  readonly deletedKeys: number;
  /** After a "retry" outcome, the same key is tried again (after a short pause) up to this many times. */
  readonly retries: number;
  /** Each collection's probability of dying mid-procedure, at its accept or its forget round. */
  readonly crash: number;
  /** How long a dead collector stays dead before a fresh one (new id, new ballots) takes over. */
  readonly restartMs: readonly [number, number];
  readonly roundTimeoutMs: number;
  /** Each collector's clock is off by up to this much (ballot counters take the clock as a floor). */
  readonly clockSkewMs: number;
}

export interface GcCounts {
  attempts: number;
  collected: number;
  live: number;
  retry: number;
  crashed: number;
  /** Collections after which some acceptor still held a live row of the key (only a broken collector leaves one). */
  leftLive: number;
}

/** What a collection procedure is: src/core's, or a deliberately broken one (negative control). */
export type CollectFn = (key: string, deps: CollectorDeps) => Promise<CollectOutcome>;

const never = <T>() => new Promise<T>(() => {});

/**
 * One collector process at a time, calling collect on keys repeatedly through the simulated network (loss, delay,
 * duplication, reordering, partitions). A collector armed to die sends its fatal round's request to a random subset
 * of the acceptors (possibly none) and dies: its timers never fire, its calls never settle, and a fresh collector with
 * its own id and ballots takes over after a while, as a crashed Durable Object alarm would be retried.
 */
export class GarbageCollector {
  readonly counts: GcCounts = { attempts: 0, collected: 0, live: 0, retry: 0, crashed: 0, leftLive: 0 };
  /** Keys collected, and how often. */
  readonly collectedKeys = new Map<string, number>();
  /** Keeps starting collections while this holds. */
  active = true;
  private spawned = 0;
  private retryKey: string | null = null;
  private retriesLeft = 0;
  private busy = false;
  log: ((line: string) => void) | null = null;

  constructor(
    private readonly spec: GcSpec,
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    private readonly keys: readonly string[],
    /** Keys whose latest acknowledged state is deleted (the collector's usual targets). */
    private readonly deleted: () => readonly string[],
    private readonly procedure: CollectFn = collect,
  ) {}

  /** Whether a collection is running (a dead collector's is not). */
  get running(): boolean {
    return this.busy;
  }

  async run(): Promise<void> {
    while (this.active) {
      const process = this.spawn();
      while (this.active && process.life.isAlive) {
        await this.cluster.scheduler.sleep(this.retryKey !== null ? this.rng.between(1, 10) : this.rng.between(...this.spec.pauseMs));
        if (!this.active) break;
        const candidates = this.deleted();
        const again = this.retryKey !== null && this.retriesLeft-- > 0;
        const key = again ? this.retryKey! : candidates.length > 0 && this.rng.chance(this.spec.deletedKeys) ? this.rng.pick(candidates) : this.rng.pick(this.keys);
        if (!again) this.retriesLeft = this.spec.retries;
        this.retryKey = null;
        if (this.rng.chance(this.spec.crash)) process.dieAt = this.rng.chance(0.5) ? "accept" : "forget";
        this.counts.attempts++;
        this.busy = true;
        const outcome = await Promise.race([
          this.procedure(key, process.deps).catch((error: unknown) => ({ kind: "threw" as const, error })),
          new Promise<null>((resolve) => process.life.whenDead(() => resolve(null))),
        ]);
        this.busy = false;
        if (outcome === null) {
          this.counts.crashed++;
          this.log?.(`gc ${process.id}: died collecting ${key}`);
          break;
        }
        if (outcome.kind === "threw") throw outcome.error;
        this.counts[outcome.kind]++;
        if (outcome.kind === "retry") this.retryKey = key;
        if (outcome.kind === "collected") {
          this.collectedKeys.set(key, (this.collectedKeys.get(key) ?? 0) + 1);
          if (this.cluster.acceptors.some((a) => isLive(a.store.slots.get(key)?.state ?? null))) this.counts.leftLive++;
        }
        this.log?.(`gc ${process.id}: collect ${key} -> ${outcome.kind}${"reason" in outcome ? ` (${outcome.reason})` : ""}`);
      }
      if (this.active) await this.cluster.scheduler.sleep(this.rng.between(...this.spec.restartMs));
    }
  }

  private spawn() {
    const n = this.spawned++;
    const rng = this.rng.fork(`gc-${n}`);
    const id = `gc${n}-${rng.uint32().toString(36)}`;
    const life = new Life();
    const clock = new ProcessClock(this.cluster.scheduler, life, rng.between(0, this.spec.clockSkewMs));
    const raw = this.cluster.network.transport({ id, life });
    const acceptors = this.cluster.spec.acceptors;
    const process = {
      id,
      life,
      dieAt: null as "accept" | "forget" | null,
      deps: null as unknown as CollectorDeps,
    };
    let reached: Set<number> | null = null;
    const transport: Transport = {
      send: (index: number, request: AcceptorRequest): Promise<AcceptorReply> => {
        if (process.dieAt !== null && request.type === process.dieAt && life.isAlive && reached === null) {
          // The round's requests go out synchronously: these few get through, then the process is gone.
          reached = new Set(rng.sample(acceptors, rng.int(acceptors)));
          process.dieAt = null;
          queueMicrotask(() => life.kill());
        }
        if (reached !== null) return reached.has(index) ? raw.send(index, request) : never();
        return raw.send(index, request);
      },
    };
    process.deps = { acceptors, transport, clock, ballots: new BallotIssuer(id, () => clock.now()), roundTimeoutMs: this.spec.roundTimeoutMs };
    return process;
  }
}
