import { keyHash } from "../core/key-hash.js";

/**
 * Where a key lives: which acceptor objects hold it. Keys are spread over a fixed number of shards, and every shard
 * has its own N acceptor objects, each holding many keys as rows of one SQLite table. A fixed set of objects has no
 * per-key object limit (local workerd keeps about 2,500 SQLite objects live) and lets one call carry several keys.
 *
 * The mapping must never change for existing keys: a different shard count would send keys to acceptors that never
 * saw them, which is a membership change. Hence a constant, pinned by a test, and checked by every acceptor.
 */
export const SHARD_COUNT = 16;

/** The key's shard: its FNV-1a hash modulo the shard count. */
export function shardOf(key: string): number {
  return keyHash(key) % SHARD_COUNT;
}

/**
 * The object name of acceptor `index` of a shard. `cluster` names an independent set of acceptors in the same
 * namespace (staging next to production, or a test's own cluster); moving to another cluster starts from empty.
 */
export function acceptorObjectName(cluster: string, shard: number, index: number): string {
  return `${cluster}/shard-${shard}/acceptor-${index}`;
}

/** What an acceptor object remembers of the layout it was created for, to refuse a proposer with another one. */
export function layoutOf(acceptors: number): string {
  return `ballot-v1 acceptors=${acceptors} shards=${SHARD_COUNT}`;
}
