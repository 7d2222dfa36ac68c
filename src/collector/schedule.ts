/** What one sweep of a shard's tombstones did. */
export interface SweepResult {
  collected: number;
  /** Keys found live (recreated since their delete): nothing to collect. */
  live: number;
  /** Keys to try again: an acceptor did not answer, or a proposer raced the collection. */
  retry: number;
  /** Acceptors whose tombstones could not be listed. */
  unreachable: number;
  /** More tombstones are waiting than one sweep lists, or a delete arrived during the sweep. */
  backlog: boolean;
  /** When the youngest tombstones not yet due become due (ms since the epoch), if any are waiting. */
  nextDueAt: number | null;
}

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;
/** Never sooner than this after a sweep, so a burst of deletes is swept in batches, not one alarm each. */
const MIN_GAP_MS = 100;

/**
 * When the next sweep runs (ms since the epoch), or null when nothing is left. Failures back off exponentially
 * (1 s doubling to 5 min): an acceptor that is down stops collection of its shard, and asking it every second for
 * hours would only add load to a struggling cluster.
 */
export function nextSweep(result: SweepResult, now: number, failures: number): number | null {
  const candidates: number[] = [];
  if (result.retry > 0 || result.unreachable > 0) {
    candidates.push(now + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1)));
  }
  if (result.backlog) candidates.push(now + MIN_GAP_MS);
  if (result.nextDueAt !== null) candidates.push(Math.max(result.nextDueAt, now + MIN_GAP_MS));
  return candidates.length === 0 ? null : Math.min(...candidates);
}
