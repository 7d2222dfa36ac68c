import type { Change } from "../../../src/core/change.js";
import type { Outcome, Registers, RoundStats } from "../../../src/core/proposer.js";
import type { Register } from "../../../src/core/register.js";

export const STATS: RoundStats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };

/**
 * Registers in memory, each change applied atomically (a one-acceptor world, linearizable by construction), with
 * failures on demand: `fail(predicate)` makes matching calls answer unavailable or unknown (unknown ones applied).
 */
export class MemRegisters implements Registers {
  readonly states = new Map<string, Register>();
  readonly calls: string[] = [];
  private failures: { match: (key: string, name: string) => boolean; kind: "unavailable" | "unknown"; times: number }[] = [];

  fail(match: (key: string, name: string) => boolean, kind: "unavailable" | "unknown", times = 1): void {
    this.failures.push({ match, kind, times });
  }

  async read(key: string): Promise<Outcome> {
    this.calls.push(`read ${key}`);
    const state = this.states.get(key) ?? null;
    return { kind: "applied", state, previous: state, stats: STATS };
  }

  async change(key: string, change: Change): Promise<Outcome> {
    this.calls.push(`${change.name} ${key}`);
    const failure = this.failures.find((f) => f.times > 0 && f.match(key, change.name));
    if (failure !== undefined) failure.times--;
    if (failure?.kind === "unavailable") return { kind: "unavailable", reason: "injected", stats: STATS };
    const current = this.states.get(key) ?? null;
    const d = change.apply(current, `origin-${this.calls.length}`);
    if (d.kind === "refuse") return { kind: "refused", refusal: d.refusal, stats: STATS };
    this.states.set(key, d.next);
    if (failure?.kind === "unknown") return { kind: "unknown", reason: "injected", stats: STATS };
    return { kind: "applied", state: d.next, previous: current, stats: STATS };
  }
}
