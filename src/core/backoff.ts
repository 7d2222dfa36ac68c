import type { Random } from "./ports.js";

export interface BackoffPolicy {
  /** Delay cap of the first retry; doubles with every further retry. */
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Randomised, growing delay before retry number `attempt` (1, 2, ...). Half the cap is fixed so the delay really
 * grows; the other half is random so competing proposers stop retrying in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: Random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return cap / 2 + random.next() * (cap / 2);
}
