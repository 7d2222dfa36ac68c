// Point-update / global-minimum segment tree. The checker keeps, per pending
// op, the register version it must observe; the minimum bounds how far the
// version may advance before some pending op becomes impossible.

export class MinTree {
  private readonly size: number;
  private readonly tree: Float64Array;

  constructor(values: readonly number[]) {
    let size = 1;
    while (size < values.length) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(Infinity);
    values.forEach((v, i) => (this.tree[size + i] = v));
    for (let p = size - 1; p >= 1; p--) this.tree[p] = Math.min(this.tree[2 * p]!, this.tree[2 * p + 1]!);
  }

  set(i: number, value: number): void {
    let p = this.size + i;
    this.tree[p] = value;
    for (p >>= 1; p >= 1; p >>= 1) this.tree[p] = Math.min(this.tree[2 * p]!, this.tree[2 * p + 1]!);
  }

  min(): number {
    return this.tree[1]!;
  }

  /** Index of a minimal value, or -1 if every value is Infinity. */
  argmin(): number {
    if (this.tree[1] === Infinity) return -1;
    let p = 1;
    while (p < this.size) p = this.tree[2 * p] === this.tree[p] ? 2 * p : 2 * p + 1;
    return p - this.size;
  }
}
