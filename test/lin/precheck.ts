// Cheap necessary conditions for linearizability, checked before the search.
// Each follows from the model alone (every applied op adds exactly one version,
// or with jumps at least one, so a version names one state), so a violation here is a definite verdict. They
// catch the usual bugs (stale reads, lost updates, double CAS wins, versions or
// values from nowhere) in O(n log n) with a crisp explanation, where the search
// would have to exhaust every placement of the unknown ops to prove the same.
import { describeEvent } from "./format.js";
import type { Event, Op, Result } from "./history.js";
import { sameResult, step, type State } from "./model.js";
import { applied, versionAfter, versionBefore } from "./versions.js";

export interface Violation {
  reason: string;
  events: Event[];
}

/** An event with its index in the key's event list (`#i` in reasons). */
interface Indexed {
  e: Event;
  i: number;
}
type Completed = Indexed & { r: Result };

export interface PrecheckOptions {
  /**
   * Version jumps (see CheckOptions.jumps): an op applied to an absent state may produce any higher version. Every
   * check below holds under jumps (versions still strictly grow along a linearization, so each version still names
   * one state and is produced by one op; `versionBefore` is then an upper bound of what an op saw, which is the
   * direction the checks use), except counting ops to reach a version, which is skipped.
   */
  jumps?: boolean;
}

/** `events` are the events of one key. */
export function precheck(events: readonly Event[], opts: PrecheckOptions = {}): Violation | null {
  const completed: Completed[] = [];
  events.forEach((e, i) => {
    if (e.result !== null) completed.push({ e, i, r: e.result });
  });
  return (
    impossibleAlone(completed) ??
    sameVersionTwice(completed) ??
    conflictingStates(completed) ??
    versionsGoBack(completed) ??
    (opts.jumps === true ? null : versionsFromNowhere(events, completed)) ??
    valuesFromNowhere(events, completed)
  );
}

const show = (x: Indexed) => `#${x.i} ${describeEvent(x.e)}`;

/** No register state at all yields this result for this op. */
function impossibleAlone(completed: readonly Completed[]): Violation | null {
  for (const x of completed) {
    if (!possibleAlone(x.e.op, x.r)) return { reason: `${show(x)} is impossible in any state.`, events: [x.e] };
  }
  return null;
}

// A non-null value that no op treats as an integer.
const OPAQUE = "\u0000opaque";

function possibleAlone(op: Op, r: Result): boolean {
  const before = versionBefore(r);
  if (before !== Infinity && !(Number.isInteger(before) && before >= 0)) return false;
  const candidates: (string | null)[] = [null, OPAQUE];
  if ("found" in r && r.found) candidates.push(r.value);
  if (op.kind === "increment") {
    if ("value" in r && typeof r.value === "number") {
      const prior = r.value - op.by;
      // Float sums can land on `value` from odd priors; only judge exact cases.
      if (![op.by, r.value, prior].every(Number.isSafeInteger)) return true;
      candidates.push(String(prior));
    }
    const big = Number.MAX_SAFE_INTEGER;
    candidates.push(String(big), String(-big), String(big + 2)); // overflow for by > 0, < 0, = 0
  }
  const version = before === Infinity ? 1 : before;
  return candidates.some((value) => {
    if (version === 0 && value !== null) return false; // v0 is the initial absent state
    const s: State = { version, value };
    return sameResult(step(s, op).result, r);
  });
}

/** Each version is produced by exactly one applied op. */
function sameVersionTwice(completed: readonly Completed[]): Violation | null {
  const producer = new Map<number, Completed>();
  for (const x of completed) {
    if (!applied(x.r)) continue;
    const v = versionAfter(x.r);
    const other = producer.get(v);
    if (other !== undefined) {
      return { reason: `${show(other)} and ${show(x)} both produced v${v}.`, events: [other.e, x.e] };
    }
    producer.set(v, x);
  }
  return null;
}

/** All observations of one version must describe the same state. */
function conflictingStates(completed: readonly Completed[]): Violation | null {
  const known = new Map<number, { fact: Fact; by: Completed }>();
  for (const x of completed) {
    const found = factOf(x.e.op, x.r);
    if (found === null) continue;
    const [version, fact] = found;
    const prior = known.get(version);
    if (prior === undefined || (prior.fact === PRESENT && fact !== PRESENT && fact !== null)) {
      known.set(version, { fact, by: x });
      continue;
    }
    const compatible = prior.fact === fact || (fact === PRESENT && prior.fact !== null) || (prior.fact === PRESENT && fact !== null);
    if (!compatible) {
      return {
        reason: `${show(prior.by)} says v${version} is ${say(prior.fact)}, but ${show(x)} says it is ${say(fact)}.`,
        events: [prior.by.e, x.e],
      };
    }
  }
  return null;
}

/** What an op reveals about the state at one version: its exact value, or only that it is present. */
const PRESENT = Symbol("present");
type Fact = string | null | typeof PRESENT;

function say(f: Fact): string {
  return f === null ? "absent" : f === PRESENT ? "present" : JSON.stringify(f);
}

function factOf(op: Op, r: Result): [number, Fact] | null {
  if ("found" in r) return r.found ? [r.version, r.value] : null;
  if (r.ok) {
    if ("value" in r) return [r.version, String(r.value)];
    if (op.kind === "delete") return [r.version, null];
    if (op.kind === "write" || op.kind === "cas" || op.kind === "create") return [r.version, op.value];
    return null;
  }
  if ("current" in r && r.current !== null) return [r.current, PRESENT];
  return null;
}

/** An op must not observe a version older than one reached by an op that returned before it was called. */
function versionsGoBack(completed: readonly Completed[]): Violation | null {
  const byRet = [...completed].sort((a, b) => a.e.ret! - b.e.ret!);
  const byCall = [...completed].sort((a, b) => a.e.call - b.e.call);
  let k = 0;
  let newest: (Completed & { v: number }) | null = null;
  for (const x of byCall) {
    for (; k < byRet.length && byRet[k]!.e.ret! < x.e.call; k++) {
      const a = byRet[k]!;
      const v = versionAfter(a.r);
      if (newest === null || v > newest.v) newest = { ...a, v };
    }
    const need = versionBefore(x.r);
    if (newest !== null && need < newest.v) {
      return {
        reason: `${show(x)} took effect at v${need}, but ${show(newest)} had reached v${newest.v} before #${x.i} was called.`,
        events: [newest.e, x.e],
      };
    }
  }
  return null;
}

/** Observing version v needs at least v ops that may change the register, called before the observation returned. */
function versionsFromNowhere(events: readonly Event[], completed: readonly Completed[]): Violation | null {
  // Applied completed ops, and unknown ops other than reads, may each add a version.
  const calls = events
    .filter((e) => (e.result === null ? e.op.kind !== "read" : applied(e.result)))
    .map((e) => e.call)
    .sort((a, b) => a - b);
  let count = 0;
  for (const x of [...completed].sort((a, b) => a.e.ret! - b.e.ret!)) {
    while (count < calls.length && calls[count]! <= x.e.ret!) count++;
    const v = versionAfter(x.r);
    if (v > count) {
      return {
        reason: `${show(x)} reports v${v}, but only ${count} ops that could change the register were called before it returned.`,
        events: [x.e],
      };
    }
  }
  return null;
}

/** A value read must have been stored by some op called before the read returned. */
function valuesFromNowhere(events: readonly Event[], completed: readonly Completed[]): Violation | null {
  const firstStore = new Map<string, number>(); // exact values -> earliest call of an op that may store them
  let firstUnknownIncrement = Infinity; // may store any integer
  for (const e of events) {
    const r = e.result;
    if (r !== null && !applied(r)) continue;
    const op = e.op;
    let value: string | null = null;
    if (op.kind === "write" || op.kind === "cas" || op.kind === "create") value = op.value;
    else if (op.kind === "increment" && r !== null && "value" in r) value = String(r.value);
    else if (op.kind === "increment") firstUnknownIncrement = Math.min(firstUnknownIncrement, e.call);
    if (value !== null) firstStore.set(value, Math.min(firstStore.get(value) ?? Infinity, e.call));
  }
  for (const x of completed) {
    if (!("found" in x.r) || !x.r.found) continue;
    const value = x.r.value;
    const integer = String(Number(value)) === value && Number.isSafeInteger(Number(value));
    const earliest = Math.min(firstStore.get(value) ?? Infinity, integer ? firstUnknownIncrement : Infinity);
    if (!(earliest <= x.e.ret!)) {
      return { reason: `${show(x)} returns a value that no op called before it returned could have stored.`, events: [x.e] };
    }
  }
  return null;
}
