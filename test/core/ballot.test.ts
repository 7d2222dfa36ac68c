import { describe, expect, it } from "vitest";
import { BallotIssuer, compareBallots, maxBallot, sameBallot, type Ballot } from "../../src/core/ballot.js";

const b = (counter: number, proposer: string): Ballot => ({ counter, proposer });

describe("compareBallots", () => {
  it("orders by counter first, whatever the proposer ids", () => {
    expect(compareBallots(b(1, "z"), b(2, "a"))).toBeLessThan(0);
    expect(compareBallots(b(2, "a"), b(1, "z"))).toBeGreaterThan(0);
  });

  it("breaks counter ties with the proposer id", () => {
    expect(compareBallots(b(5, "a"), b(5, "b"))).toBeLessThan(0);
    expect(compareBallots(b(5, "b"), b(5, "a"))).toBeGreaterThan(0);
    expect(compareBallots(b(5, "a"), b(5, "a"))).toBe(0);
    expect(sameBallot(b(5, "a"), { counter: 5, proposer: "a" })).toBe(true);
    expect(sameBallot(b(5, "a"), b(5, "b"))).toBe(false);
  });

  it("orders null (no ballot) before any ballot, and equal to itself", () => {
    expect(compareBallots(null, b(0, ""))).toBeLessThan(0);
    expect(compareBallots(b(0, ""), null)).toBeGreaterThan(0);
    expect(compareBallots(null, null)).toBe(0);
    expect(maxBallot(null, b(1, "a"))).toEqual(b(1, "a"));
    expect(maxBallot(b(1, "a"), null)).toEqual(b(1, "a"));
    expect(maxBallot(b(3, "a"), b(2, "z"))).toEqual(b(3, "a"));
  });
});

describe("BallotIssuer", () => {
  it("issues strictly increasing ballots, even when the clock stands still", () => {
    const issuer = new BallotIssuer("p", () => 100);
    const issued = [issuer.next(), issuer.next(), issuer.next()];
    expect(issued.map((x) => x.counter)).toEqual([100, 101, 102]);
    for (const x of issued) expect(x.proposer).toBe("p");
    expect(compareBallots(issued[0]!, issued[1]!)).toBeLessThan(0);
    expect(compareBallots(issued[1]!, issued[2]!)).toBeLessThan(0);
  });

  it("uses the clock as a floor for the counter", () => {
    let now = 10;
    const issuer = new BallotIssuer("p", () => now);
    expect(issuer.next().counter).toBe(10);
    now = 5_000.7;
    expect(issuer.next().counter).toBe(5_000);
  });

  it("observe fast-forwards so the next ballot beats the one seen", () => {
    const issuer = new BallotIssuer("a", () => 0);
    issuer.next();
    // Same counter as ours would be, and a proposer id that wins the tiebreak.
    const seen = b(1_000_000, "zzz");
    issuer.observe(seen);
    const next = issuer.next();
    expect(compareBallots(next, seen)).toBeGreaterThan(0);
    expect(next.counter).toBe(1_000_001);
  });

  it("observe never moves backwards, and ignores null", () => {
    const issuer = new BallotIssuer("a", () => 50);
    issuer.next(); // 50
    issuer.observe(b(3, "z"));
    issuer.observe(null);
    expect(issuer.next().counter).toBe(51);
  });

  it("never goes backwards when the clock does", () => {
    let now = 1_000;
    const issuer = new BallotIssuer("p", () => now);
    const first = issuer.next();
    now = 10; // the clock jumps back
    const second = issuer.next();
    now = 999;
    const third = issuer.next();
    expect(first.counter).toBe(1_000);
    expect(compareBallots(second, first)).toBeGreaterThan(0);
    expect(compareBallots(third, second)).toBeGreaterThan(0);
  });
});
