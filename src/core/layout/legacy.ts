import type { Group, Layout } from "./layout.js";
import type { LocationHint } from "./location-hint.js";
import { legacyAcceptorName } from "./object-names.js";
import { LEGACY_SHARD_COUNT, VSHARD_COUNT } from "./vshard.js";

/**
 * Epoch 1: the layout a cluster had before layouts existed, so that it keeps working with no manual step. Group g is
 * today's shard g with today's object names and hints (BALLOT_ACCEPTORS, BALLOT_LOCATION_HINTS), and vshard v
 * belongs to group v mod 16, as its keys do today: in position order (vshard.ts) group g owns [256g, 256g + 256).
 */
export function legacyLayout(cluster: string, acceptors: number, hints: readonly (LocationHint | undefined)[]): Layout {
  const locationHints = Array.from({ length: acceptors }, (_, i) => hints[i] ?? null);
  const groups: Group[] = [];
  for (let g = 0; g < LEGACY_SHARD_COUNT; g++) {
    groups.push({
      id: g,
      acceptors: locationHints.map((hint, i) => {
        const name = legacyAcceptorName(cluster, g, i);
        return hint === null ? { name } : { name, locationHint: hint };
      }),
    });
  }
  const width = VSHARD_COUNT / LEGACY_SHARD_COUNT;
  return {
    epoch: 1,
    vshards: VSHARD_COUNT,
    cluster,
    acceptors,
    locationHints,
    nextGroupId: LEGACY_SHARD_COUNT,
    groups,
    owners: groups.map((group) => ({ from: group.id * width, to: (group.id + 1) * width, owner: { group: group.id }, since: 1 })),
    change: null,
  };
}
