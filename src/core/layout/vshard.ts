import { keyHash } from "../key-hash.js";

/**
 * Virtual shards: every key belongs to one of `VSHARD_COUNT` vshards, fixed forever, and a layout maps vshards to
 * groups of acceptor objects. Moving data means moving whole vshards, so the key-to-vshard mapping never changes.
 *
 * The vshard is the key's FNV-1a hash (src/core/key-hash.ts) modulo 4096. Since 4096 is a multiple of today's 16
 * shards, `vshard mod 16` is the key's shard of today (`hash mod 16`): data written before vshards existed is where
 * the first layout (legacy.ts) says it is.
 */
export const VSHARD_COUNT = 4096;

/** The shard count of the layout before vshards (src/cluster/placement.ts): the first epoch reproduces it. */
export const LEGACY_SHARD_COUNT = 16;

const VSHARDS_PER_LEGACY_SHARD = VSHARD_COUNT / LEGACY_SHARD_COUNT;

/**
 * The vshard of a key, given its `keyHash`. (Callers pass the hash: it is computed once per request anyway, for
 * the acceptors' floor buckets too.)
 */
export function vshardOfHash(hash: number): number {
  return (hash >>> 0) % VSHARD_COUNT;
}

/** The vshard of a key. */
export function vshardOf(key: string): number {
  return vshardOfHash(keyHash(key));
}

/**
 * Layouts list owners as ranges of *positions*, not of vshard numbers: position = (v mod 16) * 256 + floor(v / 16).
 * In that order today's shard g is the one range [256g, 256g + 256), and halving a range keeps both halves ranges,
 * so a layout of k groups is k ranges. (Ranges of vshard numbers would need 4096 entries for today's `v mod 16`.)
 */
export function positionOf(vshard: number): number {
  return (vshard % LEGACY_SHARD_COUNT) * VSHARDS_PER_LEGACY_SHARD + Math.floor(vshard / LEGACY_SHARD_COUNT);
}

/** The vshard at a position: the inverse of `positionOf`. */
export function vshardAt(position: number): number {
  return (position % VSHARDS_PER_LEGACY_SHARD) * LEGACY_SHARD_COUNT + Math.floor(position / VSHARDS_PER_LEGACY_SHARD);
}
