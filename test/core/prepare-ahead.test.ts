import { describe, expect, it } from "vitest";
import { create, increment, write } from "../../src/core/change.js";
import type { Outcome } from "../../src/core/proposer.js";
import { Cluster } from "./harness.js";

/**
 * Proposer.prepareAhead: phase 1 of a change to come, run early (a transaction's coordinator prepares its record's
 * commit while it places its intents). The change then takes one round; anyone who prepared in between makes that
 * accept fail, and the change is applied on top of what they wrote, never over it.
 */
const K = "\u0001txn:t1";
const enc = (s: string) => new TextEncoder().encode(s);
const text = (o: Outcome) => (o.kind === "applied" && o.state !== null && o.state.value !== null ? new TextDecoder().decode(o.state.value) : null);

function applied(o: Outcome): Extract<Outcome, { kind: "applied" }> {
  expect(o.kind, JSON.stringify(o)).toBe("applied");
  return o as Extract<Outcome, { kind: "applied" }>;
}

describe("proposer: prepare ahead", () => {
  it("a fresh key's change after it takes one round (the accept), sending no prepare", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    await proposer.prepareAhead(K);
    expect(link.count("prepare")).toBe(3);
    const change = applied(await proposer.change(K, create(enc("committed"), "t")));
    expect(change.stats.rounds).toBe(1);
    expect(change.stats.fastPath).toBe("piggyback");
    expect(link.count("prepare")).toBe(3);
    expect(change.state?.version).toBe(1);
    expect(change.previous).toBeNull();
  });

  it("without it, the same change takes two rounds", async () => {
    const cluster = new Cluster(3);
    const { proposer } = cluster.proposer("p");
    const change = applied(await proposer.change(K, create(enc("committed"), "t")));
    expect(change.stats.rounds).toBe(2);
    expect(change.stats.fastPath).toBeNull();
  });

  it("carries the state the majority holds: the change applies to it", async () => {
    const cluster = new Cluster(3);
    const { proposer: other } = cluster.proposer("q");
    applied(await other.change(K, write(enc("41"), "text/plain")));
    const { proposer } = cluster.proposer("p", { clockOffsetMs: 10_000 });
    await proposer.prepareAhead(K);
    const change = applied(await proposer.change(K, increment(1)));
    expect(change.stats.rounds).toBe(1);
    expect(text(change)).toBe("42");
    expect(change.state?.version).toBe(2);
  });

  it("another proposer's change in between: the early promise fails, and the change is applied on top of it", async () => {
    const cluster = new Cluster(3);
    const { proposer } = cluster.proposer("p");
    const { proposer: other } = cluster.proposer("q", { clockOffsetMs: 10_000 });
    await proposer.prepareAhead(K);
    // A resolver (say) writes the key at a higher ballot after our prepare.
    applied(await other.change(K, write(enc("aborted"), "text/plain")));
    const change = await cluster.clock.runUntil(proposer.change(K, create(enc("committed"), "t")));
    // `create` refuses a live key: the change saw the resolver's write, it did not overwrite it.
    expect(change.kind).toBe("refused");
    expect(change.stats.conflicts).toBe(1);
    const { proposer: reader } = cluster.proposer("r", { clockOffsetMs: 1_000_000 });
    expect(text(await cluster.clock.runUntil(reader.read(K)))).toBe("aborted");
  });

  it("a prepare that loses to a higher promise leaves nothing: the change prepares for itself", async () => {
    const cluster = new Cluster(3);
    const { proposer: other } = cluster.proposer("q", { clockOffsetMs: 10_000 });
    applied(await other.change(K, write(enc("x"), "text/plain")));
    const { proposer, link } = cluster.proposer("p");
    await proposer.prepareAhead(K); // its ballot is below q's piggybacked promise: refused by all
    const prepares = link.count("prepare");
    const change = applied(await cluster.clock.runUntil(proposer.change(K, write(enc("y"), "text/plain"))));
    expect(change.stats.fastPath).toBeNull();
    expect(link.count("prepare")).toBeGreaterThan(prepares);
    expect(change.state?.version).toBe(2);
  });

  it("never throws: with no majority reachable it returns, and the change reports unavailable", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    link.set({ 0: "fail", 1: "fail" });
    await expect(proposer.prepareAhead(K)).resolves.toBeUndefined();
    const change = await cluster.clock.runUntil(proposer.change(K, create(enc("committed"), "t")));
    expect(change.kind).toBe("unavailable");
  });
});
