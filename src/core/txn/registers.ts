import type { Change } from "../change.js";
import type { Clock } from "../ports.js";
import type { Outcome, Registers } from "../proposer.js";
import type { Register } from "../register.js";
import { committedState, withoutIntent, type Intent } from "./intent.js";
import { guarded } from "./intent-changes.js";
import { fateOf, resolveOn } from "./resolver.js";

export interface TxnSettings {
  /** A transaction pending this long after it began may be aborted by whoever meets one of its intents. */
  readonly staleMs: number;
  /** How often a change blocked by a pending intent looks again. */
  readonly pollMs: number;
  /** How long a read or change may spend resolving or waiting for intents before it gives up (unavailable). */
  readonly deadlineMs: number;
  /**
   * Runs work after the answer (a Worker's waitUntil): a read that met a decided intent answers first and resolves
   * it here. Absent: the read resolves before it answers.
   */
  readonly background?: (work: Promise<unknown>) => void;
  /** Negative control for the simulator only: answer a pending intent's next state (must be caught). */
  readonly bugReadPendingIntent?: boolean;
}

/**
 * The proposer's registers made transaction-aware: every single-key read and change of the HTTP layer (keys, locks,
 * blocking reads, watches) goes through this one layer.
 *
 * - A read of a key without an intent is the proposer's read, unchanged (same rounds, same messages). A read that
 *   meets an intent reads the intent's record: committed, it answers the next state (and rolls the key forward);
 *   pending, the state before the intent (linearized before the commit point, which has not happened); aborted, the
 *   state before (and drops the intent). A record pending past the staleness deadline is aborted first.
 * - A change is sent `guarded`: on a key without an intent it is the change itself (same rounds); on a key with one it
 *   is refused without effect, the intent is resolved (or, pending and fresh, waited for), and the change is tried
 *   again, until its deadline: then it is unavailable, truthfully (every attempt was refused, nothing applied).
 */
export class TxnRegisters implements Registers {
  constructor(
    private readonly raw: Registers,
    private readonly clock: Clock,
    private readonly settings: TxnSettings,
  ) {}

  async read(key: string): Promise<Outcome> {
    const deadline = this.clock.now() + this.settings.deadlineMs;
    for (;;) {
      const outcome = await this.raw.read(key);
      if (outcome.kind !== "applied") return outcome;
      const state = outcome.state;
      const intent = state?.intent;
      if (state === null || intent === undefined) return visible(outcome);
      if (this.settings.bugReadPendingIntent === true) {
        const next = committedState(state, intent, true);
        return { ...outcome, state: next, previous: next };
      }
      const fate = await fateOf(this.raw, intent, this.clock.now(), this.settings.staleMs);
      if (fate.kind === "pending") return visible(outcome);
      if (fate.kind === "decided") {
        const answer = fate.resolution.committed ? committedState(state, intent, fate.resolution.succeeded) : withoutIntent(state);
        const work = resolveOn(this.raw, key, intent, fate.resolution);
        if (this.settings.background !== undefined) this.settings.background(work);
        else await work;
        return { ...outcome, state: answer, previous: answer };
      }
      if (this.clock.now() >= deadline) return fate.outcome.kind === "unknown" ? { ...fate.outcome, kind: "unavailable" } : fate.outcome;
      await this.clock.timer(this.settings.pollMs).fired;
    }
  }

  async change(key: string, change: Change): Promise<Outcome> {
    const deadline = this.clock.now() + this.settings.deadlineMs;
    let pause = this.settings.pollMs;
    for (;;) {
      const outcome = await this.raw.change(key, guarded(change));
      if (outcome.kind !== "refused" || outcome.refusal.code !== "intent_present") return visible(outcome);
      const intent = outcome.refusal.current?.intent as Intent;
      const fate = await fateOf(this.raw, intent, this.clock.now(), this.settings.staleMs);
      if (fate.kind === "decided") {
        await resolveOn(this.raw, key, intent, fate.resolution);
        if (this.clock.now() < deadline) continue;
      }
      // Pending and fresh, or the record out of reach: wait a little (growing) and look again.
      if (this.clock.now() + pause >= deadline) {
        return { kind: "unavailable", reason: `the key is held by transaction ${intent.txn}`, stats: outcome.stats };
      }
      await this.clock.timer(pause).fired;
      pause = Math.min(pause * 2, 16 * this.settings.pollMs);
    }
  }
}

/** An outcome as plain clients see it: no intent or hidden count in its states (see withoutIntent). */
function visible(outcome: Outcome): Outcome {
  if (outcome.kind === "applied") return { ...outcome, state: strip(outcome.state), previous: strip(outcome.previous) };
  if (outcome.kind === "refused") return { ...outcome, refusal: { ...outcome.refusal, current: strip(outcome.refusal.current) } };
  return outcome;
}

function strip(state: Register): Register {
  return withoutIntent(state);
}
