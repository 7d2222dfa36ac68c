import { describe, expect, it } from "vitest";
import { increment } from "../../src/core/change.js";
import type { Outcome } from "../../src/core/proposer.js";
import { Cluster } from "./harness.js";
import { flush } from "./manual-clock.js";

const K = "counter";

/**
 * A contended key: A's round is in flight (every call takes 10 ms) when B arrives, so B waits behind it. A's batch
 * ends at t≈20; C and D arrive half a millisecond later. Returns how many accept rounds ran after A's.
 */
async function race(lingerMs: number): Promise<{ acceptRounds: number; values: number[] }> {
  const cluster = new Cluster(3);
  const { proposer, link } = cluster.proposer("p", { config: { lingerMs, piggyback: false } });
  link.rule = () => ({ delayMs: 10 });
  const start = cluster.clock.now();
  const a = proposer.change(K, increment(1));
  await cluster.clock.advance(5);
  const b = proposer.change(K, increment(1));
  await cluster.clock.runUntil(a);
  const acceptsBefore = link.count("accept");
  await cluster.clock.advance(start + 20.5 - cluster.clock.now());
  const rest = [b, proposer.change(K, increment(1)), proposer.change(K, increment(1))];
  const outcomes: Outcome[] = await cluster.clock.runUntil(Promise.all(rest));
  const values = outcomes.map((o) => (o.kind === "applied" ? Number(new TextDecoder().decode(o.state?.value ?? new Uint8Array())) : -1));
  return { acceptRounds: (link.count("accept") - acceptsBefore) / 3, values };
}

describe("proposer: lingering on a contended key", () => {
  it("the next leader of a contended key waits a moment, so changes arriving meanwhile share its round", async () => {
    const lingering = await race(1);
    expect(lingering.acceptRounds).toBe(1);
    expect(lingering.values.sort()).toEqual([2, 3, 4]);
    // Without lingering the same arrivals take two rounds.
    const eager = await race(0);
    expect(eager.acceptRounds).toBe(2);
    expect(eager.values.sort()).toEqual([2, 3, 4]);
  });

  it("an uncontended key is never delayed: a change completes with no timer firing", async () => {
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
