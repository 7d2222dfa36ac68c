// History format for the linearizability checker: what clients asked for and
// what they observed, with virtual-time invocation/response timestamps.
// Deliberately independent of src/: this is the oracle's own vocabulary.

export type Op =
  | { kind: "read" }
  | { kind: "write"; value: string }
  | { kind: "cas"; expect: number; value: string }
  | { kind: "create"; value: string }
  | { kind: "delete"; expect?: number }
  | { kind: "increment"; by: number };

export type ReadResult = { found: false } | { found: true; value: string; version: number };
/** An applied write / cas / create / delete: the new version. */
export type Applied = { ok: true; version: number };
/** A refused cas / create / delete: the current version, or null if absent. */
export type Refused = { ok: false; current: number | null };
export type IncrementResult =
  | { ok: true; value: number; version: number }
  | { ok: false; notInteger: true }
  | { ok: false; overflow: true };

export type Result = ReadResult | Applied | Refused | IncrementResult;

/**
 * One client operation. `result === null` means the outcome is unknown (the
 * client timed out or gave up at `ret`, or never heard back when `ret` is null):
 * the op may take effect at any time after `call`, or never.
 */
export interface Event {
  key: string;
  client: number;
  op: Op;
  call: number;
  ret: number | null;
  result: Result | null;
}

export function isUnknown(e: Event): boolean {
  return e.result === null;
}

/** Records a history as a test drives clients; ids are indexes into the log. */
export class HistoryRecorder {
  private readonly log: Event[] = [];
  private readonly finished = new Set<number>();

  invoke(key: string, client: number, op: Op, now: number): number {
    this.log.push({ key, client, op, call: now, ret: null, result: null });
    return this.log.length - 1;
  }

  complete(id: number, result: Result, now: number): void {
    const e = this.open(id, now);
    e.ret = now;
    e.result = result;
  }

  /** The client gave up at `now`; the op may still take effect later. */
  unknown(id: number, now: number): void {
    const e = this.open(id, now);
    e.ret = now;
    e.result = null;
  }

  /** A snapshot; ops never completed are reported as unknown (ret null). */
  events(): Event[] {
    return this.log.map((e) => ({ ...e }));
  }

  private open(id: number, now: number): Event {
    const e = this.log[id];
    if (e === undefined) throw new Error(`HistoryRecorder: no op with id ${id}`);
    if (this.finished.has(id)) throw new Error(`HistoryRecorder: op ${id} already finished`);
    if (now < e.call) throw new Error(`HistoryRecorder: op ${id} finished at ${now}, before its call at ${e.call}`);
    this.finished.add(id);
    return e;
  }
}
