/**
 * What one proposer takes in at once. Past these bounds a change is refused at once (503 "overloaded" with
 * Retry-After) instead of queueing: queued work in one isolate finishes late for everyone, and a request that waits
 * without I/O of its own is the first to be starved (see docs/overload.md).
 */
export interface AdmissionLimits {
  /** Changes (reads that fall back to a change included) in flight in this proposer, waiting ones included. */
  readonly maxInFlight: number;
  /** Changes of one key in flight in this proposer: the one in its round plus those waiting behind it. */
  readonly maxPerKey: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = { maxInFlight: 128, maxPerKey: 256 };

/**
 * Counts admitted changes, in total and per key. Admission is first come first served: a change admitted is never
 * overtaken by one that came later (the per-key queue is FIFO, and its batch takes waiters in arrival order), and a
 * refused one holds no place, so nothing waits indefinitely.
 */
export class Admission {
  private inFlight = 0;
  private readonly perKey = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** Takes a place for a change of `key`; false when a bound is reached (the change must then be refused). */
  enter(key: string): boolean {
    const ofKey = this.perKey.get(key) ?? 0;
    if (this.inFlight >= this.limits.maxInFlight || ofKey >= this.limits.maxPerKey) return false;
    this.inFlight++;
    this.perKey.set(key, ofKey + 1);
    return true;
  }

  leave(key: string): void {
    this.inFlight--;
    const ofKey = (this.perKey.get(key) ?? 1) - 1;
    if (ofKey <= 0) this.perKey.delete(key);
    else this.perKey.set(key, ofKey);
  }

  get size(): number {
    return this.inFlight;
  }
}
