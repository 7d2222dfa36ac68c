import { describe, expect, it } from "vitest";
import { handleRequest } from "../../src/core/acceptor.js";
import type { Ballot } from "../../src/core/ballot.js";
import { vshardOf } from "../../src/core/layout/vshard.js";
import type { AcceptorRequest } from "../../src/core/messages.js";
import type { RegisterState } from "../../src/core/register.js";
import { MemoryStore } from "./memory-store.js";

const K = "key";
const V = vshardOf(K);
const b = (counter: number, proposer = "p"): Ballot => ({ counter, proposer });
const st = (version: number): RegisterState => ({ version, value: new Uint8Array([version]), contentType: "x", origin: `o${version}` });

/** Every keyed message, at an epoch (absent: a proposer from before epochs). */
function keyed(epoch?: number): AcceptorRequest[] {
  const e = epoch === undefined ? {} : { epoch };
  return [
    { type: "prepare", key: K, ballot: b(9), ...e },
    { type: "accept", key: K, ballot: b(9), state: st(2), ...e },
    { type: "peek", key: K, ...e },
    { type: "forget", key: K, ballot: b(1), ...e },
  ];
}

function storeAt(epoch: number): MemoryStore {
  const store = new MemoryStore();
  store.slots.set(K, { promised: null, accepted: b(1), state: st(1) });
  if (epoch > 0) handleRequest(store, { type: "install", vshards: [V], epoch });
  return store;
}

describe("acceptor: epoch fencing", () => {
  it("serves every message of a store that never saw an install, with or without an epoch (rows from before epochs)", () => {
    for (const request of [...keyed(), ...keyed(1)]) {
      expect(handleRequest(storeAt(0), request).type, request.type).not.toBe("stale");
    }
  });

  it("refuses a message older than the installed epoch, naming that epoch, and changes nothing", () => {
    for (const request of [...keyed(), ...keyed(2)]) {
      const store = storeAt(3);
      const before = store.snapshot();
      const writes = store.writes;
      expect(handleRequest(store, request), request.type).toEqual({ type: "stale", epoch: 3 });
      expect(store.snapshot()).toEqual(before);
      expect(store.writes).toBe(writes);
    }
  });

  it("serves the installed epoch and newer ones", () => {
    for (const epoch of [3, 4]) {
      expect(handleRequest(storeAt(3), { type: "prepare", key: K, ballot: b(9), epoch })).toEqual({ type: "promised", accepted: b(1), state: st(1) });
    }
  });

  it("fences by the key's own vshard: an install for other vshards leaves the key served", () => {
    const store = storeAt(0);
    handleRequest(store, { type: "install", vshards: [(V + 1) % 4096, (V + 2) % 4096], epoch: 7 });
    expect(handleRequest(store, { type: "peek", key: K, epoch: 1 }).type).toBe("peeked");
  });

  it("an install never lowers the epoch, and a repeat writes nothing", () => {
    const store = storeAt(5);
    const writes = store.writes;
    expect(handleRequest(store, { type: "install", vshards: [V], epoch: 4 })).toEqual({ type: "installed" });
    expect(handleRequest(store, { type: "install", vshards: [V], epoch: 5 })).toEqual({ type: "installed" });
    expect(store.writes).toBe(writes);
    expect(store.minEpoch(V)).toBe(5);
  });

  it("an install with a floor raises the floor of keys without a row, so a moved forgotten key keeps its versions", () => {
    const store = new MemoryStore();
    handleRequest(store, { type: "install", vshards: [V], epoch: 2, floor: { ballot: b(40), version: 6 } });
    // The key reads as collected at version 6, promised at the floor's ballot: a create continues at 7, and a delayed
    // accept from before the move (ballot 30) is refused.
    expect(handleRequest(store, { type: "prepare", key: K, ballot: b(50), epoch: 2 })).toMatchObject({ type: "promised", accepted: null, state: { version: 6, value: null } });
    const fresh = new MemoryStore();
    handleRequest(fresh, { type: "install", vshards: [V], epoch: 2, floor: { ballot: b(40), version: 6 } });
    expect(handleRequest(fresh, { type: "accept", key: K, ballot: b(30), state: st(1), epoch: 2 }).type).toBe("rejected");
  });
});

describe("acceptor: listing keys of vshards", () => {
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const store = new MemoryStore();
  for (const k of keys) store.slots.set(k, { promised: null, accepted: b(1), state: st(1) });
  store.floors.set("all", { ballot: b(3), version: 4 });
  const wanted = [...new Set(keys.slice(0, 10).map(vshardOf))];

  it("pages through every row and returns exactly the keys of the listed vshards, with the highest floor", () => {
    const found: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const reply = handleRequest(store, { type: "list", vshards: wanted, after, limit: 7 });
      if (reply.type !== "listed") throw new Error(reply.type);
      expect(reply.floor).toEqual({ ballot: b(3), version: 4 });
      found.push(...reply.keys);
      after = reply.next;
      pages++;
    } while (after !== null);
    expect(pages).toBe(Math.ceil(40 / 7) + (40 % 7 === 0 ? 1 : 0));
    expect(found.sort()).toEqual(keys.filter((k) => wanted.includes(vshardOf(k))).sort());
  });
});
