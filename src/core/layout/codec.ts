import type { ChangeState, ChangeStep, LayoutChange } from "./change-record.js";
import { parseChangeRequest, type ChangeKind } from "./change-request.js";
import type { AcceptorRef, Group, Layout, Owner, OwnerRange } from "./layout.js";
import { isLocationHint, type LocationHint } from "./location-hint.js";
import { failure, type Result } from "./result.js";
import { validateLayout } from "./validate.js";
import { VSHARD_COUNT } from "./vshard.js";

/** Names the encoding, so that a later one is told apart rather than misread. */
const FORMAT = "ballot-layout-1";

/**
 * The layout as the config register stores it: JSON, owners as ranges (tens of entries, not 4096), fields in a fixed
 * order so equal layouts encode to equal strings.
 */
export function encodeLayout(layout: Layout): string {
  return JSON.stringify({
    format: FORMAT,
    epoch: layout.epoch,
    vshards: layout.vshards,
    cluster: layout.cluster,
    acceptors: layout.acceptors,
    locationHints: layout.locationHints,
    nextGroupId: layout.nextGroupId,
    groups: layout.groups.map((g) => ({
      id: g.id,
      acceptors: g.acceptors.map((a) => (a.locationHint === undefined ? { name: a.name } : { name: a.name, locationHint: a.locationHint })),
    })),
    owners: layout.owners.map((r) =>
      "group" in r.owner
        ? { from: r.from, to: r.to, group: r.owner.group, since: r.since }
        : { from: r.from, to: r.to, old: r.owner.old, new: r.owner.new, since: r.since },
    ),
    change: layout.change === null ? null : encodeChange(layout.change),
  });
}

function encodeChange(c: LayoutChange): object {
  const { id, kind, request, state, step, vshardsDone, vshardsTotal, keysCopied, error } = c;
  return { id, kind, request, state, step, vshardsDone, vshardsTotal, keysCopied, ...(error === undefined ? {} : { error }) };
}

/**
 * Reads a stored layout. Anything but a well-formed, valid layout of this format is `malformed_layout`: a field
 * missing, of the wrong type, unknown, or an invariant broken (validate.ts). Never repaired, never defaulted.
 */
export function decodeLayout(text: string): Result<Layout> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return failure("malformed_layout", `stored layout is not JSON: ${(e as Error).message}`);
  }
  try {
    return validateLayout(readLayout(json));
  } catch (e) {
    if (e instanceof ShapeError) return failure("malformed_layout", `stored layout: ${e.message}`);
    throw e;
  }
}

class ShapeError extends Error {}

function readLayout(json: unknown): Layout {
  const o = record(json, "the layout", [
    "format", "epoch", "vshards", "cluster", "acceptors", "locationHints", "nextGroupId", "groups", "owners", "change",
  ]);
  if (o.format !== FORMAT) throw new ShapeError(`format is ${JSON.stringify(o.format)}, not "${FORMAT}"`);
  const vshards = integer(o.vshards, "vshards");
  if (vshards !== VSHARD_COUNT) throw new ShapeError(`vshards is ${vshards}, not ${VSHARD_COUNT}`);
  return {
    epoch: integer(o.epoch, "epoch"),
    vshards: VSHARD_COUNT,
    cluster: string(o.cluster, "cluster"),
    acceptors: integer(o.acceptors, "acceptors"),
    locationHints: array(o.locationHints, "locationHints").map((h, i) => (h === null ? null : hint(h, `locationHints[${i}]`))),
    nextGroupId: integer(o.nextGroupId, "nextGroupId"),
    groups: array(o.groups, "groups").map((g, i) => readGroup(g, `groups[${i}]`)),
    owners: array(o.owners, "owners").map((r, i) => readOwner(r, `owners[${i}]`)),
    change: o.change === null ? null : readChange(o.change),
  };
}

function readGroup(json: unknown, at: string): Group {
  const o = record(json, at, ["id", "acceptors"]);
  return {
    id: integer(o.id, `${at}.id`),
    acceptors: array(o.acceptors, `${at}.acceptors`).map((a, i): AcceptorRef => {
      const where = `${at}.acceptors[${i}]`;
      const r = record(a, where, ["name", "locationHint"]);
      const name = string(r.name, `${where}.name`);
      return "locationHint" in r ? { name, locationHint: hint(r.locationHint, `${where}.locationHint`) } : { name };
    }),
  };
}

function readOwner(json: unknown, at: string): OwnerRange {
  const single = typeof json === "object" && json !== null && "group" in json;
  const o = record(json, at, single ? ["from", "to", "group", "since"] : ["from", "to", "old", "new", "since"]);
  const owner: Owner = single
    ? { group: integer(o.group, `${at}.group`) }
    : { old: integer(o.old, `${at}.old`), new: integer(o.new, `${at}.new`) };
  return { from: integer(o.from, `${at}.from`), to: integer(o.to, `${at}.to`), owner, since: integer(o.since, `${at}.since`) };
}

const KINDS: readonly ChangeKind[] = ["groups", "acceptors", "replace"];
const STATES: readonly ChangeState[] = ["running", "done", "failed"];
const STEPS: readonly ChangeStep[] = ["joint", "catch-up", "final", "done"];

function readChange(json: unknown): LayoutChange {
  const o = record(json, "change", ["id", "kind", "request", "state", "step", "vshardsDone", "vshardsTotal", "keysCopied", "error"]);
  const request = parseChangeRequest(o.request);
  if (!request.ok) throw new ShapeError(`change.request: ${request.error.message}`);
  return {
    id: integer(o.id, "change.id"),
    kind: oneOf(o.kind, KINDS, "change.kind"),
    request: request.value,
    state: oneOf(o.state, STATES, "change.state"),
    step: oneOf(o.step, STEPS, "change.step"),
    vshardsDone: integer(o.vshardsDone, "change.vshardsDone"),
    vshardsTotal: integer(o.vshardsTotal, "change.vshardsTotal"),
    keysCopied: integer(o.keysCopied, "change.keysCopied"),
    ...("error" in o ? { error: string(o.error, "change.error") } : {}),
  };
}

function record(json: unknown, at: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ShapeError(`${at} must be an object`);
  const o = json as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !fields.includes(k));
  if (unknown.length > 0) throw new ShapeError(`${at} has unknown field "${unknown[0]}"`);
  // Optional fields are the only ones a reader may miss: locationHint of an acceptor, error of a change.
  const missing = fields.filter((k) => !(k in o) && k !== "locationHint" && k !== "error");
  if (missing.length > 0) throw new ShapeError(`${at} has no "${missing[0]}"`);
  return o;
}

function array(json: unknown, at: string): unknown[] {
  if (!Array.isArray(json)) throw new ShapeError(`${at} must be an array`);
  return json;
}

function integer(json: unknown, at: string): number {
  if (typeof json !== "number" || !Number.isSafeInteger(json)) throw new ShapeError(`${at} must be an integer`);
  return json;
}

function string(json: unknown, at: string): string {
  if (typeof json !== "string") throw new ShapeError(`${at} must be a string`);
  return json;
}

function hint(json: unknown, at: string): LocationHint {
  if (!isLocationHint(json)) throw new ShapeError(`${at} is not a location hint: ${JSON.stringify(json)}`);
  return json;
}

function oneOf<T extends string>(json: unknown, values: readonly T[], at: string): T {
  if (!values.includes(json as T)) throw new ShapeError(`${at} must be one of ${values.join(", ")}`);
  return json as T;
}
