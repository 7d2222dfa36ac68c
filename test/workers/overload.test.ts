import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env.js";
import { serve } from "../../src/index.js";
import { BASE, errorOf, freshKey, keyPath } from "./helpers.js";

const baseEnv = env as unknown as Env;

describe("backpressure (the real app with BALLOT_MAX_PER_KEY=1)", () => {
  const app = serve({ ...baseEnv, BALLOT_MAX_PER_KEY: "1", BALLOT_CLUSTER: "overload" });

  it("refuses changes of a key past the bound with 503 overloaded and Retry-After, and applies only the admitted ones", async () => {
    const key = freshKey("overload");
    const puts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => app(new Request(BASE + keyPath(key), { method: "PUT", body: `v${i}`, headers: { "content-type": "text/plain" } }))),
    );
    const refused = puts.filter((r) => r.status === 503);
    const applied = puts.filter((r) => r.status === 200 || r.status === 201);
    expect(refused.length).toBeGreaterThan(0);
    expect(applied.length + refused.length).toBe(puts.length);
    for (const r of refused) {
      expect(r.headers.get("retry-after")).toBe("1");
      expect((await errorOf(r)).code).toBe("overloaded");
    }
    // Only admitted writes made versions: the key is at exactly as many versions as writes were acknowledged.
    const read = await app(new Request(BASE + keyPath(key)));
    expect(read.status).toBe(200);
    expect(read.headers.get("etag")).toBe(`"${applied.length}"`);
  });

  it("admits again once the key is idle", async () => {
    const key = freshKey("overload");
    const first = await app(new Request(BASE + keyPath(key), { method: "PUT", body: "a" }));
    const second = await app(new Request(BASE + keyPath(key), { method: "PUT", body: "b" }));
    expect([first.status, second.status]).toEqual([201, 200]);
  });
});

describe("configuration of the bounds", () => {
  it("a bad bound is a misconfiguration, not a silent default", () => {
    expect(() => serve({ ...baseEnv, BALLOT_MAX_IN_FLIGHT: "0" })).toThrow(/BALLOT_MAX_IN_FLIGHT/);
    expect(() => serve({ ...baseEnv, BALLOT_MAX_PER_KEY: "many" })).toThrow(/BALLOT_MAX_PER_KEY/);
    expect(() => serve({ ...baseEnv, BALLOT_PIGGYBACK: "yes" })).toThrow(/BALLOT_PIGGYBACK/);
  });
});
