import { sha256, type Grant, type GrantEntry } from "./policy.js";

/** The token of an `Authorization: Bearer <token>` header, or null when there is none or it is malformed. */
export function bearerToken(header: string | null): string | null {
  if (header === null) return null;
  const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * The grant a presented token carries, or null. The token's SHA-256 is compared with every configured digest, in
 * constant time and without stopping at a match, so the time taken says nothing about which grants exist.
 */
export async function identify(token: string, entries: readonly GrantEntry[]): Promise<Grant | null> {
  const candidate = await sha256(token);
  let found: Grant | null = null;
  for (const entry of entries) {
    if (constantTimeEqual(candidate, entry.digest) === 1) found = entry.grant;
  }
  return found;
}

/** 1 when equal, 0 otherwise; time depends only on the length (always 32: both are SHA-256 digests). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0 ? 1 : 0;
}
