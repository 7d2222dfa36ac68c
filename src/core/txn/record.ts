import { nextState, type Change, type Decision } from "../change.js";
import { isLive, type Register } from "../register.js";

/**
 * The transaction record: a register of its own (key `\u0001txn:<id>`, a control character first, so key listings
 * skip it, as they skip locks) that goes from pending to committed or aborted exactly once, by compare-and-set.
 * Its `committed` state is the commit point: the one instant the whole transaction takes effect.
 *
 * - The coordinator writes it pending (`beginRecord`), in parallel with placing its intents.
 * - Only the coordinator commits (`commitRecord`), and only a pending record: never an absent or aborted one.
 * - Anyone may abort (`abortRecord`): the coordinator when a step fails, a resolver when the record (or, while it
 *   is absent, the intent it met) is older than the staleness deadline. Abort writes the record even when absent, so
 *   a late `beginRecord` or `commitRecord` of the coordinator then finds it decided and fails: CASPaxos orders the
 *   abort and the commit, and exactly one of them is chosen.
 */
export type TxnStatus = "pending" | "committed" | "aborted";

export interface TxnRecord {
  readonly txn: string;
  readonly status: TxnStatus;
  /** The coordinator's clock when the transaction began (what staleness is judged by). */
  readonly startedAt: number;
  /** With `committed`: whether the comparisons held (the success ops were taken) or not (the failure ops). */
  readonly succeeded?: boolean;
}

export const RECORD_CONTENT_TYPE = "application/json";
const PREFIX = "\u0001txn:";

export function recordKey(txn: string): string {
  return `${PREFIX}${txn}`;
}

export function isRecordKey(key: string): boolean {
  return key.startsWith(PREFIX);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The record a register holds; null when absent (never written: pending as far as anyone can tell). */
export function parseRecord(state: Register): TxnRecord | null {
  if (!isLive(state)) return null;
  const parsed = JSON.parse(decoder.decode(state.value)) as TxnRecord;
  return parsed;
}

function write(current: Register, record: TxnRecord, origin: string): Decision {
  const body: TxnRecord = record.succeeded === undefined ? { txn: record.txn, status: record.status, startedAt: record.startedAt } : record;
  return { kind: "apply", next: nextState(current, encoder.encode(JSON.stringify(body)), RECORD_CONTENT_TYPE, origin) };
}

const same = (current: Register): Decision => ({ kind: "apply", next: current });
const decided = (current: Register): Decision => ({ kind: "refuse", refusal: { code: "version_mismatch", current } });

/** Absent to pending; pending again is the same write (idempotent); a decided record refuses. */
export const beginRecord = (txn: string, startedAt: number): Change => ({
  name: "txn.begin",
  mutates: true,
  apply(current, origin) {
    const record = parseRecord(current);
    if (record === null) return write(current, { txn, status: "pending", startedAt }, origin);
    return record.status === "pending" ? same(current) : decided(current);
  },
});

/** Pending to committed (the commit point); committed already is the same write; absent or aborted refuses. */
export const commitRecord = (txn: string, succeeded: boolean): Change => ({
  name: "txn.commit",
  mutates: true,
  apply(current, origin) {
    const record = parseRecord(current);
    if (record === null || record.status === "aborted") return decided(current);
    if (record.status === "committed") return same(current);
    return write(current, { ...record, status: "committed", succeeded }, origin);
  },
});

/**
 * Pending or absent to aborted; aborted already is the same write; committed refuses. With `staleBefore`, only a
 * record (or, absent, the transaction as its intent dates it: `startedAt`) begun before it: a fresher one refuses,
 * so a resolver never aborts a transaction still within its time.
 */
export const abortRecord = (txn: string, startedAt: number, staleBefore?: number): Change => ({
  name: "txn.abort",
  mutates: true,
  apply(current, origin) {
    const record = parseRecord(current);
    if (record?.status === "committed") return decided(current);
    if (record?.status === "aborted") return same(current);
    const began = record?.startedAt ?? startedAt;
    if (staleBefore !== undefined && began >= staleBefore) return decided(current);
    return write(current, { txn, status: "aborted", startedAt: began }, origin);
  },
});
