import { compareBallots, maxBallot, type Ballot } from "./ballot.js";
import type { AcceptorReply, Promised, Rejected } from "./messages.js";
import { versionOf, type Register } from "./register.js";
import type { Clock, Timer } from "./ports.js";

/** The majority of N acceptors: any two such sets share an acceptor. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

export interface RoundTally<R extends AcceptorReply> {
  /** Replies of the wanted type, in arrival order, with the acceptor that sent each. */
  readonly granted: ReadonlyArray<{ readonly index: number; readonly reply: R }>;
  readonly rejected: readonly Rejected[];
  /** Calls that failed or had not answered when the round closed. */
  readonly missing: number;
  /** The highest ballot any rejection reported, to fast-forward past. */
  readonly highestSeen: Ballot | null;
}

/**
 * Contact only some acceptors first, and the rest when one of those fails or refuses, or after `hedgeMs`. For
 * requests that write nothing (peeks), asking a bare majority saves calls when all is well.
 */
export interface Fanout {
  /** Acceptor indexes in the order to contact them. */
  readonly order: readonly number[];
  /** How many of `order` to contact at once. */
  readonly first: number;
  readonly hedgeMs: number;
}

/**
 * Sends one round to the N acceptors and settles as soon as `quorum` of them granted, as soon as a quorum can no
 * longer be reached, or when the round times out. It never waits for the slowest acceptor once the outcome is known.
 */
export function runRound<R extends AcceptorReply>(
  n: number,
  quorum: number,
  wanted: R["type"],
  send: (index: number) => Promise<AcceptorReply>,
  clock: Clock,
  timeoutMs: number,
  fanout?: Fanout,
): Promise<RoundTally<R>> {
  return new Promise((resolve) => {
    const granted: { index: number; reply: R }[] = [];
    const rejected: Rejected[] = [];
    let failed = 0;
    let highestSeen: Ballot | null = null;
    let open = true;
    // One timer at a time (a timer costs a visible share of a local read): the hedge delay first when some
    // acceptors wait for it, then what is left of the round's timeout.
    let timer: Timer;

    const close = () => {
      if (!open) return;
      open = false;
      timer.cancel();
      resolve({ granted, rejected, missing: n - granted.length - rejected.length, highestSeen });
    };
    const settleIfDecided = () => {
      const refused = rejected.length + failed;
      if (granted.length >= quorum || refused > n - quorum || granted.length + refused === n) close();
    };

    const contact = (i: number) => {
      let reply: Promise<AcceptorReply>;
      try {
        reply = send(i);
      } catch (error) {
        reply = Promise.reject(error);
      }
      reply.then(
        (r) => {
          if (!open) return;
          if (r.type === wanted) granted.push({ index: i, reply: r as R });
          else if (r.type === "rejected") {
            rejected.push(r);
            highestSeen = maxBallot(highestSeen, maxBallot(r.promised, r.accepted));
            contactRest();
          } else {
            failed++;
            contactRest();
          }
          settleIfDecided();
        },
        () => {
          if (!open) return;
          failed++;
          contactRest();
          settleIfDecided();
        },
      );
    };

    const order = fanout?.order ?? allIndexes(n);
    const first = Math.min(n, fanout?.first ?? n);
    let rest: readonly number[] = order.slice(first);
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
    for (const i of order.slice(0, first)) contact(i);
  });
}

function allIndexes(n: number): number[] {
  const indexes: number[] = [];
  for (let i = 0; i < n; i++) indexes.push(i);
  return indexes;
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
