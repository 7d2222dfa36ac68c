import type { AcceptorId } from "./quorum/quorum-config.js";

/**
 * How near each acceptor is, learnt from the replies a proposer gets (issue 21): a smoothed round trip and its mean
 * deviation per acceptor, as TCP estimates its retransmission timeout (RFC 6298). Reads peek at the nearest
 * majority first and ask the others once that majority's observed tail has passed.
 *
 * Pure bookkeeping: the caller passes every time in (sans-I/O); nothing here sends or waits.
 */
export interface LatencyTrackerOptions {
  /** The hedge delay before anything is known, and its floor afterwards (ms). */
  readonly floorMs: number;
  /** The tail is the estimate plus this many deviations (RFC 6298's K). */
  readonly deviations?: number;
  /**
   * Acceptors whose estimates differ by less than this are equally near (ms): their order stays the caller's
   * (random) one, so load keeps spreading over acceptors that are equally close, as in one data centre.
   */
  readonly tieMs?: number;
}

interface Estimate {
  /** Smoothed round trip (ms). */
  srtt: number;
  /** Mean deviation of the round trip (ms). */
  rttvar: number;
}

/** Gains of RFC 6298: new samples weigh 1/8 in the estimate and 1/4 in the deviation. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
/** At most this many unanswered calls are remembered per acceptor; the oldest ones are what matter. */
const MAX_UNANSWERED = 64;
/** A failing acceptor's penalty stops growing here: it is last in line anyway. */
const MAX_SAMPLE_MS = 60_000;

export class LatencyTracker {
  private readonly estimates = new Map<AcceptorId, Estimate>();
  /** Send times of calls not answered yet, oldest first, per acceptor. */
  private readonly unanswered = new Map<AcceptorId, number[]>();

  constructor(private readonly options: LatencyTrackerOptions) {}

  /** A call to `acceptor` leaves at `at`. */
  sent(acceptor: AcceptorId, at: number): void {
    const times = this.unanswered.get(acceptor) ?? [];
    if (times.length < MAX_UNANSWERED) times.push(at);
    this.unanswered.set(acceptor, times);
  }

  /**
   * The call sent at `sentAt` was answered at `at`. Calls sent before it that are still unanswered are presumed lost
   * (the acceptor answers, so it is alive): they no longer make it look slow.
   */
  replied(acceptor: AcceptorId, sentAt: number, at: number): void {
    const times = this.unanswered.get(acceptor);
    if (times !== undefined) {
      while (times.length > 0 && (times[0] as number) <= sentAt) times.shift();
    }
    this.sample(acceptor, Math.max(0, at - sentAt));
  }

  /**
   * The call sent at `sentAt` failed at `at`. A failure says nothing of distance, but an acceptor that fails should
   * be asked later: it counts as a sample of twice the current tail (at least the elapsed time and the floor).
   */
  failed(acceptor: AcceptorId, sentAt: number, at: number): void {
    const times = this.unanswered.get(acceptor);
    const index = times?.indexOf(sentAt) ?? -1;
    if (times !== undefined && index >= 0) times.splice(index, 1);
    this.sample(acceptor, Math.min(MAX_SAMPLE_MS, Math.max(at - sentAt, 2 * this.tailOf(acceptor), this.options.floorMs)));
  }

  /**
   * How long `acceptor` takes as far as we know at `now`: its estimate, or longer while a call to it has been waiting
   * longer than that (a silent acceptor grows slower by the minute); undefined before any reply or failure.
   */
  latency(acceptor: AcceptorId, now: number): number | undefined {
    const estimate = this.estimates.get(acceptor);
    const oldest = this.unanswered.get(acceptor)?.[0];
    const waiting = oldest === undefined ? 0 : now - oldest;
    if (estimate === undefined) return waiting > this.options.floorMs ? waiting : undefined;
    return Math.max(estimate.srtt, waiting);
  }

  /**
   * `candidates` nearest first. Acceptors never measured come first (so each gets measured once), then by latency;
   * latencies within `tieMs` of each other keep the candidates' order (the caller's random spread).
   */
  nearestFirst(candidates: readonly AcceptorId[], now: number): AcceptorId[] {
    const tie = this.options.tieMs ?? 5;
    const rank = (id: AcceptorId): number => {
      const ms = this.latency(id, now);
      return ms === undefined ? -1 : Math.floor(ms / tie);
    };
    const ranks = new Map(candidates.map((id) => [id, rank(id)]));
    // Array.prototype.sort is stable: equal ranks keep the candidates' order.
    return [...candidates].sort((a, b) => (ranks.get(a) as number) - (ranks.get(b) as number));
  }

  /**
   * How long to wait for `asked` before asking the others: the slowest one's observed tail (estimate plus
   * `deviations` mean deviations), never less than the floor; the floor alone while any of them is unmeasured.
   */
  hedgeMs(asked: readonly AcceptorId[]): number {
    let tail = this.options.floorMs;
    for (const id of asked) {
      if (!this.estimates.has(id)) return this.options.floorMs;
      tail = Math.max(tail, this.tailOf(id));
    }
    return tail;
  }

  private tailOf(acceptor: AcceptorId): number {
    const estimate = this.estimates.get(acceptor);
    if (estimate === undefined) return this.options.floorMs;
    return estimate.srtt + (this.options.deviations ?? 4) * estimate.rttvar;
  }

  private sample(acceptor: AcceptorId, ms: number): void {
    const estimate = this.estimates.get(acceptor);
    if (estimate === undefined) {
      this.estimates.set(acceptor, { srtt: ms, rttvar: ms / 2 });
      return;
    }
    estimate.rttvar = (1 - BETA) * estimate.rttvar + BETA * Math.abs(estimate.srtt - ms);
    estimate.srtt = (1 - ALPHA) * estimate.srtt + ALPHA * ms;
  }
}
