import type { Change, Refusal } from "./change.js";
import { LINEAGE_LENGTH, lineageOf, type LineageEntry, type Register } from "./register.js";

/** What one change of a composed round did, at its place in the composition order. */
export type StepResult =
  | { readonly kind: "applied"; readonly state: Register; readonly previous: Register }
  | { readonly kind: "refused"; readonly refusal: Refusal };

export interface Composition {
  /** The state after every change: the one state the round accepts. */
  readonly next: Register;
  readonly steps: readonly StepResult[];
}

/**
 * Coalescing: changes of one key that wait at the same proposer run as one round. They apply in order to the state
 * read, each to the result of the one before; only the final state is accepted, and each caller is answered with the
 * state after its own change. Each change is linearized inside the one round, in composition order. Returns the very
 * `current` object as `next` when nothing changed, so a round of reads and refusals is recognisably the identity.
 */
export function compose(changes: readonly Change[], current: Register, origin: string): Composition {
  let state = current;
  const steps: StepResult[] = [];
  for (const change of changes) {
    const decision = change.apply(state, origin);
    if (decision.kind === "refuse") {
      steps.push({ kind: "refused", refusal: decision.refusal });
    } else {
      steps.push({ kind: "applied", state: decision.next, previous: state });
      state = decision.next;
    }
  }
  if (state === current || state === null) return { next: state, steps };
  // The round's versions all come from one origin: one lineage entry up to the final version.
  const entry: LineageEntry = state.hidden ? { origin, version: state.version, hidden: state.hidden } : { origin, version: state.version };
  const final = { ...state, lineage: [entry, ...lineageOf(current)].slice(0, LINEAGE_LENGTH) };
  // The last change's caller is answered with the very state accepted.
  return { next: final, steps: steps.map((step) => (step.kind === "applied" && step.state === state ? { ...step, state: final } : step)) };
}
