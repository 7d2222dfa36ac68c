// The search's agenda (as in Porcupine): call and return entries of all ops in
// time order, in a doubly linked list from which linearized ops are lifted and
// restored in O(1) (dancing links). Walking from the head, the call entries met
// before the first return entry are exactly the ops that may be linearized next.

/** Entry ids: call of op i is 2i, its return 2i + 1. `END` ends the list. */
export const END = -1;

export class EntryList {
  private readonly head: number;
  private readonly nextOf: Int32Array;
  private readonly prevOf: Int32Array;

  /**
   * `ret[i] === null` means op i has no return entry (an unknown outcome: it may
   * take effect arbitrarily late). On equal timestamps calls sort first, so ops
   * that touch count as concurrent: that can only accept more histories.
   */
  constructor(
    call: readonly number[],
    private readonly ret: readonly (number | null)[],
  ) {
    const n = call.length;
    const entries: number[] = [];
    for (let i = 0; i < n; i++) {
      entries.push(2 * i);
      if (ret[i] !== null) entries.push(2 * i + 1);
    }
    const time = (e: number) => (e & 1 ? ret[e >> 1]! : call[e >> 1]!);
    entries.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
    this.head = 2 * n;
    this.nextOf = new Int32Array(2 * n + 1).fill(END);
    this.prevOf = new Int32Array(2 * n + 1).fill(END);
    let last = this.head;
    for (const e of entries) {
      this.nextOf[last] = e;
      this.prevOf[e] = last;
      last = e;
    }
  }

  first(): number {
    return this.nextOf[this.head]!;
  }

  next(entry: number): number {
    return this.nextOf[entry]!;
  }

  /** The entry after op i's call, valid while op i is in the list. */
  afterCall(i: number): number {
    return this.nextOf[2 * i]!;
  }

  /** Removes op i's entries. */
  lift(i: number): void {
    this.unlink(2 * i);
    if (this.ret[i] !== null) this.unlink(2 * i + 1);
  }

  /** Restores op i's entries; lifts must be undone in reverse order. */
  unlift(i: number): void {
    if (this.ret[i] !== null) this.relink(2 * i + 1);
    this.relink(2 * i);
  }

  private unlink(e: number): void {
    const [p, n] = [this.prevOf[e]!, this.nextOf[e]!];
    this.nextOf[p] = n;
    if (n !== END) this.prevOf[n] = p;
  }

  private relink(e: number): void {
    const [p, n] = [this.prevOf[e]!, this.nextOf[e]!];
    this.nextOf[p] = e;
    if (n !== END) this.prevOf[n] = e;
  }
}

export const isReturn = (entry: number): boolean => (entry & 1) === 1;
export const opOf = (entry: number): number => entry >> 1;
