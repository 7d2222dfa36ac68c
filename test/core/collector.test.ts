import { describe, expect, it } from "vitest";
import { absentSlot, handleRequest, NO_FLOOR } from "../../src/core/acceptor.js";
import { BallotIssuer, type Ballot } from "../../src/core/ballot.js";
import { create, remove, write } from "../../src/core/change.js";
import { collect } from "../../src/core/collector.js";
import type { Accept } from "../../src/core/messages.js";
import type { Outcome } from "../../src/core/proposer.js";
import type { Register, RegisterState } from "../../src/core/register.js";
import { Cluster, Link } from "./harness.js";
import { MemoryStore } from "./memory-store.js";

const enc = (s: string) => new TextEncoder().encode(s);
const b = (counter: number, proposer = "p"): Ballot => ({ counter, proposer });
const live = (version: number, text: string): RegisterState => ({ version, value: enc(text), contentType: "text/plain", origin: "o" });
const tomb = (version: number): RegisterState => ({ version, value: null, contentType: "", origin: "o" });

function applied(outcome: Outcome): Register {
  if (outcome.kind !== "applied") throw new Error(`expected applied, got ${JSON.stringify(outcome)}`);
  return outcome.state;
}

describe("acceptor: forgotten rows and floors", () => {
  it("forget removes a tombstone accepted at the given ballot and raises the bucket's floor", () => {
    const store = new MemoryStore();
    store.slots.set("k", { promised: b(9), accepted: b(7), state: tomb(4) });
    expect(handleRequest(store, { type: "forget", key: "k", ballot: b(7) })).toEqual({ type: "forgotten" });
    expect(store.read("k")).toBeUndefined();
    // The outstanding promise is kept in the floor: the forgotten row refuses what the row refused.
    expect(store.floor("k")).toEqual({ ballot: b(9), version: 4 });
  });

  it("forget keeps a row that changed since (another ballot, or a live value) and says so", () => {
    const store = new MemoryStore();
    store.slots.set("k", { promised: null, accepted: b(8), state: tomb(4) });
    store.slots.set("v", { promised: null, accepted: b(7), state: live(3, "x") });
    expect(handleRequest(store, { type: "forget", key: "k", ballot: b(7) })).toEqual({ type: "rejected", promised: null, accepted: b(8) });
    expect(handleRequest(store, { type: "forget", key: "v", ballot: b(7) }).type).toBe("rejected");
    expect(store.slots.size).toBe(2);
    expect(store.floor("k")).toEqual(NO_FLOOR);
  });

  it("forget of a missing row is answered again (duplicates are harmless) and writes nothing", () => {
    const store = new MemoryStore();
    expect(handleRequest(store, { type: "forget", key: "k", ballot: b(7) })).toEqual({ type: "forgotten" });
    expect(store.writes).toBe(0);
  });

  it("a floor only ever rises", () => {
    const store = new MemoryStore();
    store.slots.set("a", { promised: null, accepted: b(20), state: tomb(9) });
    store.slots.set("b", { promised: null, accepted: b(10), state: tomb(2) });
    handleRequest(store, { type: "forget", key: "a", ballot: b(20) });
    handleRequest(store, { type: "forget", key: "b", ballot: b(10) });
    expect(store.floor("x")).toEqual({ ballot: b(20), version: 9 });
  });

  it("a missing row under a floor reads as a tombstone at the floor's version, accepted at no ballot", () => {
    const floor = { ballot: b(20), version: 9 };
    expect(absentSlot(floor)).toEqual({ promised: b(20), accepted: null, state: { version: 9, value: null, contentType: "", origin: "" } });
    expect(absentSlot(NO_FLOOR)).toEqual({ promised: null, accepted: null, state: null });
  });

  it("after forgetting, a delayed accept of the deleted value (older ballot) is refused and leaves no row", () => {
    const store = new MemoryStore();
    store.slots.set("k", { promised: null, accepted: b(7), state: tomb(4) });
    handleRequest(store, { type: "forget", key: "k", ballot: b(7) });
    const stale: Accept = { type: "accept", key: "k", ballot: b(5), state: live(3, "deleted value") };
    expect(handleRequest(store, stale)).toEqual({ type: "rejected", promised: b(7), accepted: null });
    expect(handleRequest(store, { type: "prepare", key: "k", ballot: b(6) }).type).toBe("rejected");
    expect(store.read("k")).toBeUndefined();
  });

  it("after forgetting, a newer prepare is promised with the floor's tombstone and nothing accepted", () => {
    const store = new MemoryStore();
    store.slots.set("k", { promised: null, accepted: b(7), state: tomb(4) });
    handleRequest(store, { type: "forget", key: "k", ballot: b(7) });
    expect(handleRequest(store, { type: "prepare", key: "k", ballot: b(8) })).toEqual({
      type: "promised",
      accepted: null,
      state: { version: 4, value: null, contentType: "", origin: "" },
    });
    // A key never written, in the same bucket, reads the same way (its versions start above the floor too).
    expect(handleRequest(store, { type: "peek", key: "other" })).toEqual({
      type: "peeked",
      accepted: null,
      state: { version: 4, value: null, contentType: "", origin: "" },
    });
  });
});

describe("collector", () => {
  function setup(n = 3) {
    const cluster = new Cluster(n);
    const { proposer, link } = cluster.proposer("p");
    const gcLink = new Link(cluster.stores, cluster.clock);
    const deps = { acceptors: n, transport: gcLink, clock: cluster.clock, ballots: new BallotIssuer("gc", () => cluster.clock.now()), roundTimeoutMs: 50 };
    return { cluster, proposer, link, gcLink, deps };
  }

  it("collects a deleted key on every acceptor; recreating it continues above its old version", async () => {
    const { cluster, proposer, deps } = setup();
    applied(await proposer.change("k", write(enc("a"), "text/plain")));
    applied(await proposer.change("k", write(enc("b"), "text/plain")));
    applied(await proposer.change("k", remove()));
    expect(await cluster.clock.runUntil(collect("k", deps))).toEqual({ kind: "collected" });
    for (const store of cluster.stores) {
      expect(store.read("k")).toBeUndefined();
      expect(store.floor("k").version).toBe(3);
    }
    expect(applied(await cluster.clock.runUntil(proposer.read("k")))?.value ?? null).toBeNull();
    const recreated = applied(await cluster.clock.runUntil(proposer.change("k", create(enc("c"), "text/plain"))));
    expect(recreated?.version).toBe(4);
  });

  it("leaves a live key alone", async () => {
    const { cluster, proposer, deps, gcLink } = setup();
    applied(await proposer.change("k", write(enc("a"), "text/plain")));
    expect(await cluster.clock.runUntil(collect("k", deps))).toEqual({ kind: "live" });
    expect(gcLink.count("accept") + gcLink.count("forget")).toBe(0);
    for (const store of cluster.stores) expect(store.read("k")?.state?.version).toBe(1);
  });

  it("with one acceptor down it removes nothing anywhere and asks to retry", async () => {
    const { cluster, proposer, deps, gcLink } = setup();
    applied(await proposer.change("k", write(enc("a"), "text/plain")));
    applied(await proposer.change("k", remove()));
    gcLink.set({ 2: "fail" });
    expect((await cluster.clock.runUntil(collect("k", deps))).kind).toBe("retry");
    expect(gcLink.count("forget")).toBe(0);
    for (const i of [0, 1]) expect(cluster.stores[i]!.read("k")).toBeDefined();
    gcLink.set({});
    expect(await cluster.clock.runUntil(collect("k", deps))).toEqual({ kind: "collected" });
  });

  it("brings a lagging acceptor's old value up to the tombstone before anyone forgets", async () => {
    const { cluster, proposer, link, deps } = setup();
    applied(await proposer.change("k", write(enc("old"), "text/plain")));
    // Acceptor 2 misses the delete: it still holds the old value.
    link.set({ 2: "fail" });
    applied(await proposer.change("k", remove()));
    expect(cluster.stores[2]!.read("k")?.state?.value).not.toBeNull();
    expect(await cluster.clock.runUntil(collect("k", deps))).toEqual({ kind: "collected" });
    for (const store of cluster.stores) expect(store.read("k")).toBeUndefined();
    // No majority can bring "old" back now.
    link.set({});
    expect(applied(await cluster.clock.runUntil(proposer.read("k")))?.value ?? null).toBeNull();
  });

  it("a forget that finds a newer change keeps the row and reports the key live", async () => {
    const { cluster, proposer, deps, gcLink } = setup();
    applied(await proposer.change("k", write(enc("a"), "text/plain")));
    applied(await proposer.change("k", remove()));
    // The recreate lands between the collector's accept and its forget: forgets are held until it is done.
    let recreate: Promise<Outcome> | undefined;
    gcLink.rule = (_, request) => {
      if (request.type !== "forget") return "ok";
      recreate ??= cluster.clock.runUntil(proposer.change("k", create(enc("again"), "text/plain")));
      return { delayMs: 30 };
    };
    const outcome = await cluster.clock.runUntil(collect("k", deps));
    expect(applied(await recreate!)?.version).toBe(3);
    expect(outcome).toEqual({ kind: "live" });
    const read = applied(await cluster.clock.runUntil(proposer.read("k")));
    expect(read?.value === null || read === null ? null : new TextDecoder().decode(read.value)).toBe("again");
  });
});
