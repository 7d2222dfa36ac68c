import { compareBallots, maxBallot, type Ballot } from "./ballot.js";
import type { AcceptorReply, Promised, Rejected } from "./messages.js";
import { versionOf, type Register } from "./register.js";
import type { Clock, Timer } from "./ports.js";
import { inOrder, type AcceptorId, type QuorumConfig, type Votes } from "./quorum/quorum-config.js";
import type { VoteResult } from "./quorum/vote-result.js";

/** A reply of the wanted type, with the acceptor that sent it. */
export interface Granted<R extends AcceptorReply> {
  readonly index: AcceptorId;
  readonly reply: R;
}

export interface RoundTally<R extends AcceptorReply> {
  /** The grants, in arrival order. */
  readonly granted: readonly Granted<R>[];
  readonly rejected: readonly Rejected[];
  /** Calls that failed or had not answered when the round closed. */
  readonly missing: number;
  /** The highest ballot any rejection reported, to fast-forward past. */
  readonly highestSeen: Ballot | null;
  /** The highest epoch an acceptor named refusing the round's epoch as stale (null: none did). */
  readonly staleEpoch: number | null;
  /** Every reply by acceptor, for asking another config about them (the collector asks a majority of a round of all). */
  readonly votes: Votes;
  /** The round's config on its votes: won, lost, or pending when it timed out undecided. */
  readonly result: VoteResult;
}

/**
 * Contact only a bare quorum first (the config's, taken in `order`), and the rest when one of those fails or refuses,
 * or after `hedgeMs`. For requests that write nothing (peeks), asking a bare quorum saves calls when all is well.
 */
export interface Fanout {
  /** Acceptors in the order of preference; members left out come last. */
  readonly order: readonly AcceptorId[];
  readonly hedgeMs: number;
}

/**
 * Sends one round to the config's members and settles as soon as the config calls the vote won or lost, or when the
 * round times out. It never waits for the slowest acceptor once the outcome is known.
 */
export function runRound<R extends AcceptorReply>(
  config: QuorumConfig,
  wanted: R["type"],
  send: (index: AcceptorId) => Promise<AcceptorReply>,
  clock: Clock,
  timeoutMs: number,
  fanout?: Fanout,
): Promise<RoundTally<R>> {
  return new Promise((resolve) => {
    const granted: Granted<R>[] = [];
    const rejected: Rejected[] = [];
    const votes = new Map<AcceptorId, boolean>();
    let highestSeen: Ballot | null = null;
    let staleEpoch: number | null = null;
    let open = true;
    // One timer at a time (a timer costs a visible share of a local read): the hedge delay first when some
    // acceptors wait for it, then what is left of the round's timeout.
    let timer: Timer;

    const members = config.members;
    const close = () => {
      if (!open) return;
      open = false;
      timer.cancel();
      const missing = members.length - granted.length - rejected.length;
      resolve({ granted, rejected, missing, highestSeen, staleEpoch, votes, result: config.voteResult(votes) });
    };
    const settleIfDecided = () => {
      if (config.voteResult(votes) !== "pending" || votes.size === members.length) close();
    };

    const contact = (i: AcceptorId) => {
      let reply: Promise<AcceptorReply>;
      try {
        reply = send(i);
      } catch (error) {
        reply = Promise.reject(error);
      }
      reply.then(
        (r) => {
          if (!open) return;
          if (r.type === wanted) {
            granted.push({ index: i, reply: r as R });
            votes.set(i, true);
          } else if (r.type === "rejected") {
            rejected.push(r);
            votes.set(i, false);
            highestSeen = maxBallot(highestSeen, maxBallot(r.promised, r.accepted));
            contactRest();
          } else {
            if (r.type === "stale") staleEpoch = Math.max(staleEpoch ?? 0, r.epoch);
            votes.set(i, false);
            contactRest();
          }
          settleIfDecided();
        },
        () => {
          if (!open) return;
          votes.set(i, false);
          contactRest();
          settleIfDecided();
        },
      );
    };

    let first: readonly AcceptorId[] = members;
    let rest: readonly AcceptorId[] = [];
    if (fanout !== undefined) {
      first = config.bareQuorum(fanout.order);
      const asked = new Set(first);
      rest = inOrder(members, fanout.order).filter((i) => !asked.has(i));
    }
    const started = clock.now();
    const awaitTimeout = () => {
      timer = clock.timer(Math.max(0, timeoutMs - (clock.now() - started)));
      void timer.fired.then(close);
    };
    const contactRest = () => {
      if (rest.length === 0) return;
      const now = rest;
      rest = [];
      if (hedging) {
        // The hedge timer gives way to the round's timeout.
        hedging = false;
        timer.cancel();
        awaitTimeout();
      }
      for (const i of now) if (open) contact(i);
    };
    let hedging = rest.length > 0 && fanout !== undefined && fanout.hedgeMs < timeoutMs;
    if (hedging && fanout !== undefined) {
      timer = clock.timer(fanout.hedgeMs);
      void timer.fired.then(() => {
        if (!open || !hedging) return;
        hedging = false;
        awaitTimeout();
        contactRest();
      });
    } else {
      awaitTimeout();
    }
    // A config that cannot be won (no members) closes the round before anyone is asked.
    if (config.voteResult(votes) !== "pending") close();
    for (const i of first) if (open) contact(i);
  });
}

/**
 * The state accepted at the highest ballot among the promises. When none accepted anything, the keys are absent
 * and their states are the floors of collected keys (see absentSlot): the highest version is taken, so a recreated
 * key continues above every version it had.
 */
export function highestAccepted(promises: readonly Promised[]): Register {
  let best: Promised | undefined;
  for (const p of promises) {
    const vs = best === undefined ? 1 : compareBallots(p.accepted, best.accepted);
    if (vs > 0 || (vs === 0 && p.accepted === null && versionOf(p.state) > versionOf(best?.state ?? null))) best = p;
  }
  return best?.state ?? null;
}
