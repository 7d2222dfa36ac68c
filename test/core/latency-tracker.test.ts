import { describe, expect, it } from "vitest";
import { write } from "../../src/core/change.js";
import { LatencyTracker } from "../../src/core/latency-tracker.js";
import { Cluster } from "./harness.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** Replies from each acceptor after a fixed time: `ms[i]` for acceptor i. */
function learn(tracker: LatencyTracker, ms: readonly number[], rounds: number, start = 0): number {
  let now = start;
  for (let r = 0; r < rounds; r++) {
    ms.forEach((m, i) => {
      tracker.sent(i, now);
      tracker.replied(i, now, now + m);
    });
    now += 1_000;
  }
  return now;
}

describe("LatencyTracker", () => {
  it("knows nothing at first: the caller's order stands and the hedge is the floor", () => {
    const tracker = new LatencyTracker({ floorMs: 20 });
    expect(tracker.nearestFirst([2, 0, 1], 0)).toEqual([2, 0, 1]);
    expect(tracker.hedgeMs([2, 0])).toBe(20);
    expect(tracker.latency(0, 0)).toBeUndefined();
  });

  it("orders acceptors by their smoothed round trip, nearest first", () => {
    const tracker = new LatencyTracker({ floorMs: 20 });
    const now = learn(tracker, [150, 10, 80], 20);
    expect(tracker.nearestFirst([0, 1, 2], now)).toEqual([1, 2, 0]);
    expect(tracker.latency(1, now)).toBeCloseTo(10);
    expect(tracker.latency(0, now)).toBeCloseTo(150);
  });

  it("asks an acceptor never measured first, so that each one gets measured", () => {
    const tracker = new LatencyTracker({ floorMs: 20 });
    learn(tracker, [150, 10], 5);
    expect(tracker.nearestFirst([0, 1, 2], 10_000)).toEqual([2, 1, 0]);
  });

  it("keeps the caller's order among acceptors nearer to each other than tieMs (load keeps spreading)", () => {
    const tracker = new LatencyTracker({ floorMs: 20, tieMs: 5 });
    const now = learn(tracker, [1.2, 1.0, 1.4], 10);
    expect(tracker.nearestFirst([2, 0, 1], now)).toEqual([2, 0, 1]);
    expect(tracker.nearestFirst([0, 1, 2], now)).toEqual([0, 1, 2]);
  });

  it("hedges after the slowest asked acceptor's tail (estimate plus deviations), never before the floor", () => {
    const tracker = new LatencyTracker({ floorMs: 20 });
    // Steady replies: the deviation shrinks towards 0 and the tail towards the round trip itself.
    learn(tracker, [150, 10, 80], 40);
    const tail = tracker.hedgeMs([1, 2]);
    expect(tail).toBeGreaterThanOrEqual(80);
    expect(tail).toBeLessThan(81);
    expect(tracker.hedgeMs([1])).toBe(20);
    // Jittery replies widen the tail beyond the mean.
    const jittery = new LatencyTracker({ floorMs: 20 });
    let now = 0;
    for (let r = 0; r < 40; r++) {
      const ms = r % 2 === 0 ? 60 : 100;
      jittery.sent(0, now);
      jittery.replied(0, now, now + ms);
      now += 1_000;
    }
    expect(jittery.latency(0, now)).toBeGreaterThan(70);
    expect(jittery.latency(0, now)).toBeLessThan(90);
    expect(jittery.hedgeMs([0])).toBeGreaterThan(140);
  });

  it("sees an acceptor that stopped answering as slower by the minute, and forgets lost calls once it answers", () => {
    const tracker = new LatencyTracker({ floorMs: 20 });
    let now = learn(tracker, [10, 30, 50], 20);
    tracker.sent(0, now); // never answered
    expect(tracker.nearestFirst([0, 1, 2], now + 5)).toEqual([0, 1, 2]);
    expect(tracker.nearestFirst([0, 1, 2], now + 40)).toEqual([1, 0, 2]);
    expect(tracker.nearestFirst([0, 1, 2], now + 500)).toEqual([1, 2, 0]);
    // A later call is answered: the lost one no longer counts.
    now += 600;
    tracker.sent(0, now);
    tracker.replied(0, now, now + 10);
    expect(tracker.latency(0, now + 20)).toBeLessThan(11);
    expect(tracker.nearestFirst([0, 1, 2], now + 20)).toEqual([0, 1, 2]);
  });

  it("asks an acceptor whose calls fail after the others", () => {
    const tracker = new LatencyTracker({ floorMs: 20 });
    const now = learn(tracker, [10, 30, 50], 20);
    for (let i = 0; i < 5; i++) {
      tracker.sent(0, now + i);
      tracker.failed(0, now + i, now + i + 1);
    }
    expect(tracker.nearestFirst([0, 1, 2], now + 10)).toEqual([1, 2, 0]);
  });
});

describe("proposer: peeks at the nearest majority", () => {
  // Acceptor 0 is far (50 ms), 1 and 2 are near (5 and 10 ms).
  const delays = { 0: { delayMs: 50 }, 1: { delayMs: 5 }, 2: { delayMs: 10 } };

  for (const nearestPeeks of [true, false]) {
    it(`${nearestPeeks ? "asks only the nearest majority" : "asks random majorities when turned off"} once replies taught it`, async () => {
      const cluster = new Cluster(3);
      const { proposer, link } = cluster.proposer("p", { config: { nearestPeeks, peekHedgeMs: 20 } });
      link.set(delays);
      // Writes reach every acceptor: their replies teach the proposer all three round trips.
      for (let i = 0; i < 3; i++) await cluster.clock.runUntil(proposer.change(`k${i}`, write(enc("a"), "t")));
      await cluster.clock.advance(100); // late replies of the far acceptor arrive
      const before = link.sent.length;
      let slowest = 0;
      for (let i = 0; i < 20; i++) {
        const started = cluster.clock.now();
        await cluster.clock.runUntil(proposer.read("k0"));
        slowest = Math.max(slowest, cluster.clock.now() - started);
      }
      const peekedFar = link.sent.slice(before).filter((s) => s.index === 0).length;
      if (nearestPeeks) {
        expect(peekedFar).toBe(0);
        expect(slowest).toBe(10);
      } else {
        // Random bare majorities include the far acceptor about two times in three; the hedge (20 ms) caps the wait.
        expect(peekedFar).toBeGreaterThan(5);
        expect(slowest).toBe(30);
      }
    });
  }

  it("hedges to the far acceptor when a near one stops answering", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p", { config: { peekHedgeMs: 20 } });
    link.set(delays);
    for (let i = 0; i < 3; i++) await cluster.clock.runUntil(proposer.change(`k${i}`, write(enc("a"), "t")));
    await cluster.clock.advance(100);
    link.set({ ...delays, 1: "hang" });
    const started = cluster.clock.now();
    const read = await cluster.clock.runUntil(proposer.read("k0"));
    expect(read.kind).toBe("applied");
    // The hedge waits for the near pair's tail (about 10 ms, at least the 20 ms floor), then the far one answers.
    const took = cluster.clock.now() - started;
    expect(took).toBeGreaterThanOrEqual(70);
    expect(took).toBeLessThanOrEqual(100);
  });

  it("hedges by half the round timeout at the latest, so the others can still answer within the round", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p", { config: { peekHedgeMs: 20, roundTimeoutMs: 200 } });
    const far = { 0: { delayMs: 5 }, 1: { delayMs: 90 }, 2: { delayMs: 95 } };
    link.set(far);
    for (let i = 0; i < 3; i++) await cluster.clock.runUntil(proposer.change(`k${i}`, write(enc("a"), "t")));
    await cluster.clock.advance(200);
    link.set({ ...far, 1: "hang" });
    const started = cluster.clock.now();
    const read = await cluster.clock.runUntil(proposer.read("k0"));
    expect(read.kind).toBe("applied");
    expect(read.stats.rounds).toBe(1);
    // Acceptor 1's observed tail is well past 100 ms; the hedge fires at 100 and acceptor 2 answers 95 ms later.
    expect(cluster.clock.now() - started).toBe(195);
  });
});
