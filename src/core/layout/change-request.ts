import type { GroupId } from "./layout.js";
import { isLocationHint, LOCATION_HINTS, type LocationHint } from "./location-hint.js";
import { failure, success, type Result } from "./result.js";

/**
 * What an operator asks for (`POST /v1/admin/layout`):
 * - `groups`: spread the vshards evenly over that many groups; new groups get new objects with the layout's N and
 *   location hints;
 * - `acceptors`: every group to that N and those hints (per index; null: no hint), objects kept where they fit;
 * - `replace`: a fresh object takes the place of acceptor `index` of `group` (by default with that acceptor's hint).
 */
export type ChangeRequest =
  | { readonly groups: number }
  | { readonly acceptors: number; readonly locationHints?: readonly (LocationHint | null)[] }
  | { readonly replace: { readonly group: GroupId; readonly index: number; readonly locationHint?: LocationHint } };

export type ChangeKind = "groups" | "acceptors" | "replace";

export function kindOf(request: ChangeRequest): ChangeKind {
  if ("groups" in request) return "groups";
  if ("acceptors" in request) return "acceptors";
  return "replace";
}

/** The acceptor counts a group may have: odd, so a majority tolerates (N-1)/2 failures with no wasted object. */
export const ACCEPTOR_COUNTS: readonly number[] = [3, 5, 7];

const HINT_LIST = LOCATION_HINTS.join(", ");

/**
 * Reads a request body. Checks its shape only; whether it fits the current layout is for planChange. Unknown fields
 * are refused rather than ignored: a misspelt "locationHint" must not silently place an object anywhere.
 */
export function parseChangeRequest(body: unknown): Result<ChangeRequest> {
  if (!isRecord(body)) return invalid('the body must be a JSON object with "groups", "acceptors" or "replace"');
  const kinds = ["groups", "acceptors", "replace"].filter((k) => k in body);
  if (kinds.length !== 1) {
    return invalid(`the body must have exactly one of "groups", "acceptors" or "replace"${kinds.length > 1 ? `, not ${kinds.join(" and ")}` : ""}`);
  }
  if ("groups" in body) {
    const extra = unknownFields(body, ["groups"]);
    if (extra !== null) return invalid(extra);
    if (!Number.isInteger(body.groups) || (body.groups as number) < 1) return invalid('"groups" must be a positive integer');
    return success({ groups: body.groups as number });
  }
  if ("acceptors" in body) {
    const extra = unknownFields(body, ["acceptors", "locationHints"]);
    if (extra !== null) return invalid(extra);
    const n = body.acceptors;
    if (typeof n !== "number" || !ACCEPTOR_COUNTS.includes(n)) return invalid('"acceptors" must be 3, 5 or 7');
    if (!("locationHints" in body)) return success({ acceptors: n });
    const hints = body.locationHints;
    if (!Array.isArray(hints)) return invalid('"locationHints" must be an array of location hints');
    if (hints.length !== n) return invalid(`"locationHints" must have one entry per acceptor: ${n}, not ${hints.length}`);
    for (const hint of hints) {
      if (hint !== null && !isLocationHint(hint)) return invalid(`unknown location hint ${JSON.stringify(hint)}: use one of ${HINT_LIST}, or null`);
    }
    return success({ acceptors: n, locationHints: hints as (LocationHint | null)[] });
  }
  const replace = body.replace;
  if (!isRecord(replace)) return invalid('"replace" must be an object {"group", "index", "locationHint"?}');
  const extra = unknownFields(replace, ["group", "index", "locationHint"], "replace.");
  if (extra !== null) return invalid(extra);
  if (!Number.isInteger(replace.group) || (replace.group as number) < 0) return invalid('"replace.group" must be a group id (an integer from 0)');
  if (!Number.isInteger(replace.index) || (replace.index as number) < 0) return invalid('"replace.index" must be an acceptor index (an integer from 0)');
  const group = replace.group as number;
  const index = replace.index as number;
  if (!("locationHint" in replace)) return success({ replace: { group, index } });
  if (!isLocationHint(replace.locationHint)) {
    return invalid(`unknown location hint ${JSON.stringify(replace.locationHint)}: use one of ${HINT_LIST}`);
  }
  return success({ replace: { group, index, locationHint: replace.locationHint } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unknownFields(body: Record<string, unknown>, known: readonly string[], prefix = ""): string | null {
  const extra = Object.keys(body).filter((k) => !known.includes(k));
  return extra.length === 0 ? null : `unknown field ${extra.map((k) => `"${prefix}${k}"`).join(", ")}`;
}

const invalid = (message: string) => failure<ChangeRequest>("invalid_request", message);
