import type { Outcome, Registers } from "../proposer.js";
import type { Intent } from "./intent.js";
import { resolveIntent, type Resolution } from "./intent-changes.js";
import { abortRecord, parseRecord } from "./record.js";

/**
 * Resolution of an intent by whoever meets it (a read, a write, the coordinator of another transaction, the sweep):
 * the record decides. Committed: roll forward; aborted: drop; pending (or absent) and begun before the staleness
 * deadline: abort it by compare-and-set, which also decides a race with a late commit (one of the two is chosen).
 */
export type Fate =
  | { readonly kind: "decided"; readonly resolution: Resolution }
  /** Pending and within its time: the transaction may still commit. */
  | { readonly kind: "pending" }
  /** The record could not be read or written: nothing is known. */
  | { readonly kind: "failed"; readonly outcome: Outcome & { kind: "unavailable" | "unknown" } };

export function resolutionOf(status: "committed" | "aborted", succeeded: boolean | undefined): Resolution {
  return status === "committed" ? { committed: true, succeeded: succeeded ?? true } : { committed: false };
}

/**
 * What `intent`'s transaction came to, aborting it when it is stale at `now` (begun `staleMs` or more before) and
 * `abortStale` holds. A read of the record linearizes after the read that found the intent, so a pending answer
 * means pending at the time that read was made too (a record never goes back to pending).
 */
export async function fateOf(raw: Registers, intent: Intent, now: number, staleMs: number, abortStale = true): Promise<Fate> {
  const read = await raw.read(intent.record);
  if (read.kind === "unavailable" || read.kind === "unknown") return { kind: "failed", outcome: read };
  if (read.kind === "refused") return { kind: "failed", outcome: { kind: "unavailable", reason: "record read refused", stats: read.stats } };
  const record = parseRecord(read.state);
  if (record !== null && record.status !== "pending") return { kind: "decided", resolution: resolutionOf(record.status, record.succeeded) };
  const began = record?.startedAt ?? intent.startedAt;
  if (!abortStale || now - began < staleMs) return { kind: "pending" };
  const aborted = await raw.change(intent.record, abortRecord(intent.txn, intent.startedAt, now - staleMs));
  if (aborted.kind === "applied") return { kind: "decided", resolution: { committed: false } };
  if (aborted.kind === "refused") {
    // Decided meanwhile (a late commit won the race), or fresher than it looked: read what it is.
    const found = parseRecord(aborted.refusal.current);
    if (found !== null && found.status !== "pending") return { kind: "decided", resolution: resolutionOf(found.status, found.succeeded) };
    return { kind: "pending" };
  }
  return { kind: "failed", outcome: aborted };
}

/** Applies a decided fate to the intent on `key` (idempotent; a key no longer holding it is left alone). */
export function resolveOn(raw: Registers, key: string, intent: Intent, resolution: Resolution): Promise<Outcome> {
  return raw.change(key, resolveIntent(intent.txn, resolution));
}

/**
 * The background sweep's step for one key (sweep.ts): resolve whatever intent it holds if its transaction is decided
 * or stale. "resolved": it held one and now does not; "clear": it held none; "pending": a transaction within its time
 * holds it; "failed": try again later.
 */
export async function sweepKey(raw: Registers, key: string, now: () => number, staleMs: number): Promise<"resolved" | "clear" | "pending" | "failed"> {
  const read = await raw.read(key);
  if (read.kind !== "applied") return "failed";
  const intent = read.state?.intent;
  if (intent === undefined) return "clear";
  const fate = await fateOf(raw, intent, now(), staleMs);
  if (fate.kind === "pending") return "pending";
  if (fate.kind === "failed") return "failed";
  const resolved = await resolveOn(raw, key, intent, fate.resolution);
  return resolved.kind === "applied" ? "resolved" : "failed";
}
