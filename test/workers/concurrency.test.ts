import { describe, expect, it } from "vitest";
import { call, freshKey, keyPath } from "./helpers.js";

describe("concurrent clients on one key", () => {
  it("50 concurrent increments give exactly 50 and 50 distinct versions", async () => {
    const key = freshKey("counter");
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => call(keyPath(key, "/increment"), { method: "POST", body: '{"by":1}' })),
    );
    const results: { value: number; version: number }[] = [];
    for (const res of responses) {
      expect(res.status).toBe(200);
      results.push(await res.json());
    }
    expect(new Set(results.map((r) => r.version)).size).toBe(50);
    expect(new Set(results.map((r) => r.value)).size).toBe(50);
    expect(results.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await (await call(keyPath(key))).text()).toBe("50");
  });

  it("concurrent compare-and-set writers: exactly one wins per version", async () => {
    const key = freshKey("cas");
    await call(keyPath(key), { method: "PUT", body: "start" });
    const winners = new Map<number, string[]>();
    // Ten rounds; in each, 8 writers race from the version they all read.
    for (let round = 0; round < 10; round++) {
      const current = Number((await call(keyPath(key))).headers.get("etag")?.replaceAll('"', ""));
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          call(keyPath(key), { method: "PUT", body: `r${round}w${w}`, headers: { "if-match": `"${current}"` } }).then(
            async (res) => ({ writer: `r${round}w${w}`, res }),
          ),
        ),
      );
      const won = responses.filter((r) => r.res.status === 200);
      const lost = responses.filter((r) => r.res.status === 412);
      expect(won.length + lost.length).toBe(8);
      expect(won.length).toBe(1);
      winners.set(current + 1, won.map((w) => w.writer));
      const after = await call(keyPath(key));
      expect(after.headers.get("etag")).toBe(`"${current + 1}"`);
      expect(await after.text()).toBe(won[0]?.writer);
    }
    expect(winners.size).toBe(10);
  });

  it("concurrent plain writes all succeed with distinct versions, and the last version holds one of them", async () => {
    const key = freshKey("writes");
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(keyPath(key), { method: "PUT", body: `w${i}` })),
    );
    const versions: number[] = [];
    for (const res of responses) {
      expect([200, 201]).toContain(res.status);
      versions.push(((await res.json()) as { version: number }).version);
    }
    expect(new Set(versions).size).toBe(20);
    expect(Math.max(...versions)).toBe(20);
    const final = await call(keyPath(key));
    expect(final.headers.get("etag")).toBe('"20"');
  });
});
