// What a result reveals about the register version, the backbone of both the
// search pruning and the pre-check: versions only grow, by one per applied op.
import type { Result } from "./history.js";

/** The version the op must have seen when it took effect (Infinity: unconstrained). */
export function versionBefore(r: Result): number {
  if ("found" in r) return r.found ? r.version : Infinity;
  if (r.ok) return r.version - 1;
  if ("current" in r && r.current !== null) return r.current;
  return Infinity;
}

/** The version right after the op took effect (-Infinity: unconstrained). */
export function versionAfter(r: Result): number {
  if ("found" in r) return r.found ? r.version : -Infinity;
  if (r.ok) return r.version;
  if ("current" in r && r.current !== null) return r.current;
  return -Infinity;
}

/** Whether the op changed the register (so it accounts for one version). */
export function applied(r: Result): boolean {
  return "ok" in r && r.ok === true;
}
