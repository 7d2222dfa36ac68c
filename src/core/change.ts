import { isLive, versionOf, type Register, type RegisterState } from "./register.js";

/** Why a change declined to apply. `current` is the state it saw, for the caller's error message. */
export type Refusal =
  | { readonly code: "version_mismatch"; readonly current: Register }
  | { readonly code: "not_found"; readonly current: Register }
  | { readonly code: "not_integer"; readonly current: Register }
  | { readonly code: "overflow"; readonly current: Register }
  /** A lock held by another owner (lock.ts). */
  | { readonly code: "lock_held"; readonly current: Register }
  /** A renew or release by someone who does not hold the lock with that token (lock.ts). */
  | { readonly code: "not_holder"; readonly current: Register }
  /**
   * An unresolved intent of a multi-key transaction is on the key (`current.intent` names it): resolve it first
   * (src/core/txn/). Never answered to a client: the transaction-aware registers resolve and retry.
   */
  | { readonly code: "intent_present"; readonly current: Register };

export type Decision =
  | { readonly kind: "apply"; readonly next: Register }
  | { readonly kind: "refuse"; readonly refusal: Refusal };

/**
 * A change maps the register's current state to the next one, or refuses. It must be a pure, deterministic function
 * of its inputs: a proposer may apply it again to a newer state when it can prove the earlier attempt was lost.
 */
export interface Change {
  readonly name: string;
  /** False for the identity (a read): writing its result back changes nothing, so retrying it is always safe. */
  readonly mutates: boolean;
  apply(current: Register, origin: string): Decision;
}

export function nextState(current: Register, value: Uint8Array | null, contentType: string, origin: string): RegisterState {
  return { version: versionOf(current) + 1, value, contentType, origin };
}

const apply = (next: Register): Decision => ({ kind: "apply", next });
const refuse = (refusal: Refusal): Decision => ({ kind: "refuse", refusal });

export const read = (): Change => ({
  name: "read",
  mutates: false,
  apply: (current) => apply(current),
});

export const write = (value: Uint8Array, contentType: string): Change => ({
  name: "write",
  mutates: true,
  apply: (current, origin) => apply(nextState(current, value, contentType, origin)),
});

/** Compare-and-set on the version: applies only to a live register at exactly `expected`. */
export const compareAndSet = (expected: number, value: Uint8Array, contentType: string): Change => ({
  name: "cas",
  mutates: true,
  apply: (current, origin) =>
    isLive(current) && current.version === expected
      ? apply(nextState(current, value, contentType, origin))
      : refuse({ code: "version_mismatch", current }),
});

/** Replace-if-present (HTTP `If-Match: *`): applies only to a live register, whatever its version. */
export const replace = (value: Uint8Array, contentType: string): Change => ({
  name: "replace",
  mutates: true,
  apply: (current, origin) =>
    isLive(current) ? apply(nextState(current, value, contentType, origin)) : refuse({ code: "version_mismatch", current }),
});

/** Create-if-absent: applies when the key was never written or is deleted. */
export const create = (value: Uint8Array, contentType: string): Change => ({
  name: "create",
  mutates: true,
  apply: (current, origin) =>
    isLive(current) ? refuse({ code: "version_mismatch", current }) : apply(nextState(current, value, contentType, origin)),
});

/** Delete writes a tombstone, keeping the version sequence. Deleting an absent key is refused as not found. */
export const remove = (expected?: number): Change => ({
  name: "delete",
  mutates: true,
  apply: (current, origin) => {
    if (!isLive(current)) return refuse({ code: "not_found", current });
    if (expected !== undefined && current.version !== expected) return refuse({ code: "version_mismatch", current });
    return apply(nextState(current, null, "", origin));
  },
});

export const COUNTER_CONTENT_TYPE = "text/plain; charset=utf-8";
const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;
const encoder = new TextEncoder();
// ignoreBOM keeps a byte-order mark in the text, so the canonical-integer check refuses it.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads a register as a counter: absent is 0; anything but a canonical decimal safe integer is undefined. */
export function counterValue(current: Register): number | undefined {
  if (!isLive(current)) return 0;
  let text: string;
  try {
    text = decoder.decode(current.value);
  } catch {
    return undefined;
  }
  if (!CANONICAL_INTEGER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Adds `by` to a register holding the decimal text of an integer (absent counts as 0). */
export const increment = (by: number): Change => ({
  name: "increment",
  mutates: true,
  apply: (current, origin) => {
    const n = counterValue(current);
    if (n === undefined) return refuse({ code: "not_integer", current });
    const sum = n + by;
    if (!Number.isSafeInteger(sum)) return refuse({ code: "overflow", current });
    return apply(nextState(current, encoder.encode(String(sum)), COUNTER_CONTENT_TYPE, origin));
  },
});
