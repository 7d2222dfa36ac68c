import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareKeys, inRange, prefixEnd } from "../../../src/core/listing/key-order.js";

const byBytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
/** Strings of whole code points from all the planes that matter (ASCII, BMP around the surrogates, astral). */
const text = fc.string({ unit: fc.constantFrom("a", "b", "é", "\uD7FF", "\uE000", "\uFFFF", "😀", "\u{10FFFF}", "/"), maxLength: 5 });

describe("key order", () => {
  it("compareKeys is UTF-8 byte order (not UTF-16 order)", () => {
    expect(compareKeys("\uFFFF", "😀")).toBeLessThan(0);
    expect("\uFFFF" < "😀").toBe(false);
    fc.assert(fc.property(text, text, (a, b) => {
      expect(Math.sign(compareKeys(a, b))).toBe(byBytes(a, b));
    }), { numRuns: 2000 });
  });

  it("prefixEnd bounds exactly the keys under a prefix", () => {
    expect(prefixEnd("")).toBeNull();
    expect(prefixEnd("a/")).toBe("a0");
    expect(prefixEnd("a\u{10FFFF}")).toBe("b");
    expect(prefixEnd("\uD7FF")).toBe("\uE000");
    fc.assert(
      fc.property(text, text, (prefix, key) => {
        const end = prefixEnd(prefix);
        const under = compareKeys(key, prefix) >= 0 && (end === null || compareKeys(key, end) < 0);
        expect(under).toBe(key.startsWith(prefix));
      }),
      { numRuns: 3000 },
    );
  });

  it("inRange: under the prefix and after the cursor", () => {
    expect(inRange("a/b", "a/", null)).toBe(true);
    expect(inRange("a/b", "a/", "a/b")).toBe(false);
    expect(inRange("a/c", "a/", "a/b")).toBe(true);
    expect(inRange("b", "a/", null)).toBe(false);
  });
});
