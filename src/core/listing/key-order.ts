/**
 * Key order for listings: by UTF-8 bytes, which is code point order (SQLite compares TEXT that way, so acceptors
 * and proposers agree). JavaScript's `<` compares UTF-16 code units instead, which differs above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (U+D800..U+DFFF) stands for a code point above U+FFFF: it sorts above every other unit there.
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit;
}

/**
 * The smallest string above every string that starts with `prefix` (in key order), or null when there is none
 * (an empty prefix, or one of only U+10FFFF): keys under `prefix` are exactly those in [prefix, prefixEnd(prefix)).
 * Made by raising the last code point that can be raised and dropping what follows it.
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix, (c) => c.codePointAt(0) as number);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last >= 0x10ffff) continue;
    // Past the surrogate range, which no string of scalar values contains.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return null;
}

/** Whether `key` is in the range of keys under `prefix` after `after`. */
export function inRange(key: string, prefix: string, after: string | null): boolean {
  return key.startsWith(prefix) && (after === null || compareKeys(key, after) > 0);
}
