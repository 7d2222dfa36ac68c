import { nextState } from "../change.js";
import { isLive, type Register, type RegisterState } from "../register.js";

/**
 * Intents: how a multi-key transaction holds a key between its placement and its resolution.
 *
 * An intent is a field of the key's register state (`RegisterState.intent`). The state's own `version`, `value` and
 * `contentType` stay those from before the transaction: placing an intent is a change of the register that is NOT
 * a visible change, so it leaves `version` alone (and raises the hidden count instead, see register.ts positionOf).
 * Why not give the intent a version of its own: a plain client reads the state before the intent while the record
 * is pending, and the same version again after an abort. Had placing (or dropping) bumped `version`, a client would
 * see its ETag change with nothing changed, a CAS by version would fail for nothing, a watcher would be woken for
 * nothing, and a fencing token could be handed out twice for one lease. Only a committed resolution (the key takes
 * its next state) raises `version`, by exactly one, as any write does.
 *
 * An intent is a lock for the whole transaction, on every key the transaction touches (compared, read or written):
 * no other change applies to the key while it is there (see intent-changes.ts), so whatever the transaction checked
 * or read at placement still holds at its commit point, which lies between placement and resolution. What the key
 * becomes is fixed at placement for both branches (an increment's sum is computed there); the committed record says
 * which branch was taken.
 */
export interface Intent {
  /** The transaction's id. */
  readonly txn: string;
  /** The key of the transaction's record (record.ts): its decision is the intent's fate. */
  readonly record: string;
  /** The coordinator's clock when the transaction began; a resolver may abort a record pending long past it. */
  readonly startedAt: number;
  /** The key's next state if the record commits with its comparisons holding ("success" ops). */
  readonly success: NextState;
  /** The key's next state if the record commits with a comparison failing ("failure" ops). */
  readonly failure: NextState;
}

export type NextState =
  /** The key stays as it is (only compared or read in this branch). */
  | { readonly kind: "keep" }
  | { readonly kind: "put"; readonly value: Uint8Array; readonly contentType: string }
  | { readonly kind: "delete" };

export const KEEP: NextState = { kind: "keep" };

/**
 * The state as a plain client sees it while the intent is unresolved or after it is dropped: without the intent
 * (a version-0 placeholder, which only carried an intent for a key never written, is no state at all).
 */
export function withoutIntent(state: Register): Register {
  if (state === null || (state.intent === undefined && state.hidden === undefined)) return state;
  if (state.version === 0) return null;
  const { intent: _intent, hidden: _hidden, lineage: _lineage, ...rest } = state;
  return rest;
}

/**
 * The key's state once `intent` is resolved as committed on branch `succeeded`: the next state with version + 1, or
 * (keep, or a delete of an absent key) the state before, unchanged. Resolved states carry the transaction's id as
 * their origin, so whoever resolves (the coordinator, a reader, a writer, the sweep) makes the same visible state.
 */
export function committedState(state: RegisterState, intent: Intent, succeeded: boolean): Register {
  const next = succeeded ? intent.success : intent.failure;
  const base = withoutIntent(state);
  if (next.kind === "put") return nextState(base, next.value, next.contentType, intent.txn);
  if (next.kind === "delete" && isLive(base)) return nextState(base, null, "", intent.txn);
  return base;
}

/** Whether resolving the intent as committed on this branch changes what a client sees. */
export function changesKey(state: RegisterState, intent: Intent, succeeded: boolean): boolean {
  const next = succeeded ? intent.success : intent.failure;
  return next.kind === "put" || (next.kind === "delete" && isLive(state));
}
