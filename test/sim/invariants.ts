import { versionOf, type Register } from "../../src/core/register.js";
import { checkHistory } from "../lin/checker.js";
import type { Event } from "../lin/history.js";
import type { AcceptLog } from "./acceptor-node.js";

export type Invariant =
  /** (1) The client history is linearizable per key. */
  | "linearizability"
  /** (2) No ballot ever carries two different states, on any acceptor. */
  | "one-state-per-ballot"
  /** (3) Every acknowledged state is still there (or superseded) after healing. */
  | "durability"
  /** (4) Once healed, operations complete; proposer calls always end within their deadline. */
  | "liveness"
  /** A version acknowledged for a key names one state: never two values or two origins (garbage collection). */
  | "unique-versions"
  /** A deleted value never comes back: no op called after a delete was acknowledged sees an older live state. */
  | "no-resurrection"
  /** Outcomes that make no sense on their own (an applied write with an empty register, a thrown error). */
  | "protocol";

export interface Violation {
  readonly invariant: Invariant;
  readonly message: string;
}

export const SAFETY: readonly Invariant[] = ["linearizability", "one-state-per-ballot", "durability", "unique-versions", "no-resurrection", "protocol"];

export interface Verdict {
  readonly violations: Violation[];
  /** The checker ran out of budget on some key: neither pass nor fail. */
  readonly inconclusive: string | null;
}

/**
 * Invariant 1, with the checker of test/lin. `jumps` when keys are garbage-collected: a change applied to an absent
 * key may then continue at any higher version (the floor of its bucket), never at a reused or lower one.
 */
export function checkLinearizable(events: readonly Event[], maxSteps?: number, jumps = false): Verdict {
  const verdict = checkHistory(events, { ...(maxSteps === undefined ? {} : { maxSteps }), jumps });
  if (verdict.ok === true) return { violations: [], inconclusive: null };
  if (verdict.ok === "unknown") return { violations: [], inconclusive: verdict.reason };
  return { violations: [{ invariant: "linearizability", message: verdict.reason }], inconclusive: null };
}

/** Invariant 2: the acceptors' log of stored accepts never shows two states at one ballot. */
export function checkOneStatePerBallot(log: AcceptLog): Violation[] {
  return log.conflicts.map((message) => ({ invariant: "one-state-per-ballot", message }));
}

/**
 * Invariant 3: after healing, the final read of each key has at least the highest acknowledged version, and the
 * same content when the versions are equal. Versions only grow, so a later overwrite never lowers the bar.
 */
export function checkDurability(
  acks: ReadonlyMap<string, ReadonlyMap<number, string | null>>,
  finals: ReadonlyMap<string, Register | undefined>,
): Violation[] {
  const violations: Violation[] = [];
  for (const [key, versions] of acks) {
    const final = finals.get(key);
    if (final === undefined) continue; // the read itself failed: a liveness violation, reported there
    const highest = Math.max(...versions.keys());
    const content = versions.get(highest);
    const finalContent = final === null || final.value === null ? null : new TextDecoder().decode(final.value);
    if (versionOf(final) < highest) {
      violations.push({
        invariant: "durability",
        message: `final read of ${key} returned v${versionOf(final)}, but v${highest} (${JSON.stringify(content)}) was acknowledged`,
      });
    } else if (versionOf(final) === highest && finalContent !== content) {
      violations.push({
        invariant: "durability",
        message: `final read of ${key} returned v${highest} = ${JSON.stringify(finalContent)}, acknowledged as ${JSON.stringify(content)}`,
      });
    }
  }
  return violations;
}
