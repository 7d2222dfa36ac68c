import { isRunning } from "./change-record.js";
import { ACCEPTOR_COUNTS, kindOf, parseChangeRequest } from "./change-request.js";
import { isJoint, ownerGroupIds, type Layout } from "./layout.js";
import { MAX_ACCEPTOR_OBJECTS } from "./limits.js";
import { isLocationHint } from "./location-hint.js";
import { countPositions, sameOwner } from "./owner-map.js";
import { failure, success, type Result } from "./result.js";
import { VSHARD_COUNT } from "./vshard.js";

/** BALLOT_CLUSTER's rule (src/config.ts): object names start with it. */
const CLUSTER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The invariants every layout holds, in every epoch and at every step of a change, so that each is safe as it
 * stands and a reconfigurer that dies anywhere leaves a layout others can serve from and resume:
 *  1. every vshard has an owner: the owner ranges cover positions [0, 4096) exactly, in order, merged;
 *  2. every owner names a listed group, and every listed group owns something (a retired group is gone);
 *  3. a joint pair {old, new} (old ≠ new) exists only while a change runs, in its `joint` or `catch-up` step, and
 *     then it counts `vshardsTotal` vshards, all made joint in this epoch; so in a change's final epoch, and
 *     whenever no change runs, each vshard is owned by exactly one group;
 *  4. `since` is at most the epoch: an acceptor never learns of an epoch before the layout that names it;
 *  5. groups have 3, 5 or 7 acceptors with distinct names; an object has one location hint wherever it is named;
 *     outside a change no object is in two groups, and every group has the layout's N;
 *  6. the objects named, counting both sides of a running change, are at most MAX_ACCEPTOR_OBJECTS;
 *  7. the change record is coherent: its state matches its step, its counts are in range, `error` iff failed.
 * Epochs only grow; that is a property of the transitions (advance.ts), not of one layout.
 */
export function validateLayout(layout: Layout): Result<Layout> {
  const problem = firstProblem(layout);
  return problem === null ? success(layout) : failure("malformed_layout", `layout epoch ${layout.epoch}: ${problem}`);
}

function firstProblem(layout: Layout): string | null {
  if (!Number.isSafeInteger(layout.epoch) || layout.epoch < 1) return "the epoch must be a positive integer";
  if (layout.vshards !== VSHARD_COUNT) return `vshards must be ${VSHARD_COUNT}, not ${layout.vshards}`;
  if (!CLUSTER_NAME.test(layout.cluster)) return `cluster "${layout.cluster}" is not a cluster name`;
  if (!ACCEPTOR_COUNTS.includes(layout.acceptors)) return `acceptors must be 3, 5 or 7, not ${layout.acceptors}`;
  if (layout.locationHints.length !== layout.acceptors) return "locationHints must have one entry per acceptor";
  if (!layout.locationHints.every((h) => h === null || isLocationHint(h))) return "locationHints has an unknown hint";
  return groupProblem(layout) ?? ownerProblem(layout) ?? changeProblem(layout);
}

function groupProblem(layout: Layout): string | null {
  const running = isRunning(layout.change);
  const hintOf = new Map<string, string | undefined>();
  const groupOf = new Map<string, number>();
  let previous = -1;
  for (const group of layout.groups) {
    if (!Number.isSafeInteger(group.id) || group.id <= previous) return "group ids must be integers from 0, ascending";
    if (group.id >= layout.nextGroupId) return `group ${group.id} is not below nextGroupId ${layout.nextGroupId}`;
    previous = group.id;
    if (!ACCEPTOR_COUNTS.includes(group.acceptors.length)) return `group ${group.id} has ${group.acceptors.length} acceptors, not 3, 5 or 7`;
    if (!running && group.acceptors.length !== layout.acceptors) {
      return `group ${group.id} has ${group.acceptors.length} acceptors while the layout's N is ${layout.acceptors} and no change runs`;
    }
    const names = new Set<string>();
    for (const acceptor of group.acceptors) {
      if (typeof acceptor.name !== "string" || acceptor.name === "") return `group ${group.id} has an acceptor with no name`;
      if (names.has(acceptor.name)) return `group ${group.id} names ${acceptor.name} twice`;
      names.add(acceptor.name);
      if (acceptor.locationHint !== undefined && !isLocationHint(acceptor.locationHint)) {
        return `${acceptor.name} has unknown location hint "${acceptor.locationHint}"`;
      }
      if (hintOf.has(acceptor.name) && hintOf.get(acceptor.name) !== acceptor.locationHint) {
        return `${acceptor.name} has two location hints`;
      }
      if (!running && groupOf.has(acceptor.name)) {
        return `${acceptor.name} is in groups ${groupOf.get(acceptor.name)} and ${group.id} while no change runs`;
      }
      hintOf.set(acceptor.name, acceptor.locationHint);
      groupOf.set(acceptor.name, group.id);
    }
  }
  if (!Number.isSafeInteger(layout.nextGroupId)) return "nextGroupId must be an integer";
  if (hintOf.size > MAX_ACCEPTOR_OBJECTS) return `${hintOf.size} acceptor objects, more than the ${MAX_ACCEPTOR_OBJECTS} allowed`;
  return null;
}

function ownerProblem(layout: Layout): string | null {
  const ids = new Set(layout.groups.map((g) => g.id));
  const owning = new Set<number>();
  let at = 0;
  let previous: Layout["owners"][number] | undefined;
  for (const range of layout.owners) {
    if (!Number.isSafeInteger(range.from) || !Number.isSafeInteger(range.to)) return "owner ranges must have integer bounds";
    if (range.from !== at) return `owner ranges must be contiguous from 0: expected one from ${at}, got [${range.from}, ${range.to})`;
    if (range.to <= range.from) return `owner range [${range.from}, ${range.to}) is empty`;
    if (!Number.isSafeInteger(range.since) || range.since < 1 || range.since > layout.epoch) {
      return `owner range [${range.from}, ${range.to}) has since ${range.since}, not from 1 to the epoch`;
    }
    if (previous !== undefined && previous.since === range.since && sameOwner(previous.owner, range.owner)) {
      return `owner ranges [${previous.from}, ${previous.to}) and [${range.from}, ${range.to}) are not merged`;
    }
    if (isJoint(range.owner) && range.owner.old === range.owner.new) return `owner range [${range.from}, ${range.to}) moves group ${range.owner.old} to itself`;
    for (const id of ownerGroupIds(range.owner)) {
      if (!ids.has(id)) return `owner range [${range.from}, ${range.to}) names group ${id}, which is not listed`;
      owning.add(id);
    }
    at = range.to;
    previous = range;
  }
  if (at !== VSHARD_COUNT) return `owner ranges end at ${at}, not ${VSHARD_COUNT}: some vshards have no owner`;
  const idle = layout.groups.find((g) => !owning.has(g.id));
  if (idle !== undefined) return `group ${idle.id} owns no vshard`;
  return null;
}

function changeProblem(layout: Layout): string | null {
  const change = layout.change;
  const joint = countPositions(layout.owners, (r) => isJoint(r.owner));
  if (change === null) return joint === 0 ? null : "joint owners without a running change";
  if (!Number.isSafeInteger(change.id) || change.id < 1) return "the change id must be a positive integer";
  const request = parseChangeRequest(change.request);
  if (!request.ok) return `change ${change.id} has a malformed request: ${request.error.message}`;
  if (kindOf(request.value) !== change.kind) return `change ${change.id} is of kind ${change.kind} but its request is not`;
  const counts = [change.vshardsDone, change.vshardsTotal, change.keysCopied];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) return `change ${change.id} has counts that are not integers from 0`;
  if (change.vshardsTotal < 1 || change.vshardsTotal > VSHARD_COUNT) return `change ${change.id} moves ${change.vshardsTotal} vshards`;
  if (change.vshardsDone > change.vshardsTotal) return `change ${change.id} has done more vshards than it moves`;
  if ((change.state === "failed") !== (change.error !== undefined)) return `change ${change.id} must have an error exactly when it failed`;
  if (change.error !== undefined && (typeof change.error !== "string" || change.error === "")) return `change ${change.id} has an empty error`;
  const inJoint = change.state === "running" && (change.step === "joint" || change.step === "catch-up");
  if (inJoint) {
    if (joint !== change.vshardsTotal) return `change ${change.id} moves ${change.vshardsTotal} vshards but ${joint} are joint`;
    const stale = layout.owners.find((r) => isJoint(r.owner) && r.since !== layout.epoch);
    if (stale !== undefined) return `joint range [${stale.from}, ${stale.to}) was made joint before this epoch`;
  } else if (joint !== 0) {
    return `joint owners while change ${change.id} is ${change.state}${change.state === "running" ? ` in step ${change.step}` : ""}`;
  }
  switch (change.state) {
    case "running":
      if (change.step === "done") return `change ${change.id} is running in step done`;
      break;
    case "done":
      if (change.step !== "done") return `change ${change.id} is done in step ${change.step}`;
      break;
    case "failed":
      if (change.step !== "joint" && change.step !== "catch-up") return `change ${change.id} failed in step ${change.step}, after its final epoch`;
      break;
    default:
      return `change ${change.id} has unknown state ${String(change.state)}`;
  }
  if (change.step === "joint" && (change.vshardsDone !== 0 || change.keysCopied !== 0)) return `change ${change.id} copied before its catch-up`;
  if ((change.step === "final" || change.step === "done") && change.vshardsDone !== change.vshardsTotal) {
    return `change ${change.id} reached step ${change.step} with ${change.vshardsDone} of ${change.vshardsTotal} vshards caught up`;
  }
  return null;
}
