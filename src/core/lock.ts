import { nextState, type Change, type Decision } from "./change.js";
import { isLive, versionOf, type Register } from "./register.js";

/**
 * Locks and leader leases are registers holding `{owner, token, expiresAt}`; acquire, renew and release are changes
 * of that register, so they ride the same consensus path as every other write.
 *
 * The fencing token is the register's version at acquisition. Versions grow by one with every change and are never
 * reused (a release writes a tombstone, which keeps the sequence), so tokens strictly increase across owners, expiry
 * and release. Expiry compares against the proposer's clock (`now`): it is advisory for the holder; the fencing
 * token is what makes a protected resource safe.
 */
export interface Lease {
  readonly owner: string;
  readonly token: number;
  /** Milliseconds since the epoch, by the clock of the proposer that granted or renewed the lease. */
  readonly expiresAt: number;
}

export const LOCK_CONTENT_TYPE = "application/json";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The lease a register holds, expired or not; undefined when free (never taken, released) or not a lease. */
export function leaseOf(register: Register): Lease | undefined {
  if (!isLive(register)) return undefined;
  try {
    const parsed = JSON.parse(decoder.decode(register.value)) as Partial<Lease>;
    if (typeof parsed.owner !== "string" || typeof parsed.token !== "number" || typeof parsed.expiresAt !== "number") {
      return undefined;
    }
    return { owner: parsed.owner, token: parsed.token, expiresAt: parsed.expiresAt };
  } catch {
    return undefined;
  }
}

/** The lease as held at `now`: undefined when free or expired. */
export function holderAt(register: Register, now: number): Lease | undefined {
  const lease = leaseOf(register);
  return lease !== undefined && lease.expiresAt > now ? lease : undefined;
}

/** Whether the register's lease (expired or not) is `owner`'s with `token`. */
function holds(current: Register, owner: string, token: number): boolean {
  const lease = leaseOf(current);
  return lease !== undefined && lease.owner === owner && lease.token === token;
}

function notHolder(current: Register): Decision {
  return { kind: "refuse", refusal: { code: "not_holder", current } };
}

function grant(current: Register, origin: string, owner: string, token: number, expiresAt: number): Decision {
  const value = encoder.encode(JSON.stringify({ owner, token, expiresAt } satisfies Lease));
  return { kind: "apply", next: nextState(current, value, LOCK_CONTENT_TYPE, origin) };
}

/**
 * Acquire: granted when the lock is free or expired (a new token: the version this change creates), or renewed
 * when `owner` already holds it (same token, re-entrant, never shortened: see renew). Refused while another owner's lease is unexpired.
 */
export const acquire = (owner: string, ttlMs: number, now: number): Change => ({
  name: "lock.acquire",
  mutates: true,
  apply(current, origin) {
    const held = holderAt(current, now);
    if (held === undefined) return grant(current, origin, owner, versionOf(current) + 1, now + ttlMs);
    if (held.owner === owner) return grant(current, origin, owner, held.token, Math.max(held.expiresAt, now + ttlMs));
    return { kind: "refuse", refusal: { code: "lock_held", current } };
  },
});

/**
 * Renew: extends the lease of `owner` holding `token`; it never shortens it. A change carries the `now` of its
 * request and may take effect much later (a retried or coalesced round, or a 504 that was applied after all): a late
 * renewal computing an expiry in the past would hand the lock to the next contender while the holder, told of a
 * later expiry, still acts on it. Found by the lock simulation. Also after expiry, as long as nobody acquired it since: the
 * token is still the latest, so extending it cannot break the fencing order.
 */
export const renew = (owner: string, token: number, ttlMs: number, now: number): Change => ({
  name: "lock.renew",
  mutates: true,
  apply: (current, origin) =>
    holds(current, owner, token)
      ? grant(current, origin, owner, token, Math.max(leaseOf(current)?.expiresAt ?? 0, now + ttlMs))
      : notHolder(current),
});

/** Release: frees the lock (a tombstone) if `owner` holds it with `token`; otherwise refused, with no effect. */
export const release = (owner: string, token: number): Change => ({
  name: "lock.release",
  mutates: true,
  apply: (current, origin) =>
    holds(current, owner, token) ? { kind: "apply", next: nextState(current, null, "", origin) } : notHolder(current),
});
