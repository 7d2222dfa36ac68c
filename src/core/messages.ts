import type { Ballot } from "./ballot.js";
import type { Register } from "./register.js";

/** Phase 1: ask for a promise to ignore ballots below `ballot`, and learn the latest accepted state. */
export interface Prepare {
  readonly type: "prepare";
  readonly key: string;
  readonly ballot: Ballot;
}

/**
 * Phase 2: ask to accept `state` at `ballot`. `promiseNext`, when present, is the same proposer's next ballot: the
 * acceptor promises it in the same write, so that proposer's next change of the key can skip phase 1.
 */
export interface Accept {
  readonly type: "accept";
  readonly key: string;
  readonly ballot: Ballot;
  readonly state: Register;
  readonly promiseNext?: Ballot;
}

/** Read the accepted ballot and state without promising anything: nothing is written. */
export interface Peek {
  readonly type: "peek";
  readonly key: string;
}

/**
 * Garbage collection: drop the key's row if it still holds the non-live state (a tombstone) accepted at `ballot`,
 * raising the acceptor's floor so that the forgotten row keeps refusing what it refused (see collector.ts). A row
 * that changed since (a newer accept) stays, and the reply is "rejected".
 */
export interface Forget {
  readonly type: "forget";
  readonly key: string;
  readonly ballot: Ballot;
}

export type AcceptorRequest = Prepare | Accept | Peek | Forget;

export interface Promised {
  readonly type: "promised";
  readonly accepted: Ballot | null;
  readonly state: Register;
}

export interface Accepted {
  readonly type: "accepted";
}

export interface Peeked {
  readonly type: "peeked";
  readonly accepted: Ballot | null;
  readonly state: Register;
}

/** A refusal carries the ballots the acceptor has seen, so the proposer can fast-forward past them. */
export interface Rejected {
  readonly type: "rejected";
  readonly promised: Ballot | null;
  readonly accepted: Ballot | null;
}

/** The row is gone (now, or already before). */
export interface Forgotten {
  readonly type: "forgotten";
}

export type AcceptorReply = Promised | Accepted | Peeked | Rejected | Forgotten;
