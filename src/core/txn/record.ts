import { nextState, type Change, type Decision } from "../change.js";
import { isLive, type Register } from "../register.js";

/**
 * The transaction record: a register of its own (key `\u0001txn:<id>`, a control character first, so key listings
 * skip it, as they skip locks) that goes from pending (absent: never written) to committed or aborted exactly once,
 * by compare-and-set. Its `committed` state is the commit point: the one instant the whole transaction takes effect.
 *
 * - Nobody writes it pending: absent means pending, and each intent carries the transaction's start time, which is
 *   all a resolver needs of a pending record. (Records written `pending` by older coordinators read the same.) So
 *   the record's first write is its decision, and a transaction costs one change fewer.
 * - Only the coordinator commits (`commitRecord`): an absent or pending record, never an aborted one.
 * - Anyone may abort (`abortRecord`): the coordinator when a step fails, a resolver when the record (or, while it
 *   is absent, the intent it met) is older than the staleness deadline. Abort writes the record even when absent, so
 *   a late `commitRecord` of the coordinator then finds it decided and fails: CASPaxos orders the abort and the
 *   commit, and exactly one of them is chosen. Records are never deleted, so an aborted one never reads as absent.
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

/**
 * Absent or pending to committed (the commit point); committed already is the same write; aborted refuses.
 * `startedAt` is the transaction's (as its intents say), kept in the record for operators.
 */
export const commitRecord = (txn: string, startedAt: number, succeeded: boolean): Change => ({
  name: "txn.commit",
  mutates: true,
  apply(current, origin) {
    const record = parseRecord(current);
    if (record?.status === "aborted") return decided(current);
    if (record?.status === "committed") return same(current);
    return write(current, { txn, startedAt: record?.startedAt ?? startedAt, status: "committed", succeeded }, origin);
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
