import type { SweepReport } from "./sweep.js";

/**
 * When a group's background sweep of intents runs (the sweeper: one per group, src/collector/intent-sweeper-object.ts).
 *
 * It runs only while intents may exist. Whoever may make one (a transaction placing an intent) or meets one wakes it
 * (sweep-trigger.ts); a wake gives the sweeper a lease: it sweeps every period until a sweep that STARTED after the
 * lease's end finds nothing to come back for. A placement woken or covered by a lease is thus chosen (if ever) before
 * a sweep that starts after it: that sweep finds the intent (or it is gone), and while any sweep finds an intent
 * pending or cannot settle a key, the next one follows a period later. An idle cluster pays nothing: no wake, no alarm.
 */

/**
 * The period: half the staleness deadline, so that an intent left pending is aborted within about 1.5 staleMs of its
 * transaction's start, and at least `minMs` (1 s in production: one alarm and N acceptor calls per group per second
 * is the most a cluster under steady transactions pays).
 */
export function sweepPeriodMs(staleMs: number, minMs = 1000): number {
  return Math.max(minMs, Math.ceil(staleMs / 2));
}

/**
 * How long a wake keeps the sweeper going: four periods, and at least one period past the longest a change sent at
 * the wake may take to be chosen (`opMs`: the proposer's deadline and a round). The longer the lease, the fewer wakes
 * a Worker sends (it skips those a lease covers, SweepLeases) and the more idle sweeps follow the last transaction.
 */
export function sweepLeaseMs(periodMs: number, opMs: number): number {
  return Math.max(4 * periodMs, opMs + periodMs);
}

/** A backlog (more keys than one sweep takes) is worked off after this pause, at most a period. */
const BACKLOG_GAP_MS = 100;

export interface SweepTimes {
  readonly now: number;
  /** When the sweep that made the report started. */
  readonly startedAt: number;
  /** The end of the latest lease (wakes). */
  readonly activeUntil: number;
  readonly periodMs: number;
}

/** When the next sweep runs, or null: nothing was left to come back for and every lease has ended. */
export function nextSweepAt(report: SweepReport, times: SweepTimes): number | null {
  if (report.backlog) return times.now + Math.min(BACKLOG_GAP_MS, times.periodMs);
  const again = report.pending > 0 || report.failed > 0 || report.unreachable || times.startedAt < times.activeUntil;
  return again ? times.now + times.periodMs : null;
}
