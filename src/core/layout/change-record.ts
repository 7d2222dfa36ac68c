import type { ChangeKind, ChangeRequest } from "./change-request.js";

/**
 * Where a change stands. A running change goes through its steps in order; each is a layout in the config register,
 * so whoever resumes after a crash reads it there and carries on:
 * - `joint`: the joint epoch is written; it is being installed on the acceptors (fencing the old epoch);
 * - `catch-up`: every key of the moving vshards is being rewritten under the joint epoch (`vshardsDone` counts the
 *   moving vshards done, in position order, so a resumed catch-up starts at the next one);
 * - `final`: the final epoch is written (each vshard owned by its new group alone); it is being installed;
 * - `done`: finished (state `done`).
 * A change that fails before its final epoch is rolled back (state `failed`, `step` where it failed, `error` why).
 */
export type ChangeStep = "joint" | "catch-up" | "final" | "done";

export type ChangeState = "running" | "done" | "failed";

export interface LayoutChange {
  /** 1 for a cluster's first change, then one more each time; fresh object names are derived from it. */
  readonly id: number;
  readonly kind: ChangeKind;
  /** The request as planned, defaults filled in: the final epoch is computed from it. */
  readonly request: ChangeRequest;
  readonly state: ChangeState;
  readonly step: ChangeStep;
  readonly vshardsDone: number;
  readonly vshardsTotal: number;
  readonly keysCopied: number;
  /** Why it failed; present exactly when `state` is `failed`. */
  readonly error?: string;
}

export function isRunning(change: LayoutChange | null): change is LayoutChange {
  return change !== null && change.state === "running";
}
