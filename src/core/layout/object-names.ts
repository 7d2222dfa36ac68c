import type { GroupId } from "./layout.js";

/**
 * Durable Object names of acceptors. An object is created by its first use under its name, with the location hint
 * of that use, and keeps its rows forever: a name must never be given to a different acceptor.
 */

/** Today's names (src/cluster/placement.ts, `acceptorObjectName`): the legacy layout's groups are today's shards. */
export function legacyAcceptorName(cluster: string, shard: number, index: number): string {
  return `${cluster}/shard-${shard}/acceptor-${index}`;
}

/**
 * A fresh object made by change `changeId` for its new group. Change ids never repeat in a cluster (and the legacy
 * names say "shard-"), so the name is new; and it follows from the change alone, so a reconfigurer that resumes
 * after a crash derives the same names rather than making more objects.
 */
export function freshAcceptorName(cluster: string, changeId: number, group: GroupId, index: number): string {
  return `${cluster}/change-${changeId}/group-${group}/acceptor-${index}`;
}
