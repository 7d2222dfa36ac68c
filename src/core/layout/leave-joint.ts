import type { ChangeStep, LayoutChange } from "./change-record.js";
import { isJoint, type Layout, type OwnerRange } from "./layout.js";
import { mergeOwners } from "./owner-map.js";

/**
 * The next epoch after a joint one: every joint pair resolved to one side (`new` to finish a change, `old` to roll
 * it back), groups that own nothing any more dropped. Either side alone is safe: every round of the joint epoch had
 * a majority of both, so whatever it chose is on a majority of each. (Going to `new` is safe only once the catch-up
 * has also put what was chosen before the joint epoch on the new group: advance.ts checks that.)
 */
export function leaveJoint(layout: Layout, side: "old" | "new", change: LayoutChange, template: Pick<Layout, "acceptors" | "locationHints">): Layout {
  const epoch = layout.epoch + 1;
  const owners = mergeOwners(
    layout.owners.map((range): OwnerRange =>
      isJoint(range.owner) ? { ...range, owner: { group: range.owner[side] }, since: epoch } : range,
    ),
  );
  const owning = new Set(owners.map((range) => ("group" in range.owner ? range.owner.group : -1)));
  return {
    ...layout,
    ...template,
    epoch,
    groups: layout.groups.filter((group) => owning.has(group.id)),
    owners,
    change,
  };
}

export function withStep(change: LayoutChange, step: ChangeStep, more: Partial<LayoutChange> = {}): LayoutChange {
  return { ...change, step, ...more };
}
