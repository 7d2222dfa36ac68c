import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergePages, type AcceptorPage } from "../../../src/core/listing/merge-pages.js";

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** What an acceptor holding `keys` answers for a page after `after` of at most `limit` keys. */
function pageOf(keys: readonly string[], after: string | null, limit: number): AcceptorPage {
  const rest = [...keys].sort(byBytes).filter((k) => after === null || byBytes(k, after) > 0);
  return { keys: rest.slice(0, limit), full: rest.length >= limit };
}

describe("mergePages", () => {
  it("takes keys only up to the smallest last key of a full page", () => {
    // b's page is full at "c": "d" (on a only) may sit beside keys b has after "c", so it waits for the next step.
    const merged = mergePages(
      [
        { keys: ["a", "d"], full: false },
        { keys: ["b", "c"], full: true },
      ],
      byBytes,
    );
    expect(merged).toEqual({ candidates: ["a", "b", "c"], resumeAfter: "c" });
  });

  it("no full page: everything, and the listing is complete", () => {
    expect(mergePages([{ keys: ["b"], full: false }, { keys: ["a", "b"], full: false }], byBytes)).toEqual({ candidates: ["a", "b"], resumeAfter: null });
    expect(mergePages([], byBytes)).toEqual({ candidates: [], resumeAfter: null });
  });

  it("orders by UTF-8 bytes, as acceptors do", () => {
    expect(mergePages([{ keys: ["Z", "é"], full: false }, { keys: ["😀", "a"], full: false }], byBytes).candidates).toEqual(["Z", "a", "é", "😀"]);
  });

  it("property: stepping through pages visits every key any acceptor holds, each once, in order", () => {
    const key = fc.string({ unit: fc.constantFrom("a", "b", "c", "é"), minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(key, { maxLength: 12 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), (held, limit) => {
        const visited: string[] = [];
        let after: string | null = null;
        for (let step = 0; step < 200; step++) {
          const merged = mergePages(held.map((keys) => pageOf(keys, after, limit)), byBytes);
          visited.push(...merged.candidates);
          // Progress: a step that resumes must move the cursor forward.
          if (merged.resumeAfter !== null && after !== null) expect(byBytes(merged.resumeAfter, after)).toBeGreaterThan(0);
          after = merged.resumeAfter;
          if (after === null) break;
        }
        expect(after).toBeNull();
        const all = [...new Set(held.flat())].sort(byBytes);
        expect(visited).toEqual(all);
      }),
      { numRuns: 500 },
    );
  });
});
