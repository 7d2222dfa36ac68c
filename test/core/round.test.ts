import { describe, expect, it } from "vitest";
import type { Ballot } from "../../src/core/ballot.js";
import type { AcceptorReply, Promised, Rejected } from "../../src/core/messages.js";
import { JointConfig } from "../../src/core/quorum/joint.js";
import { MajorityConfig } from "../../src/core/quorum/majority.js";
import { acceptorIds, type QuorumConfig } from "../../src/core/quorum/quorum-config.js";
import { UnanimousConfig } from "../../src/core/quorum/unanimous.js";
import { runRound, type Fanout, type RoundTally } from "../../src/core/round.js";
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

const majorityOf = (n: number) => new MajorityConfig(acceptorIds(n));

/**
 * Starts a round whose replies the test controls (acceptor i answers through `replies[i]`): over a majority of n
 * acceptors, or over the given config. `tally` is set once the round has closed.
 */
function startRound(quorum: number | QuorumConfig, timeoutMs = 100, fanout?: Fanout) {
  const config = typeof quorum === "number" ? majorityOf(quorum) : quorum;
  const clock = new ManualClock();
  const replies = Array.from({ length: Math.max(-1, ...config.members) + 1 }, deferred);
  const sent: number[] = [];
  let tally: RoundTally<Promised> | undefined;
  const done = runRound<Promised>(
    config,
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
      majorityOf(3),
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
      majorityOf(3),
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
  const fanout: Fanout = { order: [2, 0, 1], hedgeMs: 20 };

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

describe("runRound asks its config", () => {
  const joint = (g: number[], h: number[]) => new JointConfig(new MajorityConfig(g), new MajorityConfig(h));

  it("over disjoint groups: contacts both and is won only by a majority of each", async () => {
    const round = startRound(joint([0, 1, 2], [3, 4, 5]));
    expect(round.sent).toEqual([0, 1, 2, 3, 4, 5]);
    round.replies[0]!.resolve(promised);
    round.replies[1]!.resolve(promised);
    round.replies[3]!.resolve(promised);
    await flush();
    expect(round.tally).toBeUndefined(); // the old group is won, the new one has 1 of 3
    round.replies[4]!.resolve(promised);
    await flush();
    expect(round.tally?.result).toBe("won");
    expect(round.tally?.granted.map((g) => g.index)).toEqual([0, 1, 3, 4]);
    expect(round.tally?.missing).toBe(2);
    expect(round.clock.pendingTimers).toBe(0);
  });

  it("closes as lost as soon as one group is lost, while the other could still be won", async () => {
    const round = startRound(joint([0, 1, 2], [2, 3, 4]));
    round.replies[3]!.resolve(rejected(b(5), null));
    round.replies[4]!.reject(new Error("down"));
    await flush();
    expect(round.tally?.result).toBe("lost");
    expect(round.tally?.rejected).toHaveLength(1);
    expect(round.tally?.highestSeen).toEqual(b(5));
    expect(round.tally?.votes).toEqual(new Map([[3, false], [4, false]]));
  });

  it("when one acceptor is replaced, the two shared ones are a quorum of both groups", async () => {
    const round = startRound(joint([0, 1, 2], [0, 1, 3]));
    expect(round.sent).toEqual([0, 1, 2, 3]);
    round.replies[1]!.resolve(promised);
    round.replies[0]!.resolve(promised);
    await flush();
    expect(round.tally?.result).toBe("won");
    expect(round.tally?.granted.map((g) => g.index)).toEqual([1, 0]);
  });

  it("a unanimous config waits for everyone and is lost at the first refusal", async () => {
    const all = startRound(new UnanimousConfig([0, 1, 2]));
    all.replies[0]!.resolve(promised);
    all.replies[1]!.resolve(promised);
    await flush();
    expect(all.tally).toBeUndefined();
    all.replies[2]!.resolve(promised);
    await flush();
    expect(all.tally?.result).toBe("won");

    const refused = startRound(new UnanimousConfig([0, 1, 2]));
    refused.replies[1]!.resolve(rejected(b(3), null));
    await flush();
    expect(refused.tally?.result).toBe("lost");
    expect(refused.tally?.missing).toBe(2);
  });

  it("a config without members is lost at once: nothing is sent and no timer is left", async () => {
    const round = startRound(new MajorityConfig([]));
    await flush();
    expect(round.sent).toEqual([]);
    expect(round.tally?.result).toBe("lost");
    expect(round.tally?.missing).toBe(0);
    expect(round.clock.pendingTimers).toBe(0);
  });

  it("a round that times out undecided reports pending", async () => {
    const round = startRound(3, 50);
    round.replies[0]!.resolve(promised);
    await round.clock.advance(50);
    expect(round.tally?.result).toBe("pending");
  });

  it("with a fanout over a joint config, first asks a majority of each group, sharing the overlap", async () => {
    const round = startRound(joint([0, 1, 2], [2, 3, 4]), 100, { order: [0, 1, 2, 3, 4], hedgeMs: 20 });
    // 2 is in both groups: 0 and 2 are a majority of the first, 2 and 3 of the second.
    expect(round.sent).toEqual([0, 2, 3]);
    round.replies[3]!.reject(new Error("down"));
    await flush();
    expect(round.sent).toEqual([0, 2, 3, 1, 4]);
    for (const i of [0, 2, 4]) round.replies[i]!.resolve(promised);
    await round.done;
    expect(round.tally?.result).toBe("won");
  });

  it("with a fanout over a joint config, asks the rest after the hedge delay", async () => {
    const round = startRound(joint([0, 1, 2], [3, 4, 5]), 100, { order: [5, 4, 3, 2, 1, 0], hedgeMs: 20 });
    expect(round.sent).toEqual([5, 4, 2, 1]);
    for (const i of [5, 2, 1]) round.replies[i]!.resolve(promised);
    await round.clock.advance(20);
    expect(round.sent).toEqual([5, 4, 2, 1, 3, 0]);
    round.replies[3]!.resolve(promised);
    await round.done;
    expect(round.tally?.granted.map((g) => g.index)).toEqual([5, 2, 1, 3]);
  });
});
