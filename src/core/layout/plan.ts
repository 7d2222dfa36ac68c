import { isRunning, type LayoutChange } from "./change-record.js";
import { kindOf, type ChangeRequest } from "./change-request.js";
import type { Group, GroupId, Layout, OwnerRange } from "./layout.js";
import { leaveJoint, withStep } from "./leave-joint.js";
import { MAX_ACCEPTOR_OBJECTS, MAX_GROUPS } from "./limits.js";
import type { LocationHint } from "./location-hint.js";
import { mergeOwners, overlay, spansOf } from "./owner-map.js";
import { regroupAll, replaceOne } from "./regroup.js";
import { failure, success, type Result } from "./result.js";
import { spreadOver, type Target } from "./spread.js";

/** Vshards at positions [from, to) go from group `old` to group `new`. */
export interface Move {
  readonly from: number;
  readonly to: number;
  readonly old: GroupId;
  readonly new: GroupId;
}

/**
 * What a change will do. The reconfigurer writes `joint` to the config register (a CAS on the layout it planned
 * from: two operators racing, one wins) and then moves it along with advance.ts; `final` is where that ends if
 * nothing fails, computed here so an operator can be shown it up front.
 */
export interface ChangePlan {
  readonly change: LayoutChange;
  readonly moves: readonly Move[];
  readonly newGroups: readonly Group[];
  readonly retiredGroups: readonly GroupId[];
  readonly joint: Layout;
  readonly final: Layout;
}

/** Plans a change of a valid layout, or says why not (`change_in_progress` while one runs, else `invalid_request`). */
export function planChange(layout: Layout, request: ChangeRequest): Result<ChangePlan> {
  const current = layout.change;
  if (isRunning(current)) {
    const { id, kind, step } = current;
    return failure("change_in_progress", `change ${id} (${kind}) is running, in step ${step}; wait until it is done or failed`);
  }
  const changeId = (layout.change?.id ?? 0) + 1;
  const resolved = resolve(layout, request);
  if (!resolved.ok) return resolved;
  const { target, template } = resolved.value;
  request = resolved.value.request;

  const epoch = layout.epoch + 1;
  const moves: Move[] = [];
  const owners: OwnerRange[] = [];
  for (const { from, to, value: [range, group] } of overlay(spansOf(layout.owners), target.spans)) {
    const old = "group" in range.owner ? range.owner.group : -1;
    if (old === group) {
      owners.push({ ...range, from, to });
    } else {
      owners.push({ from, to, owner: { old, new: group }, since: epoch });
      const last = moves[moves.length - 1];
      if (last !== undefined && last.to === from && last.old === old && last.new === group) moves[moves.length - 1] = { ...last, to };
      else moves.push({ from, to, old, new: group });
    }
  }
  if (moves.length === 0) return failure("invalid_request", `nothing to change: the layout already has ${describe(request)}`);

  const groups = [...layout.groups, ...target.newGroups].sort((a, b) => a.id - b.id);
  const objects = new Set(groups.flatMap((g) => g.acceptors.map((a) => a.name))).size;
  if (objects > MAX_ACCEPTOR_OBJECTS) {
    return failure(
      "invalid_request",
      `the change needs ${objects} acceptor objects while it runs (old and new groups together), ` +
        `more than the ${MAX_ACCEPTOR_OBJECTS} a layout may have: local workerd keeps only about 2,500 SQLite objects live`,
    );
  }
  const vshardsTotal = moves.reduce((sum, m) => sum + m.to - m.from, 0);
  const change: LayoutChange = {
    id: changeId,
    kind: kindOf(request),
    request,
    state: "running",
    step: "joint",
    vshardsDone: 0,
    vshardsTotal,
    keysCopied: 0,
  };
  const nextGroupId = Math.max(layout.nextGroupId, ...target.newGroups.map((g) => g.id + 1));
  const joint: Layout = { ...layout, epoch, nextGroupId, groups, owners: mergeOwners(owners), change };
  const final = leaveJoint(joint, "new", withStep(change, "final", { vshardsDone: vshardsTotal }), template);
  const kept = new Set(final.groups.map((g) => g.id));
  return success({
    change,
    moves,
    newGroups: target.newGroups,
    retiredGroups: layout.groups.filter((g) => !kept.has(g.id)).map((g) => g.id),
    joint,
    final,
  });
}

/** The request checked against the layout, with its defaults filled in, and where it sends every vshard. */
function resolve(
  layout: Layout,
  request: ChangeRequest,
): Result<{ request: ChangeRequest; target: Target; template: Pick<Layout, "acceptors" | "locationHints"> }> {
  const changeId = (layout.change?.id ?? 0) + 1;
  const unchanged = { acceptors: layout.acceptors, locationHints: layout.locationHints };
  if ("groups" in request) {
    const k = request.groups;
    if (!Number.isInteger(k) || k < 1 || k > MAX_GROUPS) {
      return failure("invalid_request", `groups must be an integer from 1 to ${MAX_GROUPS} (each group owns at least one of the ${MAX_GROUPS} vshards), not ${k}`);
    }
    if (k * layout.acceptors > MAX_ACCEPTOR_OBJECTS) {
      return failure(
        "invalid_request",
        `${k} groups of ${layout.acceptors} acceptors would be ${k * layout.acceptors} acceptor objects, more than the ` +
          `${MAX_ACCEPTOR_OBJECTS} a layout may have: local workerd keeps only about 2,500 SQLite objects live ` +
          `(at most ${Math.floor(MAX_ACCEPTOR_OBJECTS / layout.acceptors)} groups of ${layout.acceptors})`,
      );
    }
    return success({ request, target: spreadOver(layout, k, changeId), template: unchanged });
  }
  if ("acceptors" in request) {
    // No hints given: each index keeps the layout's hint, and indexes beyond it get none.
    const hints: (LocationHint | null)[] =
      request.locationHints !== undefined
        ? [...request.locationHints]
        : Array.from({ length: request.acceptors }, (_, i) => layout.locationHints[i] ?? null);
    if (hints.length !== request.acceptors) {
      return failure("invalid_request", `locationHints must have one entry per acceptor: ${request.acceptors}, not ${hints.length}`);
    }
    const resolved = { acceptors: request.acceptors, locationHints: hints };
    return success({ request: resolved, target: regroupAll(layout, hints, changeId), template: resolved });
  }
  const { group: id, index } = request.replace;
  const group = layout.groups.find((g) => g.id === id);
  if (group === undefined) {
    return failure("invalid_request", `there is no group ${id}; the groups are ${idList(layout.groups.map((g) => g.id))}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= group.acceptors.length) {
    return failure("invalid_request", `acceptor index ${index} is out of range: group ${id} has acceptors 0 to ${group.acceptors.length - 1}`);
  }
  const hint = request.replace.locationHint ?? group.acceptors[index]!.locationHint ?? null;
  const resolved: ChangeRequest = { replace: hint === null ? { group: id, index } : { group: id, index, locationHint: hint } };
  return success({ request: resolved, target: replaceOne(layout, group, index, hint, changeId), template: unchanged });
}

function describe(request: ChangeRequest): string {
  if ("groups" in request) return `${request.groups} groups`;
  if ("acceptors" in request) return `${request.acceptors} acceptors per group with hints ${JSON.stringify(request.locationHints ?? [])}`;
  return `acceptor ${request.replace.index} of group ${request.replace.group} replaced`;
}

/** Ids as a short list: "0 to 15", or "0 to 3, 7, 9 to 12". */
function idList(ids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    parts.push(j === i ? `${ids[i]}` : `${ids[i]} to ${ids[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}
