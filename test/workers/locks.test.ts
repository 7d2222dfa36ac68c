import { describe, expect, it } from "vitest";
import { call, errorOf, freshKey } from "./helpers.js";

const post = (path: string, body: unknown) => call(path, { method: "POST", body: JSON.stringify(body) });
const lockPath = (name: string, action = "") => `/v1/locks/${encodeURIComponent(name)}${action}`;

describe("locks over HTTP", () => {
  it("acquire, observe, renew, release, and the next owner gets a higher token", async () => {
    const name = freshKey("lock");
    const a = await post(lockPath(name, "/acquire"), { owner: "alice", ttlMs: 60_000 });
    expect(a.status).toBe(200);
    const lease = (await a.json()) as { owner: string; token: number; expiresAt: number };
    expect(lease.owner).toBe("alice");
    expect(lease.token).toBeGreaterThan(0);

    const seen = await call(lockPath(name));
    expect(seen.status).toBe(200);
    expect(await seen.json()).toEqual(lease);

    const busy = await post(lockPath(name, "/acquire"), { owner: "bob", ttlMs: 60_000 });
    expect(busy.status).toBe(409);
    const busyBody = (await busy.json()) as { error: { code: string }; holder: { owner: string; expiresAt: number } };
    expect(busyBody.error.code).toBe("lock_held");
    expect(busyBody.holder).toEqual({ owner: "alice", expiresAt: lease.expiresAt });

    const renewed = await post(lockPath(name, "/renew"), { owner: "alice", token: lease.token, ttlMs: 120_000 });
    expect(renewed.status).toBe(200);
    const renewedLease = (await renewed.json()) as { token: number; expiresAt: number };
    expect(renewedLease.token).toBe(lease.token);
    expect(renewedLease.expiresAt).toBeGreaterThan(lease.expiresAt);

    const wrongRelease = await post(lockPath(name, "/release"), { owner: "bob", token: lease.token });
    expect(wrongRelease.status).toBe(409);
    expect((await call(lockPath(name))).status).toBe(200);

    expect((await post(lockPath(name, "/release"), { owner: "alice", token: lease.token })).status).toBe(204);
    expect((await call(lockPath(name))).status).toBe(404);
    expect((await post(lockPath(name, "/renew"), { owner: "alice", token: lease.token, ttlMs: 1000 })).status).toBe(409);

    const b = await post(lockPath(name, "/acquire"), { owner: "bob", ttlMs: 60_000 });
    expect(b.status).toBe(200);
    expect(((await b.json()) as { token: number }).token).toBeGreaterThan(lease.token);
  });

  it("an expired lease is free: GET is 404 and another owner acquires it with a higher token", async () => {
    const name = freshKey("lock");
    const first = (await (await post(lockPath(name, "/acquire"), { owner: "a", ttlMs: 100 })).json()) as { token: number };
    await new Promise((r) => setTimeout(r, 150));
    expect((await call(lockPath(name))).status).toBe(404);
    const second = await post(lockPath(name, "/acquire"), { owner: "b", ttlMs: 10_000 });
    expect(second.status).toBe(200);
    expect(((await second.json()) as { token: number }).token).toBeGreaterThan(first.token);
  });

  it("acquire by the holder again is a re-entrant renew with the same token", async () => {
    const name = freshKey("lock");
    const first = (await (await post(lockPath(name, "/acquire"), { owner: "a", ttlMs: 10_000 })).json()) as { token: number };
    const again = (await (await post(lockPath(name, "/acquire"), { owner: "a", ttlMs: 10_000 })).json()) as { token: number };
    expect(again.token).toBe(first.token);
  });

  it("64 contenders racing for one lock: exactly one wins, the others see the winner", async () => {
    const name = freshKey("race");
    const responses = await Promise.all(
      Array.from({ length: 64 }, (_, i) => post(lockPath(name, "/acquire"), { owner: `c${i}`, ttlMs: 60_000 })),
    );
    const winners: { owner: string; token: number }[] = [];
    const holders = new Set<string>();
    for (const res of responses) {
      if (res.status === 200) winners.push(await res.json());
      else {
        expect(res.status).toBe(409);
        holders.add(((await res.json()) as { holder: { owner: string } }).holder.owner);
      }
    }
    expect(winners).toHaveLength(1);
    expect([...holders]).toEqual([winners[0]?.owner]);
    expect(((await (await call(lockPath(name))).json()) as { owner: string }).owner).toBe(winners[0]?.owner);
  });

  it("validates bodies: owner, ttlMs bounds, token", async () => {
    const name = freshKey("lock");
    for (const body of [
      {},
      { owner: "", ttlMs: 1000 },
      { owner: "a", ttlMs: 99 },
      { owner: "a", ttlMs: 86_400_001 },
      { owner: "a", ttlMs: 1.5 },
      { owner: 5, ttlMs: 1000 },
    ]) {
      const res = await post(lockPath(name, "/acquire"), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_argument");
    }
    const badJson = await call(lockPath(name, "/acquire"), { method: "POST", body: "{" });
    expect((await errorOf(badJson)).code).toBe("invalid_json");
    for (const body of [{ owner: "a" }, { owner: "a", token: 0 }, { owner: "a", token: "1" }]) {
      expect((await post(lockPath(name, "/release"), body)).status).toBe(400);
    }
    expect((await call(lockPath(name))).status).toBe(404);
  });

  it("lock names are separate from keys", async () => {
    const name = freshKey("shared-name");
    await post(lockPath(name, "/acquire"), { owner: "a", ttlMs: 60_000 });
    expect((await call(`/v1/keys/${encodeURIComponent(name)}`)).status).toBe(404);
  });
});
