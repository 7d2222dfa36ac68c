import type { Rng } from "../rng.js";
import type { Scheduler } from "../scheduler.js";
import { rttMs, type Region } from "./regions.js";

/**
 * Jitter on top of half the round trip, per one-way message (an assumption, not a measurement): exponential with
 * this mean, plus now and then a slow message (a queue, a retransmission).
 */
export const JITTER = {
  meanMs: 0.5,
  slowShare: 0.01,
  slowMs: [10, 50] as const,
};

/**
 * Service time of one request at an object (ms), from our local measurements: the one-object-per-key p50 of a read
 * (431 µs) and of a write (835 µs, a commit) in docs/benchmark.md's full run of 2026-11-26. Both include the HTTP and
 * Worker overhead, so they overstate the object's own time a little.
 */
export const SERVICE_MS = { read: 0.431, commit: 0.835 };

/** One-way delays between regions, drawn from the run's seeded stream. */
export class Links {
  constructor(private readonly rng: Rng) {}

  oneWayMs(from: Region, to: Region): number {
    let ms = rttMs(from, to) / 2 - JITTER.meanMs * Math.log(1 - this.rng.next());
    if (this.rng.chance(JITTER.slowShare)) ms += this.rng.between(JITTER.slowMs[0], JITTER.slowMs[1]);
    return ms;
  }
}

/**
 * A single-threaded object (a Durable Object, or a leader's log): requests are served one at a time, each taking
 * its service time, in arrival order.
 */
export class SerialServer {
  private busyUntil = 0;
  served = 0;

  constructor(
    readonly region: Region,
    private readonly scheduler: Scheduler,
  ) {}

  /** Runs `work` once the object is free and its service time has passed; resolves with its result. */
  serve<T>(serviceMs: number, work: () => T): Promise<T> {
    const start = Math.max(this.scheduler.now, this.busyUntil);
    this.busyUntil = start + serviceMs;
    this.served++;
    return new Promise((resolve) => this.scheduler.at(this.busyUntil, () => resolve(work())));
  }
}
