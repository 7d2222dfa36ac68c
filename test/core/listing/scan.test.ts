import { describe, expect, it } from "vitest";
import { handleRequest } from "../../../src/core/acceptor.js";
import { MemoryStore } from "../memory-store.js";

describe("the acceptor's scan", () => {
  const store = new MemoryStore();
  for (const key of ["a/1", "a/2", "a/3", "b/1", "\u0001lock:a"]) store.slots.set(key, { promised: null, accepted: { counter: 1, proposer: "p" }, state: null });

  it("pages through the rows under a prefix after a cursor, tombstones and leftovers included, writing nothing", () => {
    const before = store.writes;
    expect(handleRequest(store, { type: "scan", prefix: "a/", after: null, limit: 2 })).toEqual({ type: "scanned", keys: ["a/1", "a/2"], versions: [0, 0], full: true, epoch: 0 });
    expect(handleRequest(store, { type: "scan", prefix: "a/", after: "a/2", limit: 2 })).toEqual({ type: "scanned", keys: ["a/3"], versions: [0], full: false, epoch: 0 });
    expect(handleRequest(store, { type: "scan", prefix: "", after: "a/3", limit: 5 })).toEqual({ type: "scanned", keys: ["b/1"], versions: [0], full: false, epoch: 0 });
    expect(handleRequest(store, { type: "scan", prefix: "b", after: "a", limit: 5 })).toEqual({ type: "scanned", keys: ["b/1"], versions: [0], full: false, epoch: 0 });
    expect(store.writes).toBe(before);
  });

  it("names the version of each key's accepted state, a tombstone's too (a prefix watch reads only the keys that moved)", () => {
    const versions = new MemoryStore();
    const ballot = { counter: 3, proposer: "p" };
    versions.slots.set("c/live", { promised: null, accepted: ballot, state: { version: 7, value: new Uint8Array([1]), contentType: "text/plain", origin: "o" } });
    versions.slots.set("c/gone", { promised: null, accepted: ballot, state: { version: 4, value: null, contentType: "", origin: "o" } });
    versions.slots.set("c/promised", { promised: ballot, accepted: null, state: null });
    expect(handleRequest(versions, { type: "scan", prefix: "c/", after: null, limit: 5 })).toMatchObject({ keys: ["c/gone", "c/live", "c/promised"], versions: [4, 7, 0] });
  });

  it("is not fenced: an acceptor that moved to a newer epoch still answers (nothing it says is taken without a read), naming the highest epoch it serves", () => {
    handleRequest(store, { type: "install", vshards: [0, 1, 2], epoch: 9 });
    expect(handleRequest(store, { type: "scan", prefix: "a/", after: "a/1", limit: 1 })).toEqual({ type: "scanned", keys: ["a/2"], versions: [0], full: true, epoch: 9 });
  });
});
