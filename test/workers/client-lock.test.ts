import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Conflict, LockHeld, createClient, type BallotError, type FetchLike } from "../../src/client/index.js";
import { BASE, freshKey } from "./helpers.js";

const toWorker: FetchLike = (input, init) => exports.default.fetch(new Request(input, init));
const client = createClient({ baseUrl: BASE, fetch: toWorker });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("client locks and leader election", () => {
  it("lock() acquires with a fencing token and keeps renewing in the background", async () => {
    const name = freshKey("leader");
    const handle = await client.lock(name, { owner: "a", ttlMs: 1000, renewEveryMs: 100 });
    expect(handle.held).toBe(true);
    expect(handle.token).toBeGreaterThan(0);
    const firstExpiry = handle.expiresAt;
    await sleep(1500); // longer than the TTL: only background renewals keep it
    expect(handle.held).toBe(true);
    expect(handle.expiresAt).toBeGreaterThan(firstExpiry);
    const seen = await client.getLock(name);
    expect(seen).toEqual({ owner: "a", token: handle.token, expiresAt: handle.expiresAt });
    await handle.release();
    expect(handle.held).toBe(false);
    expect(await client.getLock(name)).toBeNull();
  });

  it("a contender gets LockHeld with the holder; after resign it campaigns with a higher token", async () => {
    const name = freshKey("leader");
    const leader = await client.lock(name, { owner: "a", ttlMs: 10_000 });
    const error = await client.lock(name, { owner: "b", ttlMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeld);
    expect((error as LockHeld).holder?.owner).toBe("a");
    await leader.release();
    const next = await client.lock(name, { owner: "b", ttlMs: 10_000 });
    expect(next.token).toBeGreaterThan(leader.token);
    await next.release();
  });

  it("onLost fires once the lease is taken away, and renewing stops", async () => {
    const name = freshKey("leader");
    const lostReasons: BallotError[] = [];
    const handle = await client.lock(name, { owner: "a", ttlMs: 400, renewEveryMs: 50, onLost: (r) => lostReasons.push(r) });
    // Someone holding the same owner id and token releases it (a zombie of this process), and "b" takes over.
    await client.releaseLock(name, { owner: "a", token: handle.token });
    const taker = await client.acquireLock(name, { owner: "b", ttlMs: 10_000 });
    // The next background renewal (every 50 ms) finds the lock taken; allow for a slow machine.
    for (let waited = 0; handle.held && waited < 3000; waited += 50) await sleep(50);
    expect(handle.held).toBe(false);
    expect(lostReasons).toHaveLength(1);
    expect(lostReasons[0]).toBeInstanceOf(Conflict);
    let lateCallback = 0;
    handle.onLost(() => lateCallback++);
    expect(lateCallback).toBe(1);
    expect(taker.token).toBeGreaterThan(handle.token);
    expect((await client.getLock(name))?.owner).toBe("b");
  });

  it("renewLock and releaseLock refuse a stale token with Conflict and change nothing", async () => {
    const name = freshKey("lock");
    const lease = await client.acquireLock(name, { owner: "a", ttlMs: 10_000 });
    await expect(client.renewLock(name, { owner: "a", token: lease.token + 1 }, 1000)).rejects.toBeInstanceOf(Conflict);
    await expect(client.releaseLock(name, { owner: "z", token: lease.token })).rejects.toBeInstanceOf(Conflict);
    expect(await client.getLock(name)).toEqual(lease);
  });
});
