// Observational equivalence for memoisation. A stored value that is not a
// canonical integer and that no completed read of this key ever returned is
// "opaque": every op behaves the same on any two opaque values (reads of it can
// only fail, increments refuse, cas/create/delete see only presence and version).
// So states, and unknown ops, that differ only in opaque values are interchangeable.
import type { Event, Op } from "./history.js";
import { isCanonicalInteger, type State } from "./model.js";

export interface Equivalence {
  /** Equal for states that no op can tell apart. */
  stateKey(s: State): string;
  /** Equal for ops with equivalent effects on every state (results aside). */
  opKey(op: Op): string;
}

export function equivalence(events: readonly Event[]): Equivalence {
  const observed = new Set<string>();
  for (const e of events) if (e.result !== null && "found" in e.result && e.result.found) observed.add(e.result.value);
  const value = (v: string) => (observed.has(v) || isCanonicalInteger(v) ? `=${v}` : "#");
  return {
    stateKey: (s) => `${s.floating === true ? "~" : ""}${s.version}${s.value === null ? "" : value(s.value)}`,
    opKey: (op) => {
      switch (op.kind) {
        case "read":
          return "r";
        case "write":
          return `w${value(op.value)}`;
        case "cas":
          return `c${op.expect}${value(op.value)}`;
        case "create":
          return `n${value(op.value)}`;
        case "delete":
          return `d${op.expect ?? ""}`;
        case "increment":
          return `i${op.by}`;
      }
    },
  };
}
