import { isJoint, type Layout } from "./layout.js";
import { vshardAt } from "./vshard.js";

/**
 * The vshards a running change moves, in position order: the catch-up visits them in this order, so the change's
 * `vshardsDone` says where a resumed catch-up starts.
 */
export function movingVshards(layout: Layout): number[] {
  const vshards: number[] = [];
  for (const range of layout.owners) {
    if (!isJoint(range.owner)) continue;
    for (let position = range.from; position < range.to; position++) vshards.push(vshardAt(position));
  }
  return vshards;
}
