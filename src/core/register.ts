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
}

/** null: no state was ever accepted for the key. */
export type Register = RegisterState | null;

export function isLive(r: Register): r is RegisterState & { value: Uint8Array } {
  return r !== null && r.value !== null;
}

export function versionOf(r: Register): number {
  return r === null ? 0 : r.version;
}
