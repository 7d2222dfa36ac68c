import type { Clock } from "../ports.js";
import type { Outcome, Registers } from "../proposer.js";
import type { Register } from "../register.js";
import { committedState, withoutIntent, type Intent } from "./intent.js";
import { placeIntent, resolveIntent, type Resolution } from "./intent-changes.js";
import { abortRecord, commitRecord, recordKey } from "./record.js";
import { comparesHoldOn, invalidReason, isReadOnly, keysOf, planBranch, type TxnRequest } from "./request.js";
import { fateOf, resolveOn } from "./resolver.js";
import { readSnapshot } from "./snapshot.js";

/** The result of one op of the branch taken: the key's state after it (for a get, the state it read). */
export interface OpResult {
  readonly key: string;
  readonly state: Register;
}

export type TxnOutcome =
  /** Committed (200): the comparisons held (`succeeded`) or not, and the branch's ops took effect at the commit point. */
  | { readonly kind: "committed"; readonly succeeded: boolean; readonly results: readonly OpResult[]; readonly txn: string; readonly steps?: TxnSteps }
  /** An op of the branch taken cannot apply (409 not_integer / overflow): aborted, nothing changed. */
  | { readonly kind: "refused"; readonly code: "not_integer" | "overflow"; readonly key: string; readonly txn: string }
  /** The request is malformed (400). */
  | { readonly kind: "invalid"; readonly reason: string }
  /** Definitely not applied (503): no commit was ever chosen, and none ever can be. Safe to retry. */
  | { readonly kind: "unavailable"; readonly reason: string; readonly txn: string }
  /** Maybe applied (504): the commit was sent and no majority confirmed it. */
  | { readonly kind: "unknown"; readonly reason: string; readonly txn: string };

/**
 * How long a committed transaction's steps took (the clock's ms), for Server-Timing: placing the intents (in
 * parallel: the slowest of them), then the commit. Absent for a read answered by a double collect.
 */
export interface TxnSteps {
  readonly placeMs: number;
  readonly commitMs: number;
}

/** The coordinator's steps, where the simulator kills it (the `checkpoint` port). */
export type TxnStep = "begun" | "intent-placed" | "prepared" | "committed" | "intent-resolved";

export interface CoordinatorPorts {
  /** The proposer's registers, NOT the transaction-aware ones: intents are placed and resolved on the raw keys. */
  readonly registers: Registers;
  /** The transaction-aware registers, for the atomic multi-key reads. */
  readonly reads: Registers;
  readonly clock: Clock;
  /** Called at each step; the simulator never returns from it to kill the coordinator there. */
  readonly checkpoint?: (step: TxnStep) => Promise<void>;
  /**
   * Phase 1 of the record's commit, run while the intents are placed (Proposer.prepareAhead), so that the commit
   * takes one round. Optional: without it the commit prepares for itself. Never throws.
   */
  readonly prepareAhead?: (key: string) => Promise<void>;
  /** Runs the resolution after the answer (a Worker's waitUntil); absent: resolution finishes before the answer. */
  readonly background?: (work: Promise<unknown>) => void;
}

export interface CoordinatorSettings {
  /** As TxnSettings.staleMs: resolvers abort a transaction pending this long. Placement and commit must fit in it. */
  readonly staleMs: number;
  /** How long a placement waits for another transaction's pending intent before this transaction gives up. */
  readonly lockWaitMs: number;
  readonly pollMs: number;
  /** Budget of an atomic multi-key read. */
  readonly readDeadlineMs: number;
  /** How many double reads an atomic multi-key read tries before it reads under intents (default 3). */
  readonly snapshotTries?: number;
  /** Negative controls for the simulator only. */
  readonly bug?: "commit-unchecked-intent" | "single-round-snapshot";
}

type Placement =
  | { readonly kind: "placed"; readonly before: Register }
  | { readonly kind: "failed"; readonly reason: string };

/**
 * Runs one transaction. The steps (design: docs/transactions-design.md):
 *
 * 1. Place an intent on every key (sorted, in parallel), each checking nothing but locking the key and fixing what
 *    it becomes under either branch. The record is not written yet: absent is pending (record.ts). Meanwhile, the
 *    record's key is prepared (`prepareAhead`), so that the commit is a single accept round. A key held by another
 *    transaction's intent is resolved if that one is decided or stale, waited for up to `lockWaitMs` if it is
 *    pending, and otherwise this transaction gives up (unavailable: it never waits in a cycle, so no deadlock).
 * 2. Judge the comparisons on the states the intents locked; an increment of a non-integer in the branch taken aborts.
 * 3. Commit the record (the commit point: its first write) with the branch taken, or abort it.
 * 4. Resolve every intent (in parallel); the answer may go out before this ends (`background`).
 *
 * Until the commit is sent, every failure is "unavailable": only the coordinator commits, so a transaction whose
 * coordinator sent no commit can never commit (its record is aborted by it, or by resolvers once stale). After it,
 * a commit no majority confirmed is "unknown", exactly as a single-key change is.
 */
export async function runTransaction(ports: CoordinatorPorts, settings: CoordinatorSettings, txn: string, request: TxnRequest): Promise<TxnOutcome> {
  const invalid = invalidReason(request);
  if (invalid !== null) return { kind: "invalid", reason: invalid };
  const keys = keysOf(request);
  const checkpoint = ports.checkpoint ?? (async () => {});
  if (isReadOnly(request)) {
    const read = await readOnly(ports, settings, txn, request, keys);
    // Keys that moved between every two rounds: take the snapshot under intents instead (below), which cannot starve.
    if (read !== "moving") return read;
  }

  const raw = ports.registers;
  const startedAt = ports.clock.now();
  const record = recordKey(txn);
  await checkpoint("begun");

  const ahead = ports.prepareAhead?.(record) ?? Promise.resolve();
  const placements = keys.map((key) =>
    place(ports, settings, txn, record, startedAt, request, key).then(async (p) => {
      await checkpoint("intent-placed");
      return p;
    }),
  );
  const [, ...placed] = await Promise.all([ahead, ...placements]);
  const abort = async (reason: string): Promise<TxnOutcome> => {
    const aborted = await raw.change(record, abortRecord(txn, startedAt));
    // Only the coordinator commits, and it never will: the intents go whatever became of the abort (if it failed,
    // the record stays pending until a resolver finds it stale and aborts it).
    if (aborted.kind === "applied") resolveAll(ports, keys, txn, { committed: false });
    return { kind: "unavailable", reason, txn };
  };
  const failed = placed.find((p) => p.kind === "failed");
  if (failed !== undefined && failed.kind === "failed") return abort(failed.reason);

  const before = new Map<string, Register>();
  keys.forEach((key, i) => before.set(key, (placed[i] as Placement & { kind: "placed" }).before));
  const succeeded = keys.every((key) => comparesHoldOn(request, key, before.get(key)!));
  const ops = succeeded ? request.success : request.failure;
  for (const op of ops) {
    const error = planBranch(ops, op.key, before.get(op.key)!).error;
    if (error !== undefined) {
      await abort(`${op.op} of ${JSON.stringify(op.key)}: ${error}`);
      return { kind: "refused", code: error, key: op.key, txn };
    }
  }

  await checkpoint("prepared");
  const placedAt = ports.clock.now();
  const commit = await raw.change(record, commitRecord(txn, startedAt, succeeded));
  const committedAt = ports.clock.now();
  if (commit.kind === "refused") {
    // A resolver aborted it as stale first: the abort was chosen, so the commit never can be.
    resolveAll(ports, keys, txn, { committed: false });
    return { kind: "unavailable", reason: "aborted by a resolver before it could commit (too slow)", txn };
  }
  if (commit.kind === "unavailable") return abort(`the commit could not be written (${commit.reason})`);
  if (commit.kind === "unknown") return { kind: "unknown", reason: `the commit may or may not have been chosen (${commit.reason})`, txn };
  await checkpoint("committed");

  const resolution: Resolution = { committed: true, succeeded };
  const results = ops.map((op) => {
    const state = before.get(op.key)!;
    if (op.op === "get") return { key: op.key, state };
    // The state this key's intent resolves to (its branch holds this key's one op).
    const intent: Intent = { txn, record, startedAt, success: planBranch(request.success, op.key, state).next, failure: planBranch(request.failure, op.key, state).next };
    const base = state ?? { version: 0, value: null, contentType: "", origin: txn };
    return { key: op.key, state: withoutIntent(committedState({ ...base, intent }, intent, succeeded)) };
  });
  const resolving = resolveAll(ports, keys, txn, resolution, checkpoint);
  if (ports.background === undefined) await resolving;
  const steps = { placeMs: placedAt - startedAt, commitMs: committedAt - placedAt };
  return { kind: "committed", succeeded, results, txn, steps };
}

/** How many decided intents in its way one placement resolves before it gives up. */
const MAX_RESOLVED = 4;

/** Places the intent on one key, resolving or waiting for another transaction's intent found there. */
async function place(
  ports: CoordinatorPorts,
  settings: CoordinatorSettings,
  txn: string,
  record: string,
  startedAt: number,
  request: TxnRequest,
  key: string,
): Promise<Placement> {
  const raw = ports.registers;
  const giveUpAt = ports.clock.now() + settings.lockWaitMs;
  let pause = settings.pollMs;
  let resolved = 0;
  for (;;) {
    const change = settings.bug === "commit-unchecked-intent" ? overwritingPlace(txn, record, startedAt, request, key) : placeIntent(txn, record, startedAt, request, key);
    const outcome = await raw.change(key, change);
    if (outcome.kind === "applied") return { kind: "placed", before: withoutIntent(outcome.state) };
    if (outcome.kind !== "refused") return { kind: "failed", reason: `intent on ${JSON.stringify(key)}: ${describe(outcome)}` };
    const other = outcome.refusal.current?.intent;
    if (outcome.refusal.code !== "intent_present" || other === undefined) return { kind: "failed", reason: `intent on ${JSON.stringify(key)} refused` };
    const fate = await fateOf(raw, other, ports.clock.now(), settings.staleMs);
    // A decided intent is resolved and the placement tried again (each time progress: that intent is gone), a few
    // times at most, however long it took.
    if (fate.kind === "decided" && ++resolved <= MAX_RESOLVED) {
      await resolveOn(raw, key, other, fate.resolution);
      continue;
    }
    if (ports.clock.now() + pause >= giveUpAt) return { kind: "failed", reason: `${JSON.stringify(key)} is held by transaction ${other.txn}` };
    await ports.clock.timer(pause).fired;
    pause = Math.min(2 * pause, 8 * settings.pollMs);
  }
}

/** Negative control: a placement that takes the key whatever intent is there (commit without checking it). */
function overwritingPlace(txn: string, record: string, startedAt: number, request: TxnRequest, key: string) {
  const correct = placeIntent(txn, record, startedAt, request, key);
  return {
    ...correct,
    apply: (current: Register, origin: string) => {
      if (current?.intent === undefined || current.intent.txn === txn) return correct.apply(current, origin);
      const { intent: _, ...rest } = current;
      return correct.apply(rest, origin);
    },
  };
}

/** Resolves the transaction's intents on every key, in parallel; each resolution is idempotent. */
function resolveAll(ports: CoordinatorPorts, keys: readonly string[], txn: string, resolution: Resolution, checkpoint?: (step: TxnStep) => Promise<void>): Promise<unknown> {
  const work = Promise.all(
    keys.map(async (key) => {
      await ports.registers.change(key, resolveIntent(txn, resolution));
      await checkpoint?.("intent-resolved");
    }),
  );
  ports.background?.(work);
  return work;
}

/**
 * An atomic multi-key read by reading twice (snapshot.ts), at most `snapshotTries` times. Under intents instead
 * (the fallback), the gets answer the states the intents locked: every key holds them from its placement to its
 * resolution, so all at once at the moment the last intent was placed, inside the call.
 */
async function readOnly(ports: CoordinatorPorts, settings: CoordinatorSettings, txn: string, request: TxnRequest, keys: readonly string[]): Promise<TxnOutcome | "moving"> {
  // Half the budget: the other half is the fallback's.
  const snapshot = await readSnapshot(ports.reads, keys, ports.clock, settings.readDeadlineMs / 2, settings.snapshotTries ?? 3, settings.bug === "single-round-snapshot");
  if (snapshot.kind === "moving") return "moving";
  if (snapshot.kind === "unavailable") return { kind: "unavailable", reason: snapshot.reason, txn };
  const succeeded = keys.every((key) => comparesHoldOn(request, key, snapshot.states.get(key) ?? null));
  const ops = succeeded ? request.success : request.failure;
  return { kind: "committed", succeeded, results: ops.map((op) => ({ key: op.key, state: snapshot.states.get(op.key) ?? null })), txn };
}

function describe(outcome: Outcome): string {
  return outcome.kind === "refused" ? `refused: ${outcome.refusal.code}` : "reason" in outcome ? `${outcome.kind}: ${outcome.reason}` : outcome.kind;
}

