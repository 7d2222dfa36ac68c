import type { Change, Decision } from "../change.js";
import type { Register, RegisterState } from "../register.js";
import { changesKey, committedState, type Intent } from "./intent.js";
import { planBranch, type TxnRequest } from "./request.js";

/**
 * The change functions of intents. All are pure and idempotent: a proposer may apply one again to a newer state
 * (recovery of a lost accept), and anyone may resolve an intent, any number of times.
 */

const apply = (next: Register): Decision => ({ kind: "apply", next });

/** The refusal that names the unresolved intent found on a key. */
const held = (current: RegisterState): Decision => ({ kind: "refuse", refusal: { code: "intent_present", current } });

/** An invisible change: same version, value and origin, one more hidden change (see register.ts positionOf). */
function invisible(current: RegisterState, intent: Intent | undefined): RegisterState {
  const { intent: _intent, lineage: _lineage, ...rest } = current;
  return { ...rest, ...(intent === undefined ? {} : { intent }), hidden: (current.hidden ?? 0) + 1 };
}

/** The name of a placement (the sweep's trigger wakes the sweeper before one is sent, sweep-trigger.ts). */
export const PLACE_INTENT = "txn.place";

/**
 * Places transaction `txn`'s intent on `key`: what the key becomes under each branch is computed here, from the
 * state the intent locks. Refused (`intent_present`, naming it) while another transaction's intent is there.
 * Applied again on a key that already holds this very intent, it changes nothing. The comparisons are not judged
 * here (the coordinator judges them from the state this change returns, all keys together), but every key they read
 * is held by the intent until the transaction is resolved, so they still hold at the commit point.
 */
export const placeIntent = (txn: string, record: string, startedAt: number, request: TxnRequest, key: string): Change => ({
  name: PLACE_INTENT,
  mutates: true,
  apply(current) {
    if (current?.intent !== undefined) return current.intent.txn === txn ? apply(current) : held(current);
    const intent: Intent = {
      txn,
      record,
      startedAt,
      success: planBranch(request.success, key, current).next,
      failure: planBranch(request.failure, key, current).next,
    };
    // A key never written gets a placeholder at version 0 (clients see it as absent) to carry the intent.
    const base: RegisterState = current ?? { version: 0, value: null, contentType: "", origin: txn };
    return apply(invisible(base, intent));
  },
});

/** How a transaction ended, as its record says. */
export type Resolution = { readonly committed: true; readonly succeeded: boolean } | { readonly committed: false };

/**
 * Resolves `txn`'s intent on a key: committed, the key takes its next state (version + 1; a branch that keeps the
 * key only drops the intent); aborted, the intent is dropped with no visible change. A key that no longer holds
 * this intent (resolved already, or never placed) is left as it is.
 */
export const resolveIntent = (txn: string, resolution: Resolution): Change => ({
  name: resolution.committed ? "txn.commit-intent" : "txn.abort-intent",
  mutates: true,
  apply(current) {
    const intent = current?.intent;
    if (current === null || intent === undefined || intent.txn !== txn) return apply(current);
    if (resolution.committed && changesKey(current, intent, resolution.succeeded)) {
      return apply(committedState(current, intent, resolution.succeeded));
    }
    return apply(invisible(current, undefined));
  },
});

/**
 * A single-key change that must not pass an intent: refused (`intent_present`) while one is on the key, otherwise
 * the change itself, unchanged. What the transaction-aware registers (registers.ts) send for every plain change: on
 * a key without intents it costs nothing (same rounds, same messages).
 */
export const guarded = (change: Change): Change => ({
  name: change.name,
  mutates: change.mutates,
  apply: (current, origin) => (current?.intent !== undefined ? held(current) : change.apply(current, origin)),
});
