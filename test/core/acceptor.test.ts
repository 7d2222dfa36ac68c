import { describe, expect, it } from "vitest";
import { handleRequest, type Slot } from "../../src/core/acceptor.js";
import type { Ballot } from "../../src/core/ballot.js";
import type { Accept, AcceptorRequest, Peek, Prepare } from "../../src/core/messages.js";
import type { RegisterState } from "../../src/core/register.js";
import { MemoryStore } from "./memory-store.js";

const K = "key";
const b = (counter: number, proposer = "p"): Ballot => ({ counter, proposer });
const prepare = (ballot: Ballot): Prepare => ({ type: "prepare", key: K, ballot });
const accept = (ballot: Ballot, state: RegisterState | null, promiseNext?: Ballot): Accept =>
  promiseNext === undefined
    ? { type: "accept", key: K, ballot, state }
    : { type: "accept", key: K, ballot, state, promiseNext };
const peek: Peek = { type: "peek", key: K };
const st = (version: number, text: string, origin = "o"): RegisterState => ({
  version,
  value: new TextEncoder().encode(text),
  contentType: "text/plain",
  origin,
});

function storeWith(slot: Slot): MemoryStore {
  const store = new MemoryStore();
  store.slots.set(K, slot);
  return store;
}

describe("acceptor: prepare", () => {
  it("on an empty slot promises, reports nothing accepted, and writes the promise", () => {
    const store = new MemoryStore();
    expect(handleRequest(store, prepare(b(5)))).toEqual({ type: "promised", accepted: null, state: null });
    expect(store.writes).toBe(1);
    expect(store.read(K)).toEqual({ promised: b(5), accepted: null, state: null });
  });

  it("a higher prepare replaces the promise and reports the accepted state", () => {
    const store = storeWith({ promised: b(5), accepted: b(3), state: st(1, "x") });
    expect(handleRequest(store, prepare(b(6)))).toEqual({ type: "promised", accepted: b(3), state: st(1, "x") });
    expect(store.writes).toBe(1);
    expect(store.read(K)?.promised).toEqual(b(6));
  });

  it("the proposer id breaks ties: same counter, higher id is a higher prepare", () => {
    const store = storeWith({ promised: b(5, "a"), accepted: null, state: null });
    expect(handleRequest(store, prepare(b(5, "b"))).type).toBe("promised");
    expect(handleRequest(store, prepare(b(5, "a")))).toEqual({ type: "rejected", promised: b(5, "b"), accepted: null });
  });

  it("a lower prepare is rejected with the ballots seen, and writes nothing", () => {
    const store = storeWith({ promised: b(9), accepted: b(4), state: st(2, "x") });
    expect(handleRequest(store, prepare(b(8)))).toEqual({ type: "rejected", promised: b(9), accepted: b(4) });
    expect(store.writes).toBe(0);
    expect(store.read(K)?.promised).toEqual(b(9));
  });

  it("a repeat of the promised prepare is answered again without a write", () => {
    const store = storeWith({ promised: b(7), accepted: b(3), state: st(1, "x") });
    const reply = handleRequest(store, prepare(b(7)));
    expect(reply).toEqual({ type: "promised", accepted: b(3), state: st(1, "x") });
    expect(store.writes).toBe(0);
  });

  it("a prepare at or below the accepted ballot is rejected", () => {
    const store = storeWith({ promised: null, accepted: b(7), state: st(1, "x") });
    expect(handleRequest(store, prepare(b(7)))).toEqual({ type: "rejected", promised: null, accepted: b(7) });
    expect(handleRequest(store, prepare(b(6)))).toEqual({ type: "rejected", promised: null, accepted: b(7) });
    expect(store.writes).toBe(0);
  });
});

describe("acceptor: accept", () => {
  it("at the promised ballot stores the state and clears the promise", () => {
    const store = storeWith({ promised: b(5), accepted: null, state: null });
    expect(handleRequest(store, accept(b(5), st(1, "x")))).toEqual({ type: "accepted" });
    expect(store.writes).toBe(1);
    expect(store.read(K)).toEqual({ promised: null, accepted: b(5), state: st(1, "x") });
  });

  it("above the promise (and on an empty slot) is accepted too", () => {
    const store = storeWith({ promised: b(5), accepted: null, state: null });
    expect(handleRequest(store, accept(b(6), st(1, "x"))).type).toBe("accepted");
    const empty = new MemoryStore();
    expect(handleRequest(empty, accept(b(1), st(1, "y"))).type).toBe("accepted");
    expect(empty.read(K)).toEqual({ promised: null, accepted: b(1), state: st(1, "y") });
  });

  it("below the promise is rejected with the ballots seen, and writes nothing", () => {
    const store = storeWith({ promised: b(5), accepted: b(2), state: st(1, "x") });
    expect(handleRequest(store, accept(b(4), st(2, "y")))).toEqual({ type: "rejected", promised: b(5), accepted: b(2) });
    expect(store.writes).toBe(0);
    expect(store.read(K)?.state).toEqual(st(1, "x"));
  });

  it("below the accepted ballot is rejected even with no promise held", () => {
    const store = storeWith({ promised: null, accepted: b(5), state: st(1, "x") });
    expect(handleRequest(store, accept(b(4), st(2, "y")))).toEqual({ type: "rejected", promised: null, accepted: b(5) });
    expect(store.writes).toBe(0);
    expect(store.read(K)?.state).toEqual(st(1, "x"));
  });

  it("equal to the accepted ballot is confirmed without change, even carrying a different state", () => {
    const store = storeWith({ promised: null, accepted: b(5), state: st(1, "x") });
    expect(handleRequest(store, accept(b(5), st(1, "x")))).toEqual({ type: "accepted" });
    expect(handleRequest(store, accept(b(5), st(9, "DIFFERENT", "other")))).toEqual({ type: "accepted" });
    expect(store.writes).toBe(0);
    expect(store.read(K)).toEqual({ promised: null, accepted: b(5), state: st(1, "x") });
  });

  it("promiseNext above the ballot becomes the promise", () => {
    const store = storeWith({ promised: b(5), accepted: null, state: null });
    expect(handleRequest(store, accept(b(5), st(1, "x"), b(6))).type).toBe("accepted");
    expect(store.writes).toBe(1);
    expect(store.read(K)).toEqual({ promised: b(6), accepted: b(5), state: st(1, "x") });
    // A prepare between the accepted ballot and the piggybacked promise is now rejected...
    expect(handleRequest(store, prepare(b(5, "q")))).toEqual({ type: "rejected", promised: b(6), accepted: b(5) });
    // ...and so is an accept from a competitor in that gap...
    expect(handleRequest(store, accept(b(5, "q"), st(1, "q")))).toEqual({
      type: "rejected",
      promised: b(6),
      accepted: b(5),
    });
    // ...while the promised proposer's accept at promiseNext goes straight through (no prepare needed).
    expect(handleRequest(store, accept(b(6), st(2, "y")))).toEqual({ type: "accepted" });
    expect(store.read(K)).toEqual({ promised: null, accepted: b(6), state: st(2, "y") });
  });

  it("promiseNext at or below the ballot is ignored", () => {
    const equal = storeWith({ promised: b(5), accepted: null, state: null });
    handleRequest(equal, accept(b(5), st(1, "x"), b(5)));
    expect(equal.read(K)?.promised).toBeNull();

    const lower = storeWith({ promised: b(5), accepted: null, state: null });
    handleRequest(lower, accept(b(5), st(1, "x"), b(2)));
    expect(lower.read(K)).toEqual({ promised: null, accepted: b(5), state: st(1, "x") });
    // The ignored promise does not block a prepare above the accepted ballot.
    expect(handleRequest(lower, prepare(b(3))).type).toBe("rejected");
    expect(handleRequest(lower, prepare(b(6))).type).toBe("promised");
  });
});

describe("acceptor: peek", () => {
  it("returns the accepted ballot and state, and never writes", () => {
    const store = storeWith({ promised: b(9), accepted: b(4), state: st(2, "x") });
    expect(handleRequest(store, peek)).toEqual({ type: "peeked", accepted: b(4), state: st(2, "x") });
    const empty = new MemoryStore();
    expect(handleRequest(empty, peek)).toEqual({ type: "peeked", accepted: null, state: null });
    expect(store.writes + empty.writes).toBe(0);
    expect(empty.read(K)).toBeUndefined();
  });

  it("does not promise anything: a prepare below the peek's time still goes through", () => {
    const store = storeWith({ promised: null, accepted: b(4), state: st(2, "x") });
    handleRequest(store, peek);
    expect(handleRequest(store, prepare(b(5))).type).toBe("promised");
  });
});

describe("acceptor: idempotence under duplicates", () => {
  const starts: Array<[string, Slot | undefined]> = [
    ["an empty slot", undefined],
    ["a promised slot", { promised: b(5), accepted: null, state: null }],
    ["an accepted slot", { promised: null, accepted: b(5), state: st(1, "x") }],
    ["an accepted slot holding a higher promise", { promised: b(8), accepted: b(5), state: st(1, "x") }],
  ];
  const messages: Array<[string, AcceptorRequest]> = [
    ["prepare(6)", prepare(b(6))],
    ["prepare(5)", prepare(b(5))],
    ["prepare(4)", prepare(b(4))],
    ["accept(6)", accept(b(6), st(2, "y"))],
    ["accept(5)", accept(b(5), st(1, "x"))],
    ["accept(4)", accept(b(4), st(2, "y"))],
    ["accept(6) with promiseNext 7", accept(b(6), st(2, "y"), b(7))],
    ["peek", peek],
  ];

  for (const [startName, start] of starts) {
    for (const [messageName, message] of messages) {
      it(`${messageName} on ${startName}: the duplicate gets the same reply and leaves the same slot`, () => {
        const store = new MemoryStore();
        if (start !== undefined) store.slots.set(K, start);
        const first = handleRequest(store, message);
        const afterFirst = store.snapshot();
        const writes = store.writes;
        const second = handleRequest(store, message);
        expect(second).toEqual(first);
        expect(store.snapshot()).toEqual(afterFirst);
        expect(store.writes).toBe(writes); // the repeat costs no write
      });
    }
  }
});

describe("acceptor: keys are independent", () => {
  it("a promise on one key does not affect another", () => {
    const store = new MemoryStore();
    handleRequest(store, { type: "prepare", key: "a", ballot: b(9) });
    expect(handleRequest(store, { type: "prepare", key: "b", ballot: b(1) }).type).toBe("promised");
    expect(store.read("a")?.promised).toEqual(b(9));
    expect(store.read("b")?.promised).toEqual(b(1));
  });
});
