// Linearizability checker for the versioned register: Wing & Gong's search with
// Lowe's memoisation, as in Porcupine / Knossos, checked key by key
// (linearizability is compositional).
import type { Event, Op, Result } from "./history.js";
import { ExactSet, HashedSet, type LinearizedSet } from "./memo.js";
import { MinTree } from "./min-tree.js";
import { initialState, sameResult, sameState, stateKey, step, type State } from "./model.js";
import { describeEvent, formatResult, formatState } from "./format.js";

export { describeEvent } from "./format.js";

export interface CheckOptions {
  /** Model steps allowed per key before giving up with `ok: 'unknown'`. Default 2,000,000. */
  maxSteps?: number;
}

export type CheckResult =
  | { ok: true }
  | { ok: false; key: string; reason: string; events: Event[] }
  | { ok: "unknown"; key: string; reason: string };

const DEFAULT_MAX_STEPS = 2_000_000;

/**
 * Checks every key independently. Returns the first violation found; otherwise
 * the first key whose search ran out of budget; otherwise ok.
 * Throws on malformed events (ret before call, a result without a ret).
 */
export function checkHistory(events: readonly Event[], opts: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, Event[]>();
  for (const e of events) {
    validate(e);
    let list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, (list = []));
    list.push(e);
  }
  let undecided: CheckResult | null = null;
  for (const [key, list] of byKey) {
    const verdict = checkKey(key, list, opts);
    if (verdict.ok === false) return verdict;
    if (verdict.ok === "unknown") undecided ??= verdict;
  }
  return undecided ?? { ok: true };
}

/** Checks the events of a single key (all assumed to be on `key`). */
export function checkKey(key: string, events: readonly Event[], opts: CheckOptions = {}): CheckResult {
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const fast = search(key, events, maxSteps, (n) => new HashedSet(n));
  if (fast.ok !== false) return fast;
  // Confirm with exact memo keys, so a hash collision can never cause a false alarm.
  return search(key, events, maxSteps, (n) => new ExactSet(n));
}

function validate(e: Event): void {
  const bad = (why: string) => new Error(`malformed event (${why}): ${describeEvent(e)}`);
  if (!Number.isFinite(e.call)) throw bad("call is not a finite number");
  if (e.ret !== null && !(e.ret >= e.call)) throw bad("ret before call");
  if (e.result !== null && e.ret === null) throw bad("result without ret");
}

/** One op as the search sees it. Unknown ops have no result and no return. */
interface Pending {
  readonly event: Event;
  readonly index: number; // position among this key's events, for reports
  readonly op: Op;
  readonly result: Result | null;
  /** Register version the op must observe to produce `result` (Infinity: any). */
  readonly needs: number;
}

/** Deepest partial linearizations found, for the failure report. */
interface Snapshot {
  readonly state: State;
  readonly tail: readonly Pending[]; // last few ops of the partial linearization
  readonly candidates: readonly Pending[]; // ops that could come next
  readonly blocker: Pending; // completed op whose return ends the window
}

const TAIL = 5;
const MAX_SNAPSHOTS = 4;

function search(
  key: string,
  events: readonly Event[],
  maxSteps: number,
  newSet: (n: number) => LinearizedSet,
): CheckResult {
  // Unknown reads can neither change state nor be contradicted: drop them.
  const ops: Pending[] = [];
  events.forEach((event, index) => {
    if (event.result === null && event.op.kind === "read") return;
    ops.push({ event, index, op: event.op, result: event.result, needs: versionNeeded(event.result) });
  });
  const n = ops.length;
  const completedTotal = ops.filter((p) => p.result !== null).length;

  // Doubly linked list of call (2i) and return (2i+1) entries in time order;
  // unknown ops have no return entry (they may take effect arbitrarily late).
  // On equal timestamps calls sort first: touching ops count as concurrent,
  // which can only accept more histories, never reject a linearizable one.
  const entries: number[] = [];
  ops.forEach((p, i) => {
    entries.push(2 * i);
    if (p.result !== null) entries.push(2 * i + 1);
  });
  const time = (e: number) => (e & 1 ? ops[e >> 1]!.event.ret! : ops[e >> 1]!.event.call);
  entries.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = HEAD;
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  const unlink = (e: number) => {
    next[prev[e]!] = next[e]!;
    if (next[e] !== -1) prev[next[e]!] = prev[e]!;
  };
  const relink = (e: number) => {
    next[prev[e]!] = e;
    if (next[e] !== -1) prev[next[e]!] = e;
  };
  // Dancing links: undo in reverse order of removal.
  const lift = (i: number) => {
    unlink(2 * i);
    if (ops[i]!.result !== null) unlink(2 * i + 1);
  };
  const unlift = (i: number) => {
    if (ops[i]!.result !== null) relink(2 * i + 1);
    relink(2 * i);
  };

  // Versions only grow, so once the state is past the version some pending
  // completed op must observe, this branch is dead: prune it immediately.
  const needs = new MinTree(ops.map((p) => p.needs));
  const linearized = newSet(n);
  const seen = new Set<string>();
  const stack: { op: number; before: State }[] = [];
  let state = initialState;
  let remaining = completedTotal;
  let steps = 0;

  let deepest = -1;
  const snapshots: Snapshot[] = [];
  const record = () => {
    const depth = completedTotal - remaining;
    if (depth < deepest) return;
    if (depth > deepest) {
      deepest = depth;
      snapshots.length = 0;
    }
    if (snapshots.length >= MAX_SNAPSHOTS || snapshots.some((s) => sameState(s.state, state))) return;
    const candidates: Pending[] = [];
    let e = next[HEAD]!;
    for (; e !== -1 && !(e & 1); e = next[e]!) candidates.push(ops[e >> 1]!);
    if (e === -1) return; // nothing left to block on (cannot happen while remaining > 0)
    const tail = stack.slice(-TAIL).map((s) => ops[s.op]!);
    snapshots.push({ state, tail, candidates, blocker: ops[e >> 1]! });
  };
  record();

  let entry = next[HEAD]!;
  while (remaining > 0) {
    if (entry === -1) throw new Error("checker invariant broken: ran off the entry list");
    const i = entry >> 1;
    const p = ops[i]!;
    if (!(entry & 1)) {
      // A call entry: try to linearize op i right now.
      if (++steps > maxSteps) {
        return {
          ok: "unknown",
          key,
          reason: `budget exceeded: ${maxSteps} model steps for key ${JSON.stringify(key)} (${events.length} events); the history is too concurrent to decide`,
        };
      }
      const out = step(state, p.op);
      // An unknown op that changes nothing here is equivalent to skipping it.
      let ok = p.result === null ? !sameState(out.state, state) : sameResult(out.result, p.result);
      if (ok && p.result !== null) needs.set(i, Infinity);
      if (ok && out.state.version > needs.min()) ok = false;
      if (ok) {
        linearized.toggle(i);
        const memoKey = `${linearized.key()}|${stateKey(out.state)}`;
        if (seen.has(memoKey)) {
          linearized.toggle(i);
          ok = false;
        } else {
          seen.add(memoKey);
        }
      }
      if (ok) {
        stack.push({ op: i, before: state });
        state = out.state;
        lift(i);
        if (p.result !== null) remaining--;
        record();
        entry = next[HEAD]!;
      } else {
        if (p.result !== null) needs.set(i, p.needs);
        entry = next[entry]!;
      }
    } else {
      // The return of a not-yet-linearized op: every op linearized from here on
      // would follow it in real time, so backtrack.
      const top = stack.pop();
      if (top === undefined) return failure(key, events, completedTotal, deepest, snapshots);
      const j = top.op;
      state = top.before;
      unlift(j);
      linearized.toggle(j);
      if (ops[j]!.result !== null) {
        remaining++;
        needs.set(j, ops[j]!.needs);
      }
      entry = next[2 * j]!;
    }
  }
  return { ok: true };
}

/** The version the register must have when the op takes effect, given its result. */
function versionNeeded(r: Result | null): number {
  if (r === null) return Infinity;
  if ("found" in r) return r.found ? r.version : Infinity;
  if (r.ok) return r.version - 1;
  if ("current" in r && r.current !== null) return r.current;
  return Infinity;
}

function failure(
  key: string,
  events: readonly Event[],
  completedTotal: number,
  deepest: number,
  snapshots: readonly Snapshot[],
): CheckResult {
  const lines = [
    `key ${JSON.stringify(key)} is not linearizable: at most ${deepest} of ${completedTotal} completed ops ` +
      `(${events.length} events) can be linearized.`,
    `Deepest partial linearization${snapshots.length > 1 ? "s" : ""}:`,
  ];
  const show = (p: Pending) => `#${p.index} ${describeEvent(p.event)}`;
  for (const s of snapshots) {
    lines.push(`  state ${formatState(s.state)}`);
    lines.push(s.tail.length ? `    reached by ...` : `    reached by nothing (initial state)`);
    for (const p of s.tail) lines.push(`      ${show(p)}`);
    lines.push(`    next, one of these must take effect before #${s.blocker.index} returns at ${s.blocker.event.ret}; none leads further:`);
    for (const p of s.candidates) {
      const model = step(s.state, p.op).result;
      lines.push(`      ${show(p)}   model here: ${formatResult(model)}`);
    }
  }
  const involved = new Set<Event>();
  const first = snapshots[0];
  if (first !== undefined) for (const p of [...first.tail, ...first.candidates]) involved.add(p.event);
  const relevant = [...involved].sort((a, b) => a.call - b.call);
  return { ok: false, key, reason: lines.join("\n"), events: relevant };
}
