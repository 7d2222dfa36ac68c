import { describe, expect, it } from "vitest";
import { SHARD_COUNT, acceptorObjectName, layoutOf, shardOf } from "../../src/cluster/placement.js";
import fc from "fast-check";
import { utf8Bytes } from "../../src/core/key-hash.js";

// Pins the key-to-acceptor mapping: if any of these change, existing keys would silently move to acceptors that
// never saw them. Changing them is a membership change, not a refactor.
describe("key placement", () => {
  it("has 16 shards", () => {
    expect(SHARD_COUNT).toBe(16);
  });

  it("is FNV-1a (32-bit) of the UTF-8 key modulo 16", () => {
    // Reference vectors of FNV-1a: "a" = 0xe40c292c, "foobar" = 0xbf9cf968.
    expect(shardOf("a")).toBe(0xe40c292c % 16);
    expect(shardOf("foobar")).toBe(0xbf9cf968 % 16);
  });

  it("maps keys to the same shards forever", () => {
    const pinned: Record<string, number> = {};
    for (const key of ["a", "b", "greeting", "user/42", "ü€", "k".repeat(512), "counter"]) pinned[key] = shardOf(key);
    expect(pinned).toEqual({
      a: 12,
      b: 5,
      greeting: 6,
      "user/42": 1,
      "ü€": 6,
      ["k".repeat(512)]: 5,
      counter: 3,
    });
  });

  it("spreads keys over every shard", () => {
    const counts = new Array<number>(SHARD_COUNT).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`key-${i}`)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });

  it("names objects by cluster, shard and acceptor index, and layouts by N and shard count", () => {
    expect(acceptorObjectName("main", 3, 1)).toBe("main/shard-3/acceptor-1");
    expect(layoutOf(3)).toBe("ballot-v1 acceptors=3 shards=16");
    expect(layoutOf(5)).not.toBe(layoutOf(3));
  });
});

describe("utf8Bytes", () => {
  it("is exactly TextEncoder's UTF-8 for any string (ASCII copied in JS, the rest encoded)", () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" })), (text) => {
        expect(Array.from(utf8Bytes(text))).toEqual(Array.from(encoder.encode(text)));
      }),
      { numRuns: 2000 },
    );
  });
});
