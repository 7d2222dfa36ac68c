// Memo keys for the linearized ops of a search node (Lowe's memoisation).
// Completed ops are tracked individually; unknown ops of the same equivalence
// class (same effect on every state) are interchangeable, so only how many of
// each class were used matters. That collapses branches which differ only in
// which of several equivalent pending ops filled a slot.
//
// Two encodings:
// - hashed: additive 64-bit hash, O(1) per update and small keys; a collision can
//   only prune a branch, i.e. turn a pass into a spurious failure, never hide one;
// - exact: bits and counts verbatim, used to confirm failures from the hashed run.
import { mulberry32 } from "./rng.js";

export interface LinearizedSet {
  add(i: number): void;
  remove(i: number): void;
  /** Identifies the multiset of linearized op classes (exactly, or up to hash collisions). */
  key(): string;
}

/** Per op: -1 if the op is tracked individually, else its shared class id (0-based). */
export type OpClasses = readonly number[];

export class HashedSet implements LinearizedSet {
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private hashLo = 0;
  private hashHi = 0;

  constructor(classes: OpClasses) {
    const next = mulberry32(0x1234abcd);
    const classCount = countClasses(classes);
    const shared = Array.from({ length: classCount }, () => [next(), next()] as const);
    const per = classes.map((c) => (c < 0 ? ([next(), next()] as const) : shared[c]!));
    this.lo = Uint32Array.from(per, (p) => p[0]);
    this.hi = Uint32Array.from(per, (p) => p[1]);
  }

  add(i: number): void {
    this.hashLo = (this.hashLo + this.lo[i]!) >>> 0;
    this.hashHi = (this.hashHi + this.hi[i]!) >>> 0;
  }

  remove(i: number): void {
    this.hashLo = (this.hashLo - this.lo[i]!) >>> 0;
    this.hashHi = (this.hashHi - this.hi[i]!) >>> 0;
  }

  key(): string {
    return `${this.hashLo}.${this.hashHi}`;
  }
}

export class ExactSet implements LinearizedSet {
  // Code units: one per 16 individual ops (a bitset), then one count per class.
  private readonly units: Uint16Array;
  private readonly slot: Int32Array; // per op: bit index, or -(unit index) - 1 for a class counter
  private readonly bitUnits: number;

  constructor(classes: OpClasses) {
    const individual = classes.filter((c) => c < 0).length;
    const classCount = countClasses(classes);
    this.bitUnits = Math.ceil(individual / 16);
    this.units = new Uint16Array(this.bitUnits + classCount);
    let bit = 0;
    this.slot = Int32Array.from(classes, (c) => (c < 0 ? bit++ : -(this.bitUnits + c) - 1));
    if (classes.length > 0xffff) throw new Error("ExactSet: too many ops for 16-bit class counters");
  }

  add(i: number): void {
    this.update(i, 1);
  }

  remove(i: number): void {
    this.update(i, -1);
  }

  key(): string {
    let s = "";
    // Chunked to stay under argument-count limits.
    for (let i = 0; i < this.units.length; i += 4096) s += String.fromCharCode(...this.units.subarray(i, i + 4096));
    return s;
  }

  private update(i: number, delta: 1 | -1): void {
    const s = this.slot[i]!;
    if (s < 0) this.units[-s - 1]! += delta;
    else this.units[s >> 4]! ^= 1 << (s & 15);
  }
}

function countClasses(classes: OpClasses): number {
  return classes.reduce((m, c) => Math.max(m, c + 1), 0);
}
