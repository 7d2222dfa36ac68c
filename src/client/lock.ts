import { BallotError, Conflict, errorFromResponse } from "./errors.js";

/** A lease on a lock, as the server granted it. `token` is the fencing token: pass it to the resources you guard. */
export interface Lease {
  readonly owner: string;
  readonly token: number;
  /** Milliseconds since the epoch, by the server's clock. */
  readonly expiresAt: number;
}

export interface LockOptions {
  /** Who holds the lock: unique per contender (a process id, a random id). */
  readonly owner: string;
  /** Lease length in ms (the server accepts 100 ms to 1 day). */
  readonly ttlMs: number;
  /** How often the handle renews in the background (default a third of the TTL). */
  readonly renewEveryMs?: number;
  /** Called once when the lease is lost: taken over, released elsewhere, or not renewable before it expired. */
  readonly onLost?: (reason: BallotError) => void;
}

/** 409 on acquire: another owner holds the lock. */
export class LockHeld extends Conflict {
  override readonly name = "LockHeld";
  /** The current holder, as far as the server knew. */
  get holder(): { owner: string; expiresAt: number } | null {
    const h = this.details.holder as { owner?: unknown; expiresAt?: unknown } | null | undefined;
    return h && typeof h.owner === "string" && typeof h.expiresAt === "number" ? { owner: h.owner, expiresAt: h.expiresAt } : null;
  }
}

/**
 * A held lock that renews itself in the background until released or lost. Mutual exclusion holds only while
 * clocks are sane; the fencing token is what keeps a stale holder out of a resource, so check it there.
 * In a Worker, keep a handle within one request (or in a Durable Object): timers cannot outlive their request.
 */
export interface LockHandle {
  readonly name: string;
  readonly owner: string;
  readonly token: number;
  /** The latest expiry the server granted (server clock). */
  readonly expiresAt: number;
  /** False once released or lost. */
  readonly held: boolean;
  /** Registers a callback for the loss of the lease (called at once if it is already lost). */
  onLost(callback: (reason: BallotError) => void): void;
  /** Releases the lock (if still held) and stops renewing. */
  release(): Promise<void>;
}

export type Send = (method: string, path: string, headers: Record<string, string>, body?: Uint8Array) => Promise<Response>;

export interface LockApi {
  /** Acquires (or, for the same owner, renews) a lock; `LockHeld` when another owner holds it. */
  acquireLock(name: string, options: { owner: string; ttlMs: number }): Promise<Lease>;
  /** Extends a lease; `Conflict` (`not_holder`) if it is no longer this owner's with this token. */
  renewLock(name: string, lease: { owner: string; token: number }, ttlMs: number): Promise<Lease>;
  /** Frees the lock; `Conflict` (`not_holder`) if not held with that token (nothing changes then). */
  releaseLock(name: string, lease: { owner: string; token: number }): Promise<void>;
  /** The unexpired holder, or `null` when the lock is free. */
  getLock(name: string): Promise<Lease | null>;
  /** Acquires and keeps renewing: leader election is `lock(...)` + `onLost` + `release()`. */
  lock(name: string, options: LockOptions): Promise<LockHandle>;
}

const encoder = new TextEncoder();

export function lockPath(name: string, action = ""): string {
  if (name === "" || name === "." || name === "..") throw new TypeError(`the lock name ${JSON.stringify(name)} cannot be used`);
  return `/v1/locks/${encodeURIComponent(name)}${action}`;
}

/** The lock calls of the client, over the same request function as the key calls. */
export function createLockApi(send: Send): LockApi {
  const post = (path: string, body: unknown) =>
    send("POST", path, { "content-type": "application/json" }, encoder.encode(JSON.stringify(body)));

  async function expectLease(response: Response): Promise<Lease> {
    if (response.status === 200) return (await response.json()) as Lease;
    throw await lockError(response);
  }

  const api: LockApi = {
    acquireLock: async (name, { owner, ttlMs }) => expectLease(await post(lockPath(name, "/acquire"), { owner, ttlMs })),
    renewLock: async (name, { owner, token }, ttlMs) => expectLease(await post(lockPath(name, "/renew"), { owner, token, ttlMs })),
    async releaseLock(name, { owner, token }) {
      const response = await post(lockPath(name, "/release"), { owner, token });
      if (response.status !== 204) throw await lockError(response);
    },
    async getLock(name) {
      const response = await send("GET", lockPath(name), {});
      if (response.status === 404) return null;
      return expectLease(response);
    },
    async lock(name, options) {
      const lease = await api.acquireLock(name, options);
      return new RenewingHandle(api, name, options, lease);
    },
  };
  return api;
}

/** 409 bodies of the lock routes carry `holder` beside `error`. */
async function lockError(response: Response): Promise<BallotError> {
  if (response.status !== 409) return errorFromResponse(response);
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string }; holder?: unknown };
  const code = body.error?.code ?? "conflict";
  const message = body.error?.message ?? "conflict";
  return code === "lock_held" ? new LockHeld(message, code, 409, { holder: body.holder ?? null }) : new Conflict(message, code, 409, {});
}

class RenewingHandle implements LockHandle {
  held = true;
  expiresAt: number;
  readonly token: number;
  readonly owner: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly lost: ((reason: BallotError) => void)[] = [];
  private lostReason: BallotError | undefined;
  /** Local time by which the lease surely ended if no renewal succeeds (counted from when the request was sent). */
  private localDeadline: number;

  constructor(
    private readonly api: LockApi,
    readonly name: string,
    private readonly options: LockOptions,
    lease: Lease,
  ) {
    this.token = lease.token;
    this.owner = lease.owner;
    this.expiresAt = lease.expiresAt;
    this.localDeadline = Date.now() + options.ttlMs;
    if (options.onLost) this.lost.push(options.onLost);
    this.schedule(options.renewEveryMs ?? Math.max(1, Math.floor(options.ttlMs / 3)));
  }

  onLost(callback: (reason: BallotError) => void): void {
    if (this.lostReason !== undefined) callback(this.lostReason);
    else this.lost.push(callback);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.stop();
    await this.api.releaseLock(this.name, { owner: this.owner, token: this.token });
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => void this.renew(), ms);
  }

  private stop(): void {
    this.held = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    const sentAt = Date.now();
    try {
      const lease = await this.api.renewLock(this.name, { owner: this.owner, token: this.token }, this.options.ttlMs);
      if (!this.held) return;
      this.expiresAt = lease.expiresAt;
      this.localDeadline = sentAt + this.options.ttlMs;
      this.schedule(this.options.renewEveryMs ?? Math.max(1, Math.floor(this.options.ttlMs / 3)));
    } catch (error) {
      if (!this.held) return;
      const reason = error instanceof BallotError ? error : new BallotError(String(error), "renew_failed", 0);
      // A definite refusal ends the lease now; anything else is retried until the lease has surely expired.
      if (reason instanceof Conflict || Date.now() >= this.localDeadline) return this.lose(reason);
      this.schedule(Math.max(1, Math.min(this.localDeadline - Date.now(), Math.floor(this.options.ttlMs / 10))));
    }
  }

  private lose(reason: BallotError): void {
    this.stop();
    this.lostReason = reason;
    for (const callback of this.lost.splice(0)) callback(reason);
  }
}
