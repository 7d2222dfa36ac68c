import { describe, expect, it } from "vitest";
import type { Ballot } from "../../src/core/ballot.js";
import type { AcceptorReply, Promised, Rejected } from "../../src/core/messages.js";
import { majority, runRound, type Fanout, type RoundTally } from "../../src/core/quorum.js";
import { flush, ManualClock } from "./manual-clock.js";

const b = (counter: number, proposer = "p"): Ballot => ({ counter, proposer });
const promised: Promised = { type: "promised", accepted: null, state: null };
const rejected = (promisedBallot: Ballot | null, accepted: Ballot | null): Rejected => ({
  type: "rejected",
  promised: promisedBallot,
  accepted,
});

/** A reply the test settles by hand. */
interface Deferred {
  resolve(reply: AcceptorReply): void;
  reject(error: unknown): void;
  readonly promise: Promise<AcceptorReply>;
}
function deferred(): Deferred {
  let resolve!: (r: AcceptorReply) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<AcceptorReply>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Starts a round over n acceptors whose replies the test controls; `settled` tells whether it has closed. */
function startRound(n: number, timeoutMs = 100, fanout?: Fanout) {
  const clock = new ManualClock();
  const replies = Array.from({ length: n }, deferred);
  const sent: number[] = [];
  let tally: RoundTally<Promised> | undefined;
  const done = runRound<Promised>(
    n,
    majority(n),
    "promised",
    (i) => {
      sent.push(i);
      return replies[i]!.promise;
    },
    clock,
    timeoutMs,
    fanout,
  ).then((t) => (tally = t));
  return {
    clock,
    replies,
    sent,
    done,
    get tally() {
      return tally;
    },
  };
}

describe("majority", () => {
  it("is floor(n/2)+1", () => {
    expect(majority(1)).toBe(1);
    expect(majority(3)).toBe(2);
    expect(majority(4)).toBe(3);
    expect(majority(5)).toBe(3);
    expect(majority(7)).toBe(4);
  });
});

describe("runRound", () => {
  it("sends to every acceptor and settles at the first majority, not waiting for the third", async () => {
    const round = startRound(3);
    expect(round.sent).toEqual([0, 1, 2]);
    round.replies[2]!.resolve(promised);
    await flush();
    expect(round.tally).toBeUndefined(); // one grant is not a majority
    round.replies[0]!.resolve(promised);
    await flush();
    // Settled with no timer fired while acceptor 1 never answers.
    expect(round.tally).toBeDefined();
    expect(round.tally!.granted.map((g) => g.index)).toEqual([2, 0]);
    expect(round.tally!.granted[0]!.reply).toEqual(promised);
    expect(round.tally!.rejected).toEqual([]);
    expect(round.tally!.missing).toBe(1);
    expect(round.tally!.highestSeen).toBeNull();
    expect(round.clock.pendingTimers).toBe(0); // the time-out timer was released
  });

  it("settles as soon as a quorum is impossible: 2 of 3 rejected", async () => {
    const round = startRound(3);
    round.replies[0]!.resolve(rejected(b(7), b(3)));
    await flush();
    expect(round.tally).toBeUndefined();
    round.replies[1]!.resolve(rejected(b(4), b(9, "q")));
    await flush();
    expect(round.tally).toBeDefined();
    expect(round.tally!.granted).toEqual([]);
    expect(round.tally!.rejected).toHaveLength(2);
    expect(round.tally!.highestSeen).toEqual(b(9, "q"));
    expect(round.tally!.missing).toBe(1);
  });

  it("settles as soon as a quorum is impossible: 1 rejection plus 1 failed call", async () => {
    const round = startRound(3);
    round.replies[0]!.resolve(rejected(b(7), null));
    round.replies[2]!.reject(new Error("down"));
    await flush();
    expect(round.tally).toBeDefined();
    expect(round.tally!.granted).toEqual([]);
    expect(round.tally!.rejected).toEqual([rejected(b(7), null)]);
    expect(round.tally!.missing).toBe(2);
    expect(round.tally!.highestSeen).toEqual(b(7));
  });

  it("with one grant and one rejection it keeps waiting for the third acceptor", async () => {
    const round = startRound(3);
    round.replies[0]!.resolve(promised);
    round.replies[1]!.resolve(rejected(b(2), null));
    await flush();
    expect(round.tally).toBeUndefined();
    round.replies[2]!.resolve(promised);
    await flush();
    expect(round.tally!.granted.map((g) => g.index)).toEqual([0, 2]);
    expect(round.tally!.rejected).toHaveLength(1);
    expect(round.tally!.missing).toBe(0);
  });

  it("reports the highest ballot any rejection carried, promised or accepted", async () => {
    const round = startRound(5);
    round.replies[0]!.resolve(rejected(b(10, "a"), b(3)));
    round.replies[1]!.resolve(rejected(null, b(10, "b")));
    round.replies[2]!.resolve(rejected(b(8), b(8)));
    await flush();
    expect(round.tally!.rejected).toHaveLength(3);
    expect(round.tally!.highestSeen).toEqual(b(10, "b"));
  });

  it("times out when fewer than a majority answer, counting the silent as missing", async () => {
    const round = startRound(3, 100);
    round.replies[1]!.resolve(promised);
    await round.clock.advance(99);
    expect(round.tally).toBeUndefined();
    await round.clock.advance(1);
    expect(round.tally).toBeDefined();
    expect(round.tally!.granted.map((g) => g.index)).toEqual([1]);
    expect(round.tally!.rejected).toEqual([]);
    expect(round.tally!.missing).toBe(2);
  });

  it("counts a send that throws synchronously as a failed call", async () => {
    const clock = new ManualClock();
    const tally = await runRound<Promised>(
      3,
      2,
      "promised",
      (i) => {
        if (i !== 1) throw new Error("cannot send");
        return Promise.resolve(promised);
      },
      clock,
      100,
    );
    // Settled without the time-out: two failures make a quorum impossible.
    expect(clock.now()).toBe(1_000);
    expect(tally.granted.map((g) => g.index)).toEqual([1]);
    expect(tally.rejected).toEqual([]);
    expect(tally.missing).toBe(2);
  });

  it("counts a reply of the wrong type as a failure, not a grant", async () => {
    const clock = new ManualClock();
    const tally = await runRound<Promised>(
      3,
      2,
      "promised",
      (i) => Promise.resolve<AcceptorReply>(i === 0 ? promised : { type: "accepted" }),
      clock,
      100,
    );
    expect(clock.now()).toBe(1_000);
    expect(tally.granted.map((g) => g.index)).toEqual([0]);
    expect(tally.rejected).toEqual([]);
    expect(tally.missing).toBe(2);
  });

  it("ignores replies that arrive after the round closed", async () => {
    const round = startRound(3);
    round.replies[0]!.resolve(promised);
    round.replies[1]!.resolve(promised);
    await flush();
    const tally = round.tally!;
    expect(tally.granted).toHaveLength(2);
    round.replies[2]!.resolve(rejected(b(99), b(99)));
    await flush();
    expect(tally.granted).toHaveLength(2);
    expect(tally.rejected).toEqual([]);
    expect(tally.highestSeen).toBeNull();
    expect(tally.missing).toBe(1);
  });

  it("ignores replies that arrive after a time-out", async () => {
    const round = startRound(3, 50);
    await round.clock.advance(50);
    const tally = round.tally!;
    expect(tally.missing).toBe(3);
    round.replies[0]!.resolve(promised);
    round.replies[1]!.resolve(promised);
    round.replies[2]!.reject(new Error("late"));
    await flush();
    expect(tally.granted).toEqual([]);
    expect(tally.missing).toBe(3);
  });
});

describe("runRound with a fanout (a bare majority first)", () => {
  const promised: Promised = { type: "promised", accepted: null, state: null };
  const fanout: Fanout = { order: [2, 0, 1], first: 2, hedgeMs: 20 };

  it("contacts only the first majority when both answer, in the given order", async () => {
    const round = startRound(3, 100, fanout);
    expect(round.sent).toEqual([2, 0]);
    round.replies[2]!.resolve(promised);
    round.replies[0]!.resolve(promised);
    await round.done;
    expect(round.tally?.granted.map((g) => g.index)).toEqual([2, 0]);
    expect(round.sent).toEqual([2, 0]);
  });

  it("contacts the rest at once when one of the first fails", async () => {
    const round = startRound(3, 100, fanout);
    const start = round.clock.now();
    round.replies[0]!.reject(new Error("down"));
    await flush();
    expect(round.sent).toEqual([2, 0, 1]);
    round.replies[2]!.resolve(promised);
    round.replies[1]!.resolve(promised);
    await round.done;
    expect(round.tally?.granted).toHaveLength(2);
    expect(round.clock.now()).toBe(start); // no waiting for the hedge delay
  });

  it("contacts the rest after the hedge delay when one of the first is silent", async () => {
    const round = startRound(3, 100, fanout);
    round.replies[2]!.resolve(promised);
    await round.clock.advance(19);
    expect(round.sent).toEqual([2, 0]);
    await round.clock.advance(1);
    expect(round.sent).toEqual([2, 0, 1]);
    round.replies[1]!.resolve(promised);
    await round.done;
    expect(round.tally?.granted.map((g) => g.index)).toEqual([2, 1]);
  });
});
