// Memo keys for the set of linearized ops (Lowe's memoisation). Two encodings:
// - hashed: 64-bit Zobrist hash, O(1) per update and small keys; a collision can
//   only prune a branch, i.e. turn a pass into a spurious failure, never hide one;
// - exact: the bitset itself, used to confirm any failure the hashed run reports.
import { mulberry32 } from "./rng.js";

export interface LinearizedSet {
  /** Adds op `i` if absent, removes it if present. */
  toggle(i: number): void;
  /** A string that identifies the current set (exactly, or up to hash collisions). */
  key(): string;
}

export class HashedSet implements LinearizedSet {
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private hashLo = 0;
  private hashHi = 0;

  constructor(n: number) {
    const next = mulberry32(0x1234abcd);
    this.lo = Uint32Array.from({ length: n }, next);
    this.hi = Uint32Array.from({ length: n }, next);
  }

  toggle(i: number): void {
    this.hashLo ^= this.lo[i]!;
    this.hashHi ^= this.hi[i]!;
  }

  key(): string {
    return `${this.hashLo >>> 0}.${this.hashHi >>> 0}`;
  }
}

export class ExactSet implements LinearizedSet {
  private readonly bits: Uint16Array;

  constructor(n: number) {
    this.bits = new Uint16Array(Math.ceil(n / 16));
  }

  toggle(i: number): void {
    this.bits[i >> 4]! ^= 1 << (i & 15);
  }

  key(): string {
    // One UTF-16 code unit per 16 ops; chunked to stay under argument limits.
    let s = "";
    for (let i = 0; i < this.bits.length; i += 4096) {
      s += String.fromCharCode(...this.bits.subarray(i, i + 4096));
    }
    return s;
  }
}
