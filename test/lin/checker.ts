// Linearizability checker for the versioned register, key by key (linearizability
// is compositional). Per key, in order:
// 1. cheap necessary conditions with crisp explanations (precheck.ts);
// 2. a relaxed search in which unknown ops may take effect more than once: a
//    failure there is a definite violation, and it is found fast because which
//    unknown ops were used drops out of the memo key;
// 3. the exact search.
// Both searches are Wing & Gong's with Lowe's memoisation, as in Porcupine /
// Knossos, plus sound reductions that the versioned model allows:
// - prune as soon as the version passes one that a pending op must still observe;
// - try observed (completed) ops before unknown ones at each node;
// - memoise up to equivalence: unknown ops with the same effect, and values no
//   read ever returned, are interchangeable (equivalence.ts, memo.ts).
import type { Event, Op, Result } from "./history.js";
import { END, EntryList, isReturn, opOf } from "./entry-list.js";
import { equivalence } from "./equivalence.js";
import { ExactSet, HashedSet, type LinearizedSet, type OpClasses } from "./memo.js";
import { MinTree } from "./min-tree.js";
import { initialState, sameState, step, tryStep, type State } from "./model.js";
import { describeEvent, formatResult, formatState } from "./format.js";
import { precheck } from "./precheck.js";
import { versionBefore } from "./versions.js";

export { describeEvent } from "./format.js";

export interface CheckOptions {
  /**
   * Model steps each search of a key may take before the verdict is `ok: 'unknown'`
   * (default 2,000,000, roughly half a second). A key is searched at most twice,
   * plus a re-run to confirm a failure.
   */
  maxSteps?: number;
  /** Run the cheap necessary-condition checks first (default true); false tests the search alone. */
  precheck?: boolean;
  /**
   * Version jumps (garbage collection of deleted keys, default false): an op applied to an absent state (deleted or
   * never written) may produce any version above that state's version; ops on live states still produce exactly
   * the next version. Versions still never repeat or go down.
   */
  jumps?: boolean;
}

export type CheckResult =
  | { ok: true }
  | { ok: false; key: string; reason: string; events: Event[] }
  | { ok: "unknown"; key: string; reason: string };

// Dense histories (66 events on one key, most of them unknown) needed more than 2 M steps; one decides within 5 M.
const DEFAULT_MAX_STEPS = 10_000_000;

/**
 * Checks every key independently. Returns the first violation found; otherwise
 * the first key whose search ran out of budget; otherwise ok.
 * Throws on malformed events (ret before call, a result without a ret).
 */
export function checkHistory(events: readonly Event[], opts: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, Event[]>();
  for (const e of events) {
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

/** Checks the events of a single key (all assumed to be on `key`). Throws on malformed events. */
export function checkKey(key: string, events: readonly Event[], opts: CheckOptions = {}): CheckResult {
  events.forEach(validate);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const jumps = opts.jumps === true;
  const early = opts.precheck === false ? null : precheck(events, { jumps });
  if (early !== null) {
    return { ok: false, key, reason: `key ${JSON.stringify(key)} is not linearizable: ${early.reason}`, events: early.events };
  }
  // A relaxed search, where unknown ops may take effect more than once, is cheap
  // to refute (the pool of unknown ops drops out of the memo key), and refuting
  // it refutes the real history too. Skipped when there is nothing to relax.
  if (events.some((e) => e.result === null && e.op.kind !== "read")) {
    const relaxed = confirmed(key, events, maxSteps, true, jumps);
    if (relaxed.ok === false) return relaxed;
  }
  return confirmed(key, events, maxSteps, false, jumps);
}

/** Searches with hashed memo keys; confirms a failure with exact keys, so a hash collision can never cause a false alarm. */
function confirmed(key: string, events: readonly Event[], maxSteps: number, relaxed: boolean, jumps: boolean): CheckResult {
  const fast = search(key, events, { maxSteps, relaxed, jumps, memo: (c) => new HashedSet(c) });
  if (fast.ok !== false) return fast;
  return search(key, events, { maxSteps, relaxed, jumps, memo: (c) => new ExactSet(c) });
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
  /** Highest register version the op may observe to produce `result` (Infinity: any). */
  readonly needs: number;
}

/** Deepest partial linearizations found, for the failure report. */
interface Snapshot {
  readonly state: State;
  readonly tail: readonly Pending[]; // last few ops of the partial linearization
  readonly candidates: readonly Candidate[]; // ops that could come next
  readonly blocker: Pending; // completed op whose return ends the window
}

interface Candidate {
  readonly op: Pending;
  /** Another pending op that must observe the lowest version (what pruning protects). */
  readonly oldest: Pending | null;
}

const TAIL = 5;
const MAX_SNAPSHOTS = 4;

interface SearchOptions {
  maxSteps: number;
  /** Let unknown ops take effect any number of times (at most as many effects as there are unknown ops). */
  relaxed: boolean;
  /** See CheckOptions.jumps. */
  jumps: boolean;
  memo: (classes: OpClasses) => LinearizedSet;
}

function search(
  key: string,
  events: readonly Event[],
  { maxSteps, relaxed, jumps, memo }: SearchOptions,
): CheckResult {
  // Unknown reads can neither change state nor be contradicted: drop them.
  const ops: Pending[] = [];
  events.forEach((event, index) => {
    if (event.result === null && event.op.kind === "read") return;
    ops.push({ event, index, op: event.op, result: event.result, needs: event.result === null ? Infinity : versionBefore(event.result) });
  });
  const completedTotal = ops.filter((p) => p.result !== null).length;

  const list = new EntryList(
    ops.map((p) => p.event.call),
    ops.map((p) => (p.result === null ? null : p.event.ret)),
  );

  // Versions only grow, so once the state is past the version some pending
  // completed op must observe, this branch is dead: prune it immediately. (With
  // jumps an op applied to an absent state may observe less than `needs`, never
  // more, and a floating state's version is a lower bound: still sound.)
  const needs = new MinTree(ops.map((p) => p.needs));
  // Memoise on (linearized ops, state) up to observational equivalence.
  const eq = equivalence(events);
  const classIds = new Map<string, number>();
  const classes = ops.map((p) => {
    if (p.result !== null) return -1;
    const k = eq.opKey(p.op);
    let id = classIds.get(k);
    if (id === undefined) classIds.set(k, (id = classIds.size));
    return id;
  });
  const linearized = memo(classes);
  // Relaxed: unknown ops are never used up, so they stay in the list and out of the memo key.
  const reusable = (i: number) => relaxed && ops[i]!.result === null;
  const unknownTotal = ops.length - completedTotal;
  let unknownUsed = 0;
  const seen = new Set<string>();
  const stack: { op: number; before: State; pass: number }[] = [];
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
    const candidates: Candidate[] = [];
    let e = list.first();
    for (; e !== END && !isReturn(e); e = list.next(e)) {
      const i = opOf(e);
      const op = ops[i]!;
      if (op.result !== null) needs.set(i, Infinity);
      const oldest = needs.argmin();
      if (op.result !== null) needs.set(i, op.needs);
      candidates.push({ op, oldest: oldest < 0 ? null : ops[oldest]! });
    }
    if (e === END) return; // nothing left to block on (cannot happen while remaining > 0)
    const tail = stack.slice(-TAIL).map((s) => ops[s.op]!);
    snapshots.push({ state, tail, candidates, blocker: ops[opOf(e)]! });
  };
  record();

  // Each node tries the completed candidates first (pass 0), then the unknown
  // ones (pass 1): effects nobody observed are only explored when needed.
  let entry = list.first();
  let pass = 0;
  while (remaining > 0) {
    if (entry === END) throw new Error("checker invariant broken: ran off the entry list");
    if (isReturn(entry)) {
      // The return of a not-yet-linearized op: nothing called later can go next.
      if (pass === 0) {
        pass = 1;
        entry = list.first();
        continue;
      }
      const top = stack.pop();
      if (top === undefined) return failure(key, events, completedTotal, deepest, snapshots, relaxed, jumps);
      const j = top.op;
      state = top.before;
      if (ops[j]!.result === null) unknownUsed--;
      if (!reusable(j)) {
        list.unlift(j);
        linearized.remove(j);
      }
      if (ops[j]!.result !== null) {
        remaining++;
        needs.set(j, ops[j]!.needs);
      }
      entry = list.afterCall(j);
      pass = top.pass;
      continue;
    }
    const i = opOf(entry);
    const p = ops[i]!;
    if ((p.result === null) !== (pass === 1)) {
      entry = list.next(entry);
      continue;
    }
    if (++steps > maxSteps) {
      const reason =
        `budget exceeded: ${maxSteps} model steps were not enough to decide key ${JSON.stringify(key)} ` +
        `(${events.length} events; too many concurrent or unknown ops). Raise maxSteps to search further.`;
      return { ok: "unknown", key, reason };
    }
    // Try to linearize op i right now.
    // An unknown op that changes nothing here is equivalent to skipping it (tryStep says null).
    const next = tryStep(state, p.op, p.result, jumps);
    let ok = next !== null;
    if (ok && p.result === null && unknownUsed === unknownTotal) ok = false;
    if (ok && p.result !== null) needs.set(i, Infinity);
    if (ok && next!.version > needs.min()) ok = false;
    if (ok) {
      if (!reusable(i)) linearized.add(i);
      // Relaxed, unknown ops stay out of the linearized set, so the number of unknown effects used (which bounds
      // what is left) goes into the key. Without jumps the version already determines it; with jumps it does not.
      const used = relaxed ? `|${unknownUsed + (p.result === null ? 1 : 0)}` : "";
      const memoKey = `${linearized.key()}|${eq.stateKey(next!)}${used}`;
      if (seen.has(memoKey)) {
        if (!reusable(i)) linearized.remove(i);
        ok = false;
      } else {
        seen.add(memoKey);
      }
    }
    if (ok) {
      stack.push({ op: i, before: state, pass });
      state = next!;
      if (!reusable(i)) list.lift(i);
      if (p.result !== null) remaining--;
      else unknownUsed++;
      record();
      entry = list.first();
      pass = 0;
    } else {
      if (p.result !== null) needs.set(i, p.needs);
      entry = list.next(entry);
    }
  }
  return { ok: true };
}

function failure(
  key: string,
  events: readonly Event[],
  completedTotal: number,
  deepest: number,
  snapshots: readonly Snapshot[],
  relaxed: boolean,
  jumps: boolean,
): CheckResult {
  const lines = [
    `key ${JSON.stringify(key)} is not linearizable: no order fits more than ${deepest} of its ` +
      `${completedTotal} completed ops (${events.length} events)` +
      (relaxed ? ", even letting unknown ops take effect more than once." : "."),
    `Deepest partial linearization${snapshots.length > 1 ? "s" : ""}:`,
  ];
  const involved = new Set<Event>();
  snapshots.forEach((s, n) => {
    // Only the first snapshot's ops go into `events`, to keep that list short.
    const show = (p: Pending, why = "") => {
      if (n === 0) involved.add(p.event);
      return `      #${p.index} ${describeEvent(p.event)}${why && `   <- ${why}`}`;
    };
    lines.push(`  state ${formatState(s.state)}, reached by ${s.tail.length ? "..." : "nothing (initial state)"}`);
    for (const p of s.tail) lines.push(show(p));
    lines.push(`    one of these must come next, before #${s.blocker.index} returns at ${s.blocker.event.ret}:`);
    // Completed candidates are listed; pending unknown ops (often many) mostly summarised.
    const overtaken = new Set<Pending>();
    let idle = 0;
    let pushing = 0;
    const deadEnds: Pending[] = [];
    for (const c of s.candidates) {
      const why = whyNot(s.state, c, jumps);
      if (why.overtakes !== null) overtaken.add(why.overtakes);
      if (c.op.result !== null) lines.push(show(c.op, why.text));
      else if (why.kind === "no effect") idle++;
      else if (why.kind === "overtakes") pushing++;
      else deadEnds.push(c.op);
    }
    for (const p of deadEnds.slice(0, LISTED_UNKNOWN)) lines.push(show(p, "fits, but no continuation does"));
    const more = [
      deadEnds.length > LISTED_UNKNOWN ? `${deadEnds.length - LISTED_UNKNOWN} more that fit but lead nowhere` : "",
      pushing > 0 ? `${pushing} that would move the version too far` : "",
      idle > 0 ? `${idle} without effect here` : "",
    ].filter(Boolean);
    if (more.length > 0) lines.push(`      (unknown ops: ${more.join("; ")})`);
    if (overtaken.size > 0) lines.push(`    where:`);
    for (const p of overtaken) lines.push(show(p));
  });
  const relevant = [...involved].sort((a, b) => a.call - b.call);
  return { ok: false, key, reason: lines.join("\n"), events: relevant };
}

const LISTED_UNKNOWN = 5;

/** Why candidate `c` cannot come next in `state`, as far as one step shows. */
function whyNot(
  state: State,
  { op: p, oldest }: Candidate,
  jumps: boolean,
): { kind: "mismatch" | "no effect" | "overtakes" | "dead end"; text: string; overtakes: Pending | null } {
  const next = tryStep(state, p.op, p.result, jumps);
  if (p.result !== null && next === null) {
    return { kind: "mismatch", text: `model here: ${formatResult(step(state, p.op).result)}`, overtakes: null };
  }
  if (next === null) return { kind: "no effect", text: "no effect here", overtakes: null };
  if (oldest !== null && next.version > oldest.needs) {
    const text = `would move past v${oldest.needs}, which #${oldest.index} must observe`;
    return { kind: "overtakes", text, overtakes: oldest };
  }
  return { kind: "dead end", text: "fits, but no continuation does", overtakes: null };
}
