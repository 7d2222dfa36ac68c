const encoder = new TextEncoder();

/**
 * FNV-1a (32 bits) over the key's UTF-8 bytes: stable across runtimes and releases. Placement takes a key's shard from
 * it and acceptors their floor bucket, so both must never change for existing data.
 */
export function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
