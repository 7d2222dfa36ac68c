import type { Group, GroupId, Layout } from "./layout.js";
import { isLocationHint } from "./location-hint.js";
import { freshAcceptorName } from "./object-names.js";
import { overlay, spansOf, type Span } from "./owner-map.js";
import { VSHARD_COUNT } from "./vshard.js";

/** Where a change sends every position, and the groups it creates for that. */
export interface Target {
  readonly spans: readonly Span<GroupId>[];
  readonly newGroups: readonly Group[];
}

/**
 * k ranges of positions whose sizes differ by at most one: range i is [floor(iV/k), floor((i+1)V/k)). Any k from 1
 * to V works; a k dividing the current count's multiples (16 → 32 → 64) moves the least, since the new boundaries
 * then fall on the old ones.
 */
export function balancedRanges(k: number): { from: number; to: number }[] {
  return Array.from({ length: k }, (_, i) => ({
    from: Math.floor((i * VSHARD_COUNT) / k),
    to: Math.floor(((i + 1) * VSHARD_COUNT) / k),
  }));
}

/**
 * Spreads the vshards of a layout with no running change over k groups. Each balanced range keeps the existing
 * group that already holds most of it (greedily, largest overlap first; ties to the lower range, then the lower
 * group id), so only what must move moves; the other ranges get new groups of the layout's N and hints, and groups
 * left without a range are retired (their vshards move to the group that keeps the range).
 */
export function spreadOver(layout: Layout, k: number, changeId: number): Target {
  const ranges = balancedRanges(k);
  const overlaps = new Map<string, { range: number; group: GroupId; size: number }>();
  const rangeSpans = ranges.map((r, i) => ({ ...r, value: i }));
  for (const { from, to, value: [owner, range] } of overlay(spansOf(layout.owners), rangeSpans)) {
    if (!("group" in owner.owner)) throw new Error("spreadOver needs a layout with no joint owners");
    const key = `${range}:${owner.owner.group}`;
    const entry = overlaps.get(key) ?? { range, group: owner.owner.group, size: 0 };
    overlaps.set(key, { ...entry, size: entry.size + to - from });
  }
  const ranked = [...overlaps.values()].sort((a, b) => b.size - a.size || a.range - b.range || a.group - b.group);
  const keeper = new Array<GroupId | undefined>(k).fill(undefined);
  const kept = new Set<GroupId>();
  for (const { range, group } of ranked) {
    if (keeper[range] !== undefined || kept.has(group)) continue;
    keeper[range] = group;
    kept.add(group);
  }
  const newGroups: Group[] = [];
  let nextId = layout.nextGroupId;
  const spans = ranges.map((r, i): Span<GroupId> => {
    let id = keeper[i];
    if (id === undefined) {
      id = nextId++;
      newGroups.push(freshGroup(layout, changeId, id));
    }
    return { ...r, value: id };
  });
  return { spans, newGroups };
}

/** A group of fresh objects with the layout's N and location hints. */
function freshGroup(layout: Layout, changeId: number, id: GroupId): Group {
  return {
    id,
    acceptors: layout.locationHints.map((hint, i) => {
      const name = freshAcceptorName(layout.cluster, changeId, id, i);
      return isLocationHint(hint) ? { name, locationHint: hint } : { name };
    }),
  };
}
