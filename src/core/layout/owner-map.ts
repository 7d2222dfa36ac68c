import type { Owner, OwnerRange } from "./layout.js";
import { VSHARD_COUNT } from "./vshard.js";

/** The range holding a position, by binary search over sorted, contiguous ranges. */
export function ownerRangeAt(owners: readonly OwnerRange[], position: number): OwnerRange {
  let low = 0;
  let high = owners.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const range = owners[mid]!;
    if (position < range.from) high = mid - 1;
    else if (position >= range.to) low = mid + 1;
    else return range;
  }
  throw new Error(`no owner for position ${position}`);
}

export function sameOwner(a: Owner, b: Owner): boolean {
  if ("old" in a) return "old" in b && a.old === b.old && a.new === b.new;
  return "group" in b && a.group === b.group;
}

/** Merges adjacent ranges of the same owner and epoch: the one canonical form, so equal layouts encode equally. */
export function mergeOwners(ranges: readonly OwnerRange[]): OwnerRange[] {
  const merged: OwnerRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.to === range.from && last.since === range.since && sameOwner(last.owner, range.owner)) {
      merged[merged.length - 1] = { ...last, to: range.to };
    } else {
      merged.push(range);
    }
  }
  return merged;
}

/** A range of positions with some value: the common shape of owner ranges and of a change's target. */
export interface Span<T> {
  readonly from: number;
  readonly to: number;
  readonly value: T;
}

/**
 * Two coverings of [0, VSHARD_COUNT) laid over each other: one span per stretch where neither changes, with the
 * value of each. Both must be sorted and contiguous from 0 to VSHARD_COUNT.
 */
export function overlay<A, B>(a: readonly Span<A>[], b: readonly Span<B>[]): Span<[A, B]>[] {
  const out: Span<[A, B]>[] = [];
  let i = 0;
  let j = 0;
  let at = 0;
  while (at < VSHARD_COUNT) {
    const x = a[i]!;
    const y = b[j]!;
    const to = Math.min(x.to, y.to);
    out.push({ from: at, to, value: [x.value, y.value] });
    at = to;
    if (x.to === to) i++;
    if (y.to === to) j++;
  }
  return out;
}

export function spansOf(owners: readonly OwnerRange[]): Span<OwnerRange>[] {
  return owners.map((range) => ({ from: range.from, to: range.to, value: range }));
}

/** How many positions of the ranges satisfy `test`. */
export function countPositions(owners: readonly OwnerRange[], test: (range: OwnerRange) => boolean): number {
  return owners.reduce((sum, range) => (test(range) ? sum + range.to - range.from : sum), 0);
}
