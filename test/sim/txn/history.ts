/**
 * What the bank's clients observed, in the checker's own vocabulary: every acknowledged operation with the versions
 * (and values) it read and wrote, and its call and return times. Operations whose outcome is unknown or that were
 * definitely not applied are kept apart: the checkers use them only where noted.
 */

/** A key at a version with its value (a balance; null: absent or deleted). */
export interface Seen {
  readonly key: string;
  readonly version: number;
  readonly value: number | null;
}

export interface Op {
  readonly id: number;
  readonly what: string;
  readonly call: number;
  readonly ret: number;
  /** Versions this op read (for a write, the version it wrote over, with the value there). */
  readonly reads: readonly Seen[];
  /** Versions this op produced. */
  readonly writes: readonly Seen[];
}

/** A transfer as the client asked for it, and how it ended. */
export interface Transfer {
  readonly txn: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
  readonly call: number;
  /**
   * committed (with succeeded), refused (409: definitely not applied), unavailable (503: definitely not applied),
   * unknown (504: maybe), killed (its coordinator died: maybe).
   */
  readonly ending: "succeeded" | "compare-failed" | "refused" | "unavailable" | "unknown" | "killed";
}

export class History {
  readonly ops: Op[] = [];
  readonly transfers: Transfer[] = [];
  /** Totals seen by the atomic reads of every account, with when they were made. */
  readonly totals: { readonly total: number; readonly call: number; readonly ret: number; readonly balances: readonly Seen[] }[] = [];

  add(op: Omit<Op, "id">): void {
    this.ops.push({ ...op, id: this.ops.length });
  }
}
