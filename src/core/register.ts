import type { Intent } from "./txn/intent.js";

/**
 * The register: the value CASPaxos agrees on for one key. Every change produces a new state with the next version;
 * a delete is a state too (a tombstone), so versions keep growing across deletes and are never reused.
 */
export interface RegisterState {
  /** 1, 2, 3, ...: grows by one with every applied change of the key. */
  readonly version: number;
  /** The stored bytes, or null for a tombstone (deleted). */
  readonly value: Uint8Array | null;
  readonly contentType: string;
  /**
   * Id of the client request whose change produced this state. A proposer that lost track of its accept uses it
   * to tell whether its change made it into the register (see recovery in proposer.ts).
   */
  readonly origin: string;
  /**
   * The origins of the latest changes that led here, newest first: entry i produced the versions above entry i+1's
   * up to its own `version` (a coalesced round produces several versions at once). Bounded to LINEAGE_LENGTH (8). It lets
   * a proposer that lost track of an accept tell, while the key moved only a few versions since, whether its change
   * is in the past of the current state.
   */
  readonly lineage?: readonly LineageEntry[];
  /**
   * A multi-key transaction's intent on this key (src/core/txn/intent.ts): `value`, `contentType` and `version` are
   * still the state before the transaction; the intent says what the key becomes if its record commits.
   */
  readonly intent?: Intent;
  /**
   * Changes since this `version` was made that left the visible state as it was (placing or dropping a transaction's
   * intent); absent: 0. `version` counts visible changes only (ETags and fencing tokens keep their meaning), so the
   * proposer's recovery orders states by (version, hidden), which grows with every change. See positionOf.
   */
  readonly hidden?: number;
}

export interface LineageEntry {
  readonly origin: string;
  readonly version: number;
  /** The `hidden` count of the state this entry's change produced (absent: 0). */
  readonly hidden?: number;
}

/**
 * Where a state stands in its key's chain of changes: every change moves it strictly up. A visible change raises
 * `version` (and `hidden` starts again at 0); an invisible one (a transaction's intent placed or dropped) raises
 * `hidden` only. Recovery of lost accepts needs this strict order; versions alone are no longer strict.
 */
export interface Position {
  readonly version: number;
  readonly hidden: number;
}

export function positionOf(r: Register | LineageEntry): Position {
  return r === null ? { version: 0, hidden: 0 } : { version: r.version, hidden: r.hidden ?? 0 };
}

export function comparePositions(a: Position, b: Position): number {
  return a.version !== b.version ? a.version - b.version : a.hidden - b.hidden;
}

export const LINEAGE_LENGTH = 8;

/**
 * The origin of a state no request made: a garbage-collected key read from its acceptor's floor (see absentSlot).
 * In a lineage it stands for a collected past whose changes nobody can name any more. Request origins are never empty.
 */
export const COLLECTED_ORIGIN = "";

/** The lineage of a state, including the state's own origin when it is missing (states made before lineage). */
export function lineageOf(r: Register): readonly LineageEntry[] {
  if (r === null) return [];
  return r.lineage ?? [{ origin: r.origin, version: r.version, ...(r.hidden ? { hidden: r.hidden } : {}) }];
}

/** null: no state was ever accepted for the key. */
export type Register = RegisterState | null;

export function isLive(r: Register): r is RegisterState & { value: Uint8Array } {
  return r !== null && r.value !== null;
}

export function versionOf(r: Register): number {
  return r === null ? 0 : r.version;
}
