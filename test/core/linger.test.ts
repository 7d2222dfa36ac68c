import { describe, expect, it } from "vitest";
import { increment } from "../../src/core/change.js";
import type { Outcome } from "../../src/core/proposer.js";
import { Cluster } from "./harness.js";
import { flush } from "./manual-clock.js";

const K = "counter";

/**
 * A contended key (every call takes 10 ms): A leads; B1 and B2 arrive behind it and go together in the next round,
 * which applies both. Then C finds the key idle, and D arrives half a millisecond after C. Returns how many accept
 * rounds C and D took, and the counter values they saw.
 */
async function race(lingerMs: number): Promise<{ acceptRounds: number; values: number[] }> {
  const cluster = new Cluster(3);
  const { proposer, link } = cluster.proposer("p", { config: { lingerMs, piggyback: false } });
  link.rule = () => ({ delayMs: 10 });
  const a = proposer.change(K, increment(1));
  await cluster.clock.advance(5);
  const bs = [proposer.change(K, increment(1)), proposer.change(K, increment(1))];
  await cluster.clock.runUntil(a);
  await cluster.clock.runUntil(Promise.all(bs));
  const acceptsBefore = link.count("accept");
  const c = proposer.change(K, increment(1));
  await cluster.clock.advance(0.5);
  const d = proposer.change(K, increment(1));
  const outcomes: Outcome[] = await cluster.clock.runUntil(Promise.all([c, d]));
  const values = outcomes.map((o) => (o.kind === "applied" ? Number(new TextDecoder().decode(o.state?.value ?? new Uint8Array())) : -1));
  return { acceptRounds: (link.count("accept") - acceptsBefore) / 3, values };
}

describe("proposer: lingering on a contended key", () => {
  it("after a round that applied several changes, the next lone leader waits a moment so arrivals share its round", async () => {
    const lingering = await race(1);
    expect(lingering.acceptRounds).toBe(1);
    expect(lingering.values.sort()).toEqual([4, 5]);
    // Without lingering the same arrivals take two rounds.
    const eager = await race(0);
    expect(eager.acceptRounds).toBe(2);
    expect(eager.values.sort()).toEqual([4, 5]);
  });

  it("a key whose rounds apply one change at a time is never delayed: a change completes with no timer firing", async () => {
    const cluster = new Cluster(3);
    const { proposer } = cluster.proposer("p", { config: { lingerMs: 50 } });
    for (let i = 1; i <= 3; i++) {
      let done: Outcome | undefined;
      void proposer.change(K, increment(1)).then((o) => (done = o));
      await flush();
      expect(done?.kind, `change ${i}`).toBe("applied");
    }
  });
});
