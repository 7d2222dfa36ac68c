/**
 * The compact text the testdata cases expect. Object names are printed without their "{cluster}/" prefix, hints
 * after "@"; ranges are of positions (src/core/layout/vshard.ts: today's shard g is [256g, 256g+256)).
 */
import type { ChangePlan } from "../../../src/core/layout/plan.js";
import { isJoint, type Group, type Layout } from "../../../src/core/layout/layout.js";

export function printLayout(layout: Layout): string {
  const hints = layout.locationHints.map((h) => h ?? "-").join(",");
  const lines = [`epoch=${layout.epoch} acceptors=${layout.acceptors} hints=${hints} next-group=${layout.nextGroupId}`];
  for (const group of layout.groups) {
    const ranges = layout.owners
      .filter((r) => "group" in r.owner && r.owner.group === group.id)
      .map((r) => `[${r.from},${r.to}) since ${r.since}`);
    lines.push(`g${group.id}: ${ranges.length > 0 ? ranges.join(", ") : "-"} | ${printAcceptors(layout.cluster, group)}`);
  }
  for (const r of layout.owners) {
    if (isJoint(r.owner)) lines.push(`joint [${r.from},${r.to}) g${r.owner.old} -> g${r.owner.new} since ${r.since}`);
  }
  const c = layout.change;
  if (c !== null) {
    const error = c.error === undefined ? "" : ` error=${JSON.stringify(c.error)}`;
    lines.push(`change ${c.id} ${c.kind} ${JSON.stringify(c.request)}: ${c.state} step=${c.step} vshards=${c.vshardsDone}/${c.vshardsTotal} keys=${c.keysCopied}${error}`);
  }
  return lines.join("\n");
}

export function printPlan(plan: ChangePlan): string {
  const c = plan.change;
  const lines = [
    `plan change ${c.id} ${c.kind} ${JSON.stringify(c.request)}: epoch ${plan.joint.epoch - 1} -> joint ${plan.joint.epoch} -> final ${plan.final.epoch}, moving ${c.vshardsTotal} vshards`,
  ];
  for (const m of plan.moves) lines.push(`move [${m.from},${m.to}) g${m.old} -> g${m.new}`);
  for (const g of plan.newGroups) lines.push(`new g${g.id}: ${printAcceptors(plan.joint.cluster, g)}`);
  lines.push(`retire: ${plan.retiredGroups.length === 0 ? "-" : plan.retiredGroups.map((id) => `g${id}`).join(" ")}`);
  return lines.join("\n");
}

function printAcceptors(cluster: string, group: Group): string {
  return group.acceptors
    .map((a) => {
      const name = a.name.startsWith(`${cluster}/`) ? a.name.slice(cluster.length + 1) : a.name;
      return a.locationHint === undefined ? name : `${name}@${a.locationHint}`;
    })
    .join(" ");
}

/** One line for layouts too big to print whole. */
export function printSummary(layout: Layout): string {
  const objects = new Set(layout.groups.flatMap((g) => g.acceptors.map((a) => a.name))).size;
  return `epoch=${layout.epoch} groups=${layout.groups.length} objects=${objects} change=${layout.change === null ? "-" : `${layout.change.id} ${layout.change.state}`}`;
}
