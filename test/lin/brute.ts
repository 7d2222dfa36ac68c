// Exhaustive reference checker for tiny single-key histories: tries every order
// (and every subset of unknown ops) with no pruning or memoisation. Used only to
// cross-check the real checker.
import type { Event } from "./history.js";
import { initialState, sameResult, step, tryStep, type State } from "./model.js";

/**
 * With `jumps`, an op applied to an absent state may land on any higher version: completed ops on the one they
 * report, unknown ones on every version up to one above the highest the history shows (higher ones are equivalent).
 */
export function bruteForceLinearizable(events: readonly Event[], jumps = false): boolean {
  let top = 0;
  for (const e of events) if (e.result !== null && "version" in e.result) top = Math.max(top, e.result.version);
  if (jumps) for (const e of events) if (e.result !== null && "current" in e.result && e.result.current !== null) top = Math.max(top, e.result.current);
  const go = (state: State, remaining: readonly Event[]): boolean => {
    const completed = remaining.filter((e) => e.result !== null);
    if (completed.length === 0) return true;
    // Same real-time convention as the checker: an op may go next unless some
    // other pending completed op returned strictly before it was called.
    const horizon = Math.min(...completed.map((e) => e.ret!));
    return remaining.some((e, i) => {
      if (e.call > horizon) return false;
      const rest = remaining.filter((_, j) => j !== i);
      if (jumps) {
        if (e.result !== null) {
          const next = tryStep(state, e.op, e.result, true);
          return next !== null && go(next, rest);
        }
        const out = step(state, e.op);
        if (state.value !== null || out.state === state) return go(out.state, rest);
        for (let v = state.version + 1; v <= top + 1; v++) if (go({ ...out.state, version: v }, rest)) return true;
        return false;
      }
      const out = step(state, e.op);
      if (e.result !== null && !sameResult(out.result, e.result)) return false;
      return go(out.state, rest);
    });
  };
  return go(initialState, events);
}
