import { counterValue, COUNTER_CONTENT_TYPE } from "../change.js";
import { isLive, type Register } from "../register.js";
import { KEEP, type NextState } from "./intent.js";

/**
 * A transaction as etcd's `txn` has it: comparisons, then the `success` ops if every comparison holds, else the
 * `failure` ops. Keys are plain keys; values are bytes (the HTTP layer decodes them).
 */
export type Compare =
  /** Holds when the key is live at exactly this version; version 0 holds for a key that is absent or deleted. */
  | { readonly key: string; readonly version: number }
  | { readonly key: string; readonly exists: boolean }
  /** Holds when the key is live with exactly these bytes. */
  | { readonly key: string; readonly value: Uint8Array };

export type TxnOp =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "put"; readonly key: string; readonly value: Uint8Array; readonly contentType: string }
  | { readonly op: "delete"; readonly key: string }
  | { readonly op: "increment"; readonly key: string; readonly by: number };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
}

/** At most this many distinct keys in one transaction (comparisons and both branches together). */
export const MAX_TXN_KEYS = 64;

/** Every distinct key the transaction touches, sorted: each gets an intent (a lock), compared-only keys too. */
export function keysOf(request: TxnRequest): string[] {
  const keys = new Set<string>();
  for (const c of request.compare) keys.add(c.key);
  for (const op of [...request.success, ...request.failure]) keys.add(op.key);
  return [...keys].sort();
}

/** Why a request is malformed, or null. */
export function invalidReason(request: TxnRequest): string | null {
  const keys = keysOf(request);
  if (keys.length === 0) return "a transaction needs at least one key";
  if (keys.length > MAX_TXN_KEYS) return `a transaction touches at most ${MAX_TXN_KEYS} keys (this one ${keys.length})`;
  for (const [name, ops] of [["success", request.success], ["failure", request.failure]] as const) {
    const seen = new Set<string>();
    for (const op of ops) {
      if (seen.has(op.key)) return `key ${JSON.stringify(op.key)} appears twice among the ${name} ops`;
      seen.add(op.key);
      if (op.op === "increment" && !Number.isSafeInteger(op.by)) return `increment of ${JSON.stringify(op.key)}: "by" must be a safe integer`;
    }
  }
  return null;
}

/** Whether the transaction only reads: then it runs as an atomic multi-key read (snapshot.ts), with no intents. */
export function isReadOnly(request: TxnRequest): boolean {
  return [...request.success, ...request.failure].every((op) => op.op === "get");
}

export function compareHolds(c: Compare, state: Register): boolean {
  if ("version" in c) return isLive(state) ? state.version === c.version : c.version === 0;
  if ("exists" in c) return isLive(state) === c.exists;
  return isLive(state) && equalBytes(state.value, c.value);
}

/** Whether the comparisons on `key` hold for its (visible) state. */
export function comparesHoldOn(request: TxnRequest, key: string, state: Register): boolean {
  return request.compare.every((c) => c.key !== key || compareHolds(c, state));
}

/** What one branch does to one key: its next state, or why it cannot (an increment of a non-integer). */
export type BranchPlan = { readonly next: NextState; readonly error?: "not_integer" | "overflow" };

const encoder = new TextEncoder();

/** What the ops of one branch do to `key` in `state`: a key has at most one op per branch. */
export function planBranch(ops: readonly TxnOp[], key: string, state: Register): BranchPlan {
  const op = ops.find((o) => o.key === key);
  if (op === undefined || op.op === "get") return { next: KEEP };
  if (op.op === "put") return { next: { kind: "put", value: op.value, contentType: op.contentType } };
  if (op.op === "delete") return { next: isLive(state) ? { kind: "delete" } : KEEP };
  const n = counterValue(state);
  if (n === undefined) return { next: KEEP, error: "not_integer" };
  const sum = n + op.by;
  if (!Number.isSafeInteger(sum)) return { next: KEEP, error: "overflow" };
  return { next: { kind: "put", value: encoder.encode(String(sum)), contentType: COUNTER_CONTENT_TYPE } };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

