import { handleRequest } from "../../src/core/acceptor.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { Clock, Random, Timer, Transport } from "../../src/core/ports.js";
import { DEFAULT_PROPOSER_CONFIG, Proposer, type ProposerConfig } from "../../src/core/proposer.js";
import { ManualClock } from "./manual-clock.js";
import { MemoryStore } from "./memory-store.js";

/**
 * How one call to an acceptor goes: handled at once, failed (the call rejects, the acceptor never sees it), hung
 * (never settles, never delivered), delivered twice with the first reply lost (an at-least-once transport retrying),
 * or delivered and answered after `delayMs` of the manual clock.
 */
export type Behaviour = "ok" | "fail" | "hang" | "twice" | { readonly delayMs: number };

/** Decides the behaviour of each call; the default treats every call as "ok". */
export type Rule = (index: number, request: AcceptorRequest) => Behaviour;

/** A Transport from one proposer to the cluster's in-memory acceptors, running the real handleRequest. */
export class Link implements Transport {
  rule: Rule = () => "ok";
  readonly sent: Array<{ readonly index: number; readonly request: AcceptorRequest; readonly behaviour: Behaviour }> = [];

  constructor(
    private readonly stores: readonly MemoryStore[],
    private readonly clock: ManualClock,
  ) {}

  /** Sets a fixed behaviour per acceptor index (missing indexes are "ok"). */
  set(behaviours: Record<number, Behaviour>): void {
    this.rule = (i) => behaviours[i] ?? "ok";
  }

  send(index: number, request: AcceptorRequest): Promise<AcceptorReply> {
    const behaviour = this.rule(index, request);
    this.sent.push({ index, request, behaviour });
    const store = this.stores[index];
    if (store === undefined) return Promise.reject(new Error(`no acceptor ${index}`));
    if (behaviour === "ok") return Promise.resolve(handleRequest(store, request));
    if (behaviour === "fail") return Promise.reject(new Error(`acceptor ${index} unreachable`));
    if (behaviour === "hang") return new Promise<AcceptorReply>(() => {});
    if (behaviour === "twice") {
      handleRequest(store, request);
      return Promise.resolve(handleRequest(store, request));
    }
    return this.clock.timer(behaviour.delayMs).fired.then(() => handleRequest(store, request));
  }

  /** Requests of one type sent so far. */
  count(type: AcceptorRequest["type"]): number {
    return this.sent.filter((s) => s.request.type === type).length;
  }
}

/** The shared clock seen through a proposer whose wall clock runs `offsetMs` ahead (its ballots start higher). */
class OffsetClock implements Clock {
  constructor(
    private readonly base: ManualClock,
    private readonly offsetMs: number,
  ) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
  timer(ms: number): Timer {
    return this.base.timer(ms);
  }
}

/** A small deterministic generator, so backoff delays are reproducible. */
export function seededRandom(seed = 1): Random {
  let s = seed >>> 0;
  return {
    next: () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
  };
}

export const TEST_CONFIG: ProposerConfig = {
  ...DEFAULT_PROPOSER_CONFIG,
  acceptors: 3,
  roundTimeoutMs: 100,
  deadlineMs: 1_000,
  backoff: { baseMs: 4, maxMs: 50 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 100,
};

export class Cluster {
  readonly clock = new ManualClock();
  readonly stores: MemoryStore[];

  constructor(readonly n: number) {
    this.stores = Array.from({ length: n }, () => new MemoryStore());
  }

  /** A proposer with its own link (whose behaviour the test sets) and, optionally, a clock running ahead. */
  proposer(id: string, options: { config?: Partial<ProposerConfig>; clockOffsetMs?: number; seed?: number } = {}) {
    const link = new Link(this.stores, this.clock);
    const clock = options.clockOffsetMs ? new OffsetClock(this.clock, options.clockOffsetMs) : this.clock;
    const config = { ...TEST_CONFIG, acceptors: this.n, ...options.config };
    const proposer = new Proposer(id, config, link, clock, seededRandom(options.seed ?? 7));
    return { proposer, link };
  }

  /** Storage writes across all acceptors so far. */
  get writes(): number {
    return this.stores.reduce((sum, s) => sum + s.writes, 0);
  }

  slot(index: number, key: string) {
    return this.stores[index]!.read(key);
  }
}
