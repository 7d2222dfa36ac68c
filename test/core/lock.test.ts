import { describe, expect, it } from "vitest";
import type { Change } from "../../src/core/change.js";
import { acquire, holderAt, leaseOf, release, renew } from "../../src/core/lock.js";
import type { Register } from "../../src/core/register.js";

/** Applies a change like a proposer would, failing the test on a refusal unless it is expected. */
function run(current: Register, change: Change, origin = "o"): { next: Register; refused?: string } {
  const d = change.apply(current, origin);
  return d.kind === "apply" ? { next: d.next } : { next: current, refused: d.refusal.code };
}

describe("lock changes", () => {
  it("acquire of a free lock grants a token equal to the new version", () => {
    const { next } = run(null, acquire("a", 1000, 5000));
    expect(next?.version).toBe(1);
    expect(leaseOf(next)).toEqual({ owner: "a", token: 1, expiresAt: 6000 });
    expect(holderAt(next, 5999)?.owner).toBe("a");
    expect(holderAt(next, 6000)).toBeUndefined();
  });

  it("refuses another owner while the lease is unexpired, and grants after expiry with a higher token", () => {
    const held = run(null, acquire("a", 1000, 0)).next;
    expect(run(held, acquire("b", 1000, 999)).refused).toBe("lock_held");
    const taken = run(held, acquire("b", 1000, 1000)).next;
    expect(leaseOf(taken)).toEqual({ owner: "b", token: 2, expiresAt: 2000 });
  });

  it("acquire by the holder renews with the same token (re-entrant)", () => {
    const held = run(null, acquire("a", 1000, 0)).next;
    const again = run(held, acquire("a", 5000, 500)).next;
    expect(leaseOf(again)).toEqual({ owner: "a", token: 1, expiresAt: 5500 });
    expect(again?.version).toBe(2);
  });

  it("renew extends only for the same owner and token", () => {
    const held = run(null, acquire("a", 1000, 0)).next;
    expect(leaseOf(run(held, renew("a", 1, 3000, 800)).next)).toEqual({ owner: "a", token: 1, expiresAt: 3800 });
    expect(run(held, renew("a", 2, 3000, 800)).refused).toBe("not_holder");
    expect(run(held, renew("b", 1, 3000, 800)).refused).toBe("not_holder");
    expect(run(null, renew("a", 1, 3000, 800)).refused).toBe("not_holder");
  });

  it("a late renewal or re-entrant acquire never shortens the lease (its request's now may be old)", () => {
    const held = run(null, acquire("a", 1000, 5000)).next; // expires 6000
    const renewed = run(held, renew("a", 1, 100, 900)).next; // stale now: 900 + 100 < 6000
    expect(leaseOf(renewed)?.expiresAt).toBe(6000);
    expect(leaseOf(run(held, acquire("a", 100, 900)).next)?.expiresAt).toBe(6000);
    expect(leaseOf(run(held, renew("a", 1, 5000, 5500)).next)?.expiresAt).toBe(10_500);
  });

  it("renew after expiry succeeds while nobody else acquired, and fails once someone did", () => {
    const held = run(null, acquire("a", 1000, 0)).next;
    expect(leaseOf(run(held, renew("a", 1, 1000, 5000)).next)?.expiresAt).toBe(6000);
    const stolen = run(held, acquire("b", 1000, 5000)).next;
    expect(run(stolen, renew("a", 1, 1000, 5000)).refused).toBe("not_holder");
  });

  it("release frees the lock with a tombstone; the next token is still higher", () => {
    const held = run(null, acquire("a", 1000, 0)).next; // v1, token 1
    expect(run(held, release("b", 1)).refused).toBe("not_holder");
    expect(run(held, release("a", 7)).refused).toBe("not_holder");
    const freed = run(held, release("a", 1)).next; // v2 tombstone
    expect(freed?.value).toBeNull();
    expect(leaseOf(freed)).toBeUndefined();
    expect(run(freed, release("a", 1)).refused).toBe("not_holder");
    const next = run(freed, acquire("c", 1000, 10)).next;
    expect(leaseOf(next)?.token).toBe(3);
  });

  it("tokens strictly increase over any sequence of acquisitions by new owners", () => {
    let state: Register = null;
    let now = 0;
    let last = 0;
    let holder: string | undefined;
    for (let i = 0; i < 200; i++) {
      now += (i * 37) % 700;
      const owner = `o${i % 5}`;
      const op = i % 3;
      const lease = leaseOf(state);
      const result: { next: Register; refused?: string } =
        op === 0 ? run(state, acquire(owner, 500, now))
        : op === 1 && lease ? run(state, renew(lease.owner, lease.token, 500, now))
        : lease ? run(state, release(lease.owner, lease.token))
        : run(state, acquire(owner, 500, now));
      state = result.next;
      const after = leaseOf(state);
      if (after !== undefined && after.owner !== holder) {
        expect(after.token).toBeGreaterThan(last);
        last = after.token;
      }
      holder = after?.owner;
    }
    expect(last).toBeGreaterThan(1);
  });

  it("a register that is not a lease counts as free", () => {
    const junk: Register = { version: 4, value: new TextEncoder().encode("not json"), contentType: "text/plain", origin: "x" };
    expect(leaseOf(junk)).toBeUndefined();
    expect(leaseOf(run(junk, acquire("a", 100, 0)).next)?.token).toBe(5);
  });
});
