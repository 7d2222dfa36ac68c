import { describe, expect, it } from "vitest";
import type { Ballot } from "../../src/core/ballot.js";
import { PromiseCache, type HeldPromise } from "../../src/core/promise-cache.js";

const held = (counter: number): HeldPromise => ({ ballot: { counter, proposer: "p" } as Ballot, state: null });

describe("PromiseCache", () => {
  it("take returns the entry once and removes it", () => {
    const cache = new PromiseCache(4);
    cache.put("k", held(1));
    expect(cache.size).toBe(1);
    expect(cache.take("k")).toEqual(held(1));
    expect(cache.take("k")).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.take("never")).toBeUndefined();
  });

  it("put replaces an older entry of the same key", () => {
    const cache = new PromiseCache(4);
    cache.put("k", held(1));
    cache.put("k", held(2));
    expect(cache.size).toBe(1);
    expect(cache.take("k")).toEqual(held(2));
  });

  it("is bounded: the oldest put is evicted first", () => {
    const cache = new PromiseCache(2);
    cache.put("a", held(1));
    cache.put("b", held(2));
    cache.put("c", held(3));
    expect(cache.size).toBe(2);
    expect(cache.take("a")).toBeUndefined();
    expect(cache.take("b")).toEqual(held(2));
    expect(cache.take("c")).toEqual(held(3));
  });

  it("re-putting a key makes it the newest, so it survives the next eviction", () => {
    const cache = new PromiseCache(2);
    cache.put("a", held(1));
    cache.put("b", held(2));
    cache.put("a", held(3));
    cache.put("c", held(4));
    expect(cache.take("b")).toBeUndefined();
    expect(cache.take("a")).toEqual(held(3));
    expect(cache.take("c")).toEqual(held(4));
  });

  it("drop removes one key and leaves the others", () => {
    const cache = new PromiseCache(4);
    cache.put("a", held(1));
    cache.put("b", held(2));
    cache.drop("a");
    cache.drop("missing");
    expect(cache.size).toBe(1);
    expect(cache.take("a")).toBeUndefined();
    expect(cache.take("b")).toEqual(held(2));
  });
});
