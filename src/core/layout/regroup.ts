import type { AcceptorRef, Group, GroupId, Layout } from "./layout.js";
import type { LocationHint } from "./location-hint.js";
import { freshAcceptorName } from "./object-names.js";
import type { Span } from "./owner-map.js";
import type { Target } from "./spread.js";

/**
 * Membership changes: a group's vshards move to a new group that shares the objects it keeps. The owner ranges stay
 * where they are; only the group holding each changes.
 */

/**
 * Every group to N acceptors with these hints (per index, null for none). A group keeps each object whose hint is
 * still wanted (an object cannot move region: its hint is fixed when it is created), in the order of `hints`, and
 * gets fresh objects for the rest. A group that keeps exactly its objects does not move.
 */
export function regroupAll(layout: Layout, hints: readonly (LocationHint | null)[], changeId: number): Target {
  let nextId = layout.nextGroupId;
  const newGroups: Group[] = [];
  const successor = new Map<GroupId, GroupId>();
  for (const group of layout.groups) {
    const id = nextId;
    const unused = [...group.acceptors];
    const acceptors = hints.map((hint, i): AcceptorRef => {
      const at = unused.findIndex((a) => (a.locationHint ?? null) === hint);
      if (at >= 0) return unused.splice(at, 1)[0]!;
      return fresh(layout.cluster, changeId, id, i, hint);
    });
    if (unused.length === 0 && acceptors.length === group.acceptors.length) continue;
    nextId++;
    newGroups.push({ id, acceptors });
    successor.set(group.id, id);
  }
  return { spans: spansMapped(layout, (g) => successor.get(g) ?? g), newGroups };
}

/** A fresh object in place of acceptor `index` of the group, with `hint` (null: none). */
export function replaceOne(layout: Layout, group: Group, index: number, hint: LocationHint | null, changeId: number): Target {
  const id = layout.nextGroupId;
  const acceptors = group.acceptors.map((a, i) => (i === index ? fresh(layout.cluster, changeId, id, i, hint) : a));
  return { spans: spansMapped(layout, (g) => (g === group.id ? id : g)), newGroups: [{ id, acceptors }] };
}

function fresh(cluster: string, changeId: number, group: GroupId, index: number, hint: LocationHint | null): AcceptorRef {
  const name = freshAcceptorName(cluster, changeId, group, index);
  return hint === null ? { name } : { name, locationHint: hint };
}

function spansMapped(layout: Layout, to: (group: GroupId) => GroupId): Span<GroupId>[] {
  return layout.owners.map((range) => {
    if (!("group" in range.owner)) throw new Error("a membership change needs a layout with no joint owners");
    return { from: range.from, to: range.to, value: to(range.owner.group) };
  });
}
