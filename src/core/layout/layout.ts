import type { LayoutChange } from "./change-record.js";
import type { LocationHint } from "./location-hint.js";
import { ownerRangeAt } from "./owner-map.js";
import { positionOf, VSHARD_COUNT } from "./vshard.js";

export type GroupId = number;

/** One acceptor object: its Durable Object name and the location hint it was created with. */
export interface AcceptorRef {
  readonly name: string;
  readonly locationHint?: LocationHint;
}

/**
 * An ordered list of acceptor objects that together hold the vshards the layout gives it. A group never changes:
 * a change of membership makes a new group (which may share objects with the old one) and moves vshards to it.
 */
export interface Group {
  readonly id: GroupId;
  readonly acceptors: readonly AcceptorRef[];
}

/**
 * Who holds a vshard: one group, or while a change moves it, the pair it moves between (every round then needs a
 * majority of both).
 */
export type Owner = { readonly group: GroupId } | { readonly old: GroupId; readonly new: GroupId };

/**
 * The owner of the vshards at positions [from, to) (vshard.ts, `positionOf`). `since` is the epoch in which they
 * got this owner: an acceptor fences messages of an older epoch for these vshards, and a proposer whose cached
 * epoch is at least `since` has the right owner even if its layout is otherwise stale.
 */
export interface OwnerRange {
  readonly from: number;
  readonly to: number;
  readonly owner: Owner;
  readonly since: number;
}

/**
 * The layout of a cluster in one epoch: which group of acceptor objects holds each vshard. It is the value of the
 * config register; every change of ownership is a new, higher epoch (validate.ts lists the invariants).
 */
export interface Layout {
  readonly epoch: number;
  readonly vshards: typeof VSHARD_COUNT;
  /** Prefix of every object name the layout creates (BALLOT_CLUSTER). */
  readonly cluster: string;
  /** N and location hints (per acceptor index, null for none) that new groups get. */
  readonly acceptors: number;
  readonly locationHints: readonly (LocationHint | null)[];
  /** The id the next new group gets: ids are never reused, so a retired group's id never names another group. */
  readonly nextGroupId: GroupId;
  /** Sorted by id. */
  readonly groups: readonly Group[];
  /** Sorted, contiguous ranges covering positions [0, VSHARD_COUNT); adjacent ranges differ. */
  readonly owners: readonly OwnerRange[];
  /** The latest change, running or finished; null until the first one. */
  readonly change: LayoutChange | null;
}

export function isJoint(owner: Owner): owner is { readonly old: GroupId; readonly new: GroupId } {
  return "old" in owner;
}

/** The groups whose majorities a round on this owner needs: one, or the old and the new of a joint pair. */
export function ownerGroupIds(owner: Owner): readonly GroupId[] {
  return isJoint(owner) ? [owner.old, owner.new] : [owner.group];
}

/** What a proposer needs for a vshard: the group(s) and the epoch to send (an acceptor refuses an older one). */
export type Placement =
  | { readonly kind: "single"; readonly epoch: number; readonly group: Group }
  | { readonly kind: "joint"; readonly epoch: number; readonly old: Group; readonly new: Group };

export function placementOf(layout: Layout, vshard: number): Placement {
  const { owner } = ownerOf(layout, vshard);
  if (isJoint(owner)) {
    return { kind: "joint", epoch: layout.epoch, old: groupById(layout, owner.old), new: groupById(layout, owner.new) };
  }
  return { kind: "single", epoch: layout.epoch, group: groupById(layout, owner.group) };
}

export function ownerOf(layout: Layout, vshard: number): OwnerRange {
  // positionOf would map an out-of-range number onto some real vshard's position: refuse it instead.
  if (!Number.isInteger(vshard) || vshard < 0 || vshard >= VSHARD_COUNT) throw new RangeError(`no vshard ${vshard}`);
  return ownerRangeAt(layout.owners, positionOf(vshard));
}

/** A group of a valid layout (validate.ts: every owner names a listed group); throws on a bug. */
export function groupById(layout: Layout, id: GroupId): Group {
  const group = layout.groups.find((g) => g.id === id);
  if (group === undefined) throw new Error(`layout epoch ${layout.epoch} has no group ${id}`);
  return group;
}
