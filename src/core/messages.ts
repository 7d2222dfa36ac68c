import type { Floor } from "./acceptor.js";
import type { Ballot } from "./ballot.js";
import type { Register } from "./register.js";

/**
 * What every message about a key carries besides the key: the epoch of the layout the proposer placed it by. An
 * acceptor refuses an epoch older than the lowest it still serves for the key's vshard (it computes the vshard from
 * the key itself, so a proposer cannot name a wrong one). Absent: a proposer from before epochs, counted as epoch 0,
 * which is served until the first epoch is installed for the vshard.
 */
export interface Fenced {
  readonly epoch?: number;
}

/** Phase 1: ask for a promise to ignore ballots below `ballot`, and learn the latest accepted state. */
export interface Prepare extends Fenced {
  readonly type: "prepare";
  readonly key: string;
  readonly ballot: Ballot;
}

/**
 * Phase 2: ask to accept `state` at `ballot`. `promiseNext`, when present, is the same proposer's next ballot: the
 * acceptor promises it in the same write, so that proposer's next change of the key can skip phase 1.
 */
export interface Accept extends Fenced {
  readonly type: "accept";
  readonly key: string;
  readonly ballot: Ballot;
  readonly state: Register;
  readonly promiseNext?: Ballot;
}

/** Read the accepted ballot and state without promising anything: nothing is written. */
export interface Peek extends Fenced {
  readonly type: "peek";
  readonly key: string;
}

/**
 * Garbage collection: drop the key's row if it still holds the non-live state (a tombstone) accepted at `ballot`,
 * raising the acceptor's floor so that the forgotten row keeps refusing what it refused (see collector.ts). A row
 * that changed since (a newer accept) stays, and the reply is "rejected".
 */
export interface Forget extends Fenced {
  readonly type: "forget";
  readonly key: string;
  readonly ballot: Ballot;
}

/**
 * Raises the lowest epoch served for these vshards to at least `epoch`, and the floors of forgotten keys to at least
 * `floor` when given, in one durable write. From then on, messages of older epochs for them are refused: a
 * reconfiguration installs an epoch on enough acceptors that no quorum of the previous epoch remains (see
 * src/core/reconfig/). Monotone, so repeats and reordering are harmless.
 */
export interface Install {
  readonly type: "install";
  readonly vshards: readonly number[];
  readonly epoch: number;
  readonly floor?: Floor;
}

/**
 * Lists the keys of these vshards that have a row: the catch-up's way to find every key of a moving vshard. One page
 * scans at most `limit` rows in key order after `after` (null: from the start). Reads only.
 */
export interface List {
  readonly type: "list";
  readonly vshards: readonly number[];
  readonly after: string | null;
  readonly limit: number;
}

/**
 * A key listing's page: up to `limit` keys with a row that start with `prefix`, in key order (UTF-8 bytes) after
 * `after` (null: from the first). Tombstones and rows a minority holds are listed too: the acceptor does not decide
 * what is chosen, the proposer's read of each key does. Reads only.
 *
 * Not fenced by epoch: a scan changes nothing, so an acceptor of an old epoch answering it cannot make anything
 * chosen or lost, and its answer is only a list of candidates that the keys' own (fenced) reads then settle.
 */
export interface Scan {
  readonly type: "scan";
  readonly prefix: string;
  readonly after: string | null;
  readonly limit: number;
}

/**
 * The background sweep's page (src/core/txn/sweep.ts): up to `limit` keys whose accepted state holds a transaction's
 * intent, in key order (UTF-8 bytes) after `after` (null: from the first). A minority's leftovers are listed too: the
 * sweep's read of each key decides. Reads only, and not fenced by epoch, for the reasons a scan is not.
 */
export interface FindIntents {
  readonly type: "intents";
  readonly after: string | null;
  readonly limit: number;
}

/** The messages about one key: fenced by the epoch they carry. */
export type KeyedRequest = Prepare | Accept | Peek | Forget;

export type AcceptorRequest = KeyedRequest | Install | List | Scan | FindIntents;

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

/**
 * Refused without looking at the key: the message's epoch is older than `epoch`, the lowest this acceptor serves for
 * the key's vshard. Nothing was changed, so the proposer may reload the layout and retry.
 */
export interface Stale {
  readonly type: "stale";
  readonly epoch: number;
}

export interface Installed {
  readonly type: "installed";
}

/**
 * One page of a listing: the keys found, where the next page starts (null: the listing is complete), and the
 * acceptor's highest floor of forgotten keys (a moved vshard's floors must move with it).
 */
export interface Listed {
  readonly type: "listed";
  readonly keys: readonly string[];
  readonly next: string | null;
  readonly floor: Floor;
}

/**
 * A scan's page: the keys found, in key order; `full` when it stopped at the limit (more may follow its last key).
 * `epoch`: the highest epoch this acceptor serves for any vshard (0 before any install). Higher than the lister's
 * layout means a newer layout exists, whose new groups may hold keys the old one does not know of.
 */
export interface Scanned {
  readonly type: "scanned";
  readonly keys: readonly string[];
  /**
   * The version of each key's accepted state on this acceptor (0 for none), by index. A watch of a prefix reads only
   * keys whose version moved. Absent from an acceptor of older code: every key then counts as moved.
   */
  readonly versions?: readonly number[];
  readonly full: boolean;
  readonly epoch: number;
}

/**
 * A page of keys holding intents, in key order; `full` when it stopped at the limit (more may follow its last key).
 * `epoch`: the highest epoch this acceptor serves (as in Scanned): above the sweeper's layout, a newer one exists.
 */
export interface IntentKeys {
  readonly type: "intent-keys";
  readonly keys: readonly string[];
  readonly full: boolean;
  readonly epoch: number;
}

export type AcceptorReply = Promised | Accepted | Peeked | Rejected | Forgotten | Stale | Installed | Listed | Scanned | IntentKeys;
