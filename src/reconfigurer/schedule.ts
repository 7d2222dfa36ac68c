/**
 * How long one alarm works on a change before handing over to the next alarm: well inside the runtime's limit for
 * one alarm, and a crash loses at most this much work (each step is recorded in the config register anyway).
 */
export const RUN_BUDGET_MS = 30_000;

/**
 * A pause between two steps. Locally the Worker, every object and the reconfigurer share one workerd thread, whose
 * event loop reads sockets and fires timers only when it runs dry: an unbroken chain of steps held every request for
 * the whole change (a split of 10,000 keys: 38 s). A timer between steps lets the loop run dry, so requests interleave
 * with the catch-up. In production the objects do not share a thread; the pause costs a few ms per step there.
 */
export const STEP_PAUSE_MS = 5;

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * When the reconfigurer's next alarm runs (ms since the epoch), or null when no change is running. A step to retry
 * (an object or the root unreachable) backs off from 0.5 s doubling to 30 s: a change waits out an outage instead of
 * failing, and resumes by itself when the objects are back.
 */
export function nextRun(kind: "idle" | "advanced" | "retry", now: number, failures: number): number | null {
  if (kind === "idle") return null;
  if (kind === "advanced") return now;
  return now + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
}
