import type { Ballot } from "./ballot.js";
import type { Register } from "./register.js";

/** A ballot a majority already promised us (piggybacked on our last accept), with the state that accept chose. */
export interface HeldPromise {
  readonly ballot: Ballot;
  readonly state: Register;
  /** When the promise was granted (proposer clock); old promises are checked before use. */
  readonly since?: number;
  /** The ballot `state` was accepted at, to check that it is still the accepted one. */
  readonly acceptedAt?: Ballot;
  /**
   * The epoch of the route that granted it. A promise is void in any other epoch: it was granted by the quorum of that
   * epoch, which need not be one of the next (a joint epoch also needs a majority of the new group).
   */
  readonly epoch?: number;
}

/**
 * Per-key piggybacked promises of one proposer, bounded (oldest evicted first). An entry is used at most once:
 * `take` removes it, so two concurrent changes of a key never reuse one ballot.
 */
export class PromiseCache {
  private readonly entries = new Map<string, HeldPromise>();

  constructor(private readonly capacity: number) {}

  take(key: string): HeldPromise | undefined {
    const held = this.entries.get(key);
    if (held !== undefined) this.entries.delete(key);
    return held;
  }

  put(key: string, held: HeldPromise): void {
    this.entries.delete(key);
    this.entries.set(key, held);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  drop(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
