import type { Clock } from "../ports.js";
import type { Outcome, Registers } from "../proposer.js";
import { PLACE_INTENT } from "./intent-changes.js";

/**
 * Asks for a sweep of `key`'s group: an intent may be on the key, chosen by `chosenBy` (the caller's clock) if ever.
 * Never throws, never waits: the adapter wakes the group's sweeper in the background.
 */
export type ArmSweep = (key: string, chosenBy: number) => void;

/**
 * Registers that arm the background sweep (sweep-schedule.ts) wherever an intent may come to exist or was met:
 *
 * - BEFORE a placement is sent: a coordinator may die at any point after sending it, so arming after would miss the
 *   very case the sweep is for. The placement is chosen, if ever, within `opMs` (the proposer's deadline and a round).
 * - After any read or change whose answer shows an intent (a state holding one, or a refusal naming one): the key
 *   holds it now. This also covers an intent that was left on a minority and chosen later by whoever next met it.
 *
 * Wrap the registers the coordinator places intents through and the transaction-aware registers read through.
 */
export function armingSweeps(registers: Registers, clock: Clock, opMs: number, arm: ArmSweep): Registers {
  const seen = (key: string, outcome: Outcome) => {
    if (showsIntent(outcome)) arm(key, clock.now());
    return outcome;
  };
  return {
    read: async (key) => seen(key, await registers.read(key)),
    async change(key, change) {
      if (change.name === PLACE_INTENT) arm(key, clock.now() + opMs);
      return seen(key, await registers.change(key, change));
    },
  };
}

function showsIntent(outcome: Outcome): boolean {
  if (outcome.kind === "applied") return outcome.state?.intent !== undefined;
  if (outcome.kind === "refused") return outcome.refusal.current?.intent !== undefined;
  return false;
}

/**
 * A Worker's (or a simulated client's) knowledge of the groups' sweep leases, so that it wakes a sweeper only when no
 * lease it knows of covers an intent: with a lease ending at `until` (the sweeper's clock), a sweep starts after
 * `until`, so an intent chosen before it is found. `marginMs` covers the offset between the two clocks.
 */
export class SweepLeases {
  private readonly until = new Map<number, number>();

  constructor(private readonly marginMs: number) {}

  /** Whether `group`'s sweeper must be woken for an intent chosen (if ever) by `chosenBy`. */
  needsWake(group: number, chosenBy: number): boolean {
    const until = this.until.get(group);
    return until === undefined || chosenBy + this.marginMs >= until;
  }

  /** A wake is under way (or answered) with a lease until `until`. */
  leased(group: number, until: number): void {
    if (until > (this.until.get(group) ?? -Infinity)) this.until.set(group, until);
  }

  /** A wake failed: whatever it was to cover must wake again. */
  forget(group: number): void {
    this.until.delete(group);
  }
}
