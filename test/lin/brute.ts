// Exhaustive reference checker for tiny single-key histories: tries every order
// (and every subset of unknown ops) with no pruning or memoisation. Used only to
// cross-check the real checker.
import type { Event } from "./history.js";
import { initialState, sameResult, step, type State } from "./model.js";

export function bruteForceLinearizable(events: readonly Event[]): boolean {
  const go = (state: State, remaining: readonly Event[]): boolean => {
    const completed = remaining.filter((e) => e.result !== null);
    if (completed.length === 0) return true;
    // Same real-time convention as the checker: an op may go next unless some
    // other pending completed op returned strictly before it was called.
    const horizon = Math.min(...completed.map((e) => e.ret!));
    return remaining.some((e, i) => {
      if (e.call > horizon) return false;
      const out = step(state, e.op);
      if (e.result !== null && !sameResult(out.result, e.result)) return false;
      return go(out.state, remaining.filter((_, j) => j !== i));
    });
  };
  return go(initialState, events);
}
