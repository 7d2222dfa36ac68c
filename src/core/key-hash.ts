const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of a string. An ASCII string (the usual key) is its own UTF-8 and is copied in JS: on the hot path
 * the call into the runtime's encoder cost more than the hashing itself.
 */
export function utf8Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    bytes[i] = c;
  }
  return bytes;
}

/**
 * FNV-1a (32 bits) over the key's UTF-8 bytes: stable across runtimes and releases. Placement takes a key's shard from
 * it and acceptors their floor bucket, so both must never change for existing data.
 */
export function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  const bytes = utf8Bytes(key);
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
