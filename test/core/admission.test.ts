import { describe, expect, it } from "vitest";
import { Admission } from "../../src/core/admission.js";
import { write } from "../../src/core/change.js";
import { Cluster } from "./harness.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("admission bounds", () => {
  it("refuses past the in-flight bound and admits again once a place is free", () => {
    const admission = new Admission({ maxInFlight: 2, maxPerKey: 10 });
    expect(admission.enter("a")).toBe(true);
    expect(admission.enter("b")).toBe(true);
    expect(admission.enter("c")).toBe(false);
    admission.leave("a");
    expect(admission.enter("c")).toBe(true);
    expect(admission.size).toBe(2);
  });

  it("refuses past the per-key bound while other keys are admitted", () => {
    const admission = new Admission({ maxInFlight: 10, maxPerKey: 1 });
    expect(admission.enter("a")).toBe(true);
    expect(admission.enter("a")).toBe(false);
    expect(admission.enter("b")).toBe(true);
    admission.leave("a");
    expect(admission.enter("a")).toBe(true);
  });
});

describe("proposer: backpressure and deadlines", () => {
  it("refuses a change past the per-key bound as overloaded, sends nothing for it, and applies the admitted ones", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p", { config: { admission: { maxInFlight: 100, maxPerKey: 2 } } });
    link.set({ 0: { delayMs: 10 }, 1: { delayMs: 10 }, 2: { delayMs: 10 } });
    const first = proposer.change("k", write(enc("1"), "t"));
    const second = proposer.change("k", write(enc("2"), "t"));
    const third = await proposer.change("k", write(enc("3"), "t"));
    expect(third.kind).toBe("unavailable");
    expect(third.kind === "unavailable" && third.overloaded).toBe(true);
    const outcomes = await cluster.clock.runUntil(Promise.all([first, second]));
    expect(outcomes.map((o) => o.kind)).toEqual(["applied", "applied"]);
    const states = outcomes.map((o) => (o.kind === "applied" ? new TextDecoder().decode(o.state?.value ?? new Uint8Array()) : ""));
    expect(states).not.toContain("3");
    expect(proposer.inFlight).toBe(0);
    // Places are given back: the next change is admitted.
    expect((await cluster.clock.runUntil(proposer.change("k", write(enc("4"), "t")))).kind).toBe("applied");
  });

  it("a change still queued behind a round at its deadline is refused at that deadline, its queue time reported", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p", { config: { deadlineMs: 1_000, roundTimeoutMs: 100 } });
    // Every call hangs, so the leader's batch retries until the leader's deadline (1,000 ms).
    link.set({ 0: "hang", 1: "hang", 2: "hang" });
    const start = cluster.clock.now();
    const leader = proposer.change("k", write(enc("a"), "t"));
    let answeredAt = -1;
    const waiter = proposer.change("k", write(enc("b"), "t"), undefined, start + 300).then((o) => {
      answeredAt = cluster.clock.now();
      return o;
    });
    const [led, waited] = await cluster.clock.runUntil(Promise.all([leader, waiter]));
    expect(waited.kind).toBe("unavailable");
    expect(answeredAt).toBe(start + 300);
    expect(waited.stats.queueMs).toBe(300);
    expect(waited.stats.rounds).toBe(0);
    expect(led.kind).toBe("unavailable");
    expect(led.stats.queueMs).toBe(0);
    // Nothing of the waiter's change reached an acceptor.
    expect(link.sent.filter((s) => s.request.type === "accept")).toHaveLength(0);
  });
});
