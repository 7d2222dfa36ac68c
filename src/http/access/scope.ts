import type { Grant } from "./policy.js";

/**
 * The scope rules of a grant over key names (and lock names, which are checked the same way).
 *
 * A write grant includes reading the same prefix, as in Consul's ACLs: every conditional write answers with what it
 * found (a compare-and-set's 412 names the current version, a lock acquire's 409 the holder), so write without read
 * would be a promise the API cannot keep.
 */
export type Access = "read" | "write";

export function mayRead(grant: Grant, key: string): boolean {
  return covers(grant.read, key) || covers(grant.write, key);
}

export function mayWrite(grant: Grant, key: string): boolean {
  return covers(grant.write, key);
}

export function may(grant: Grant, access: Access, key: string): boolean {
  return access === "read" ? mayRead(grant, key) : mayWrite(grant, key);
}

/**
 * What a listing or a prefix watch of `prefix` may show: `all` when one grant prefix covers the whole of it,
 * otherwise the narrower prefixes under it that the grant may read (sorted, none inside another), so a listing
 * visits only those ranges and never has to filter the whole key space. Empty: nothing under `prefix` is readable.
 */
export function readableUnder(grant: Grant, prefix: string): "all" | string[] {
  const readable = [...grant.read, ...grant.write];
  if (readable.some((p) => prefix.startsWith(p))) return "all";
  const inside = [...new Set(readable.filter((p) => p.startsWith(prefix)))].sort(compareBytes);
  // Drop a prefix that another (shorter) one already covers.
  return inside.filter((p, i) => !inside.slice(0, i).some((q) => p.startsWith(q)));
}

function covers(prefixes: readonly string[], key: string): boolean {
  for (const p of prefixes) if (key.startsWith(p)) return true;
  return false;
}

const encoder = new TextEncoder();

/** Listings are sorted by key bytes (UTF-8), so ranges are too. */
export function compareBytes(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}
