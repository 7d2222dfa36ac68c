// Sequential specification of one versioned register: the reference semantics
// the checker replays candidate linearizations against.
import type { Op, Result } from "./history.js";

/**
 * `value === null` means absent (never written, or deleted: a tombstone keeps its version).
 * `floating` (only with version jumps, see `tryStep`): an unknown op jumped from an absent state and no op has
 * observed a version since, so `version` is only a lower bound; the first op that reveals the version fixes it.
 */
export interface State {
  readonly version: number;
  readonly value: string | null;
  readonly floating?: boolean;
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
  return a.version === b.version && a.value === b.value && (a.floating === true) === (b.floating === true);
}

/**
 * Linearizes `op` at `s` as the search does, or says it cannot go here (null).
 * - `expected` null (an unknown op): the state after it, or null if it has no effect here (equivalent to skipping).
 * - `expected` a result: the state after it, if the op can produce exactly that result in `s`.
 * With `jumps` (garbage collection of deleted keys): an op applied to an ABSENT state (never written or deleted) may
 * produce any version above the state's version, not only the next one; an op applied to a live state still produces
 * exactly the next version, and versions never repeat or go down. An unknown op's jump is not observed, so its
 * state is `floating` (its version a lower bound) until an op reveals the version.
 */
export function tryStep(s: State, op: Op, expected: Result | null, jumps: boolean): State | null {
  let at = s;
  if (s.floating === true && expected !== null && s.value !== null) {
    // A live floating state: the first result that reveals the version fixes it (it must be at or above the bound).
    const seen = revealedBefore(expected);
    if (seen !== null) {
      if (!(seen >= s.version)) return null;
      at = { version: seen, value: s.value };
    }
  }
  if (s.floating === true && expected === null && s.value !== null) {
    // An unknown cas or conditional delete on a live floating state has an effect only if the version is the one it
    // expects: that is the one choice that is not equivalent to skipping it.
    const expect = op.kind === "cas" || op.kind === "delete" ? op.expect : undefined;
    if (expect !== undefined) {
      if (!(expect >= s.version)) return null;
      at = { version: expect, value: s.value };
    }
  }
  const out = step(at, op);
  const changed = out.state !== at;
  const jump = jumps && changed && at.value === null;
  if (expected === null) {
    if (!changed) return null;
    return jump ? { ...out.state, floating: true } : keepFloating(at, out.state);
  }
  if (jump && "ok" in expected && expected.ok === true) {
    // Any version above the absent state's (its lower bound, if floating) will do.
    if (!(expected.version > at.version)) return null;
    if (!sameResult({ ...out.result, version: expected.version } as Result, expected)) return null;
    return { version: expected.version, value: out.state.value };
  }
  if (!sameResult(out.result, expected)) return null;
  return keepFloating(at, out.state);
}

function keepFloating(before: State, after: State): State {
  return before.floating === true && after.floating !== true ? { ...after, floating: true } : after;
}

/** The version a result shows the op saw in a LIVE state (null when it does not tell). */
function revealedBefore(r: Result): number | null {
  if ("found" in r) return r.found ? r.version : null;
  if (r.ok) return r.version - 1;
  if ("current" in r && r.current !== null) return r.current;
  return null;
}
