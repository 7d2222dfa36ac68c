// Sequential specification of one versioned register: the reference semantics
// the checker replays candidate linearizations against.
import type { Op, Result } from "./history.js";

/** `value === null` means absent (never written, or deleted: a tombstone keeps its version). */
export interface State {
  readonly version: number;
  readonly value: string | null;
}

export const initialState: State = { version: 0, value: null };

const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** Whether increment treats `value` as a number (else it refuses with notInteger). */
export function isCanonicalInteger(value: string): boolean {
  return CANONICAL_INTEGER.test(value);
}

/** Applies `op` to `s`; refused ops return `s` itself (nothing changes). */
export function step(s: State, op: Op): { state: State; result: Result } {
  switch (op.kind) {
    case "read":
      return {
        state: s,
        result: s.value === null ? { found: false } : { found: true, value: s.value, version: s.version },
      };
    case "write":
      return apply(s, op.value);
    case "cas":
      if (s.value !== null && s.version === op.expect) return apply(s, op.value);
      return refuse(s, s.value === null ? null : s.version);
    case "create":
      return s.value === null ? apply(s, op.value) : refuse(s, s.version);
    case "delete":
      if (s.value === null) return refuse(s, null);
      if (op.expect !== undefined && op.expect !== s.version) return refuse(s, s.version);
      return apply(s, null);
    case "increment": {
      if (s.value !== null && !isCanonicalInteger(s.value)) {
        return { state: s, result: { ok: false, notInteger: true } };
      }
      // Absent counts as 0. Plain float addition, exactly as the spec states it.
      const sum = (s.value === null ? 0 : Number(s.value)) + op.by;
      if (!Number.isSafeInteger(sum)) return { state: s, result: { ok: false, overflow: true } };
      const next = { version: s.version + 1, value: String(sum) };
      return { state: next, result: { ok: true, value: sum, version: next.version } };
    }
  }
}

function apply(s: State, value: string | null): { state: State; result: Result } {
  const next = { version: s.version + 1, value };
  return { state: next, result: { ok: true, version: next.version } };
}

function refuse(s: State, current: number | null): { state: State; result: Result } {
  return { state: s, result: { ok: false, current } };
}

/**
 * Exact comparison: same defined fields with identical values. Extra or missing
 * fields are a mismatch, so a refusal must carry exactly the model's version.
 */
export function sameResult(a: Result, b: Result): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let fields = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    if (x[k] !== y[k]) return false;
    fields++;
  }
  for (const k in y) if (y[k] !== undefined) fields--;
  return fields === 0;
}

export function sameState(a: State, b: State): boolean {
  return a.version === b.version && a.value === b.value;
}
