import { describe, expect, it } from "vitest";
import { BASE, appWithFaults, call, errorOf, freshKey, keyPath } from "./helpers.js";

const request = (path: string, init?: RequestInit) => new Request(BASE + path, init);

async function exercise(app: (r: Request) => Promise<Response>, key: string): Promise<void> {
  expect((await app(request(keyPath(key), { method: "PUT", body: "a" }))).status).toBe(201);
  expect((await app(request(keyPath(key), { method: "PUT", body: "b", headers: { "if-match": '"1"' } }))).status).toBe(200);
  const got = await app(request(keyPath(key)));
  expect(got.status).toBe(200);
  expect(await got.text()).toBe("b");
  const inc = await app(request(keyPath(key + "-n", "/increment"), { method: "POST", body: '{"by":2}' }));
  expect(await inc.json()).toEqual({ value: 2, version: 1 });
  expect((await app(request(keyPath(key), { method: "DELETE" }))).status).toBe(204);
  expect((await app(request(keyPath(key)))).status).toBe(404);
}

describe("a minority of acceptors failing at the proposer's transport", () => {
  for (const index of [0, 1, 2]) {
    it(`every operation succeeds with acceptor ${index} failing every call`, async () => {
      await exercise(appWithFaults((i) => (i === index ? "fail" : "ok")), freshKey());
    });
  }

  it("every operation succeeds with one acceptor that never answers", async () => {
    await exercise(appWithFaults((i) => (i === 2 ? "hang" : "ok")), freshKey());
  });

  it("N=5 keeps working with two acceptors failing", async () => {
    await exercise(appWithFaults((i) => (i >= 3 ? "fail" : "ok"), { BALLOT_ACCEPTORS: "5", BALLOT_CLUSTER: "five" }), freshKey());
  });
});

describe("a majority failing", () => {
  it("answers 503 unavailable with Retry-After and applies nothing", async () => {
    const key = freshKey();
    const app = appWithFaults((i) => (i === 0 ? "ok" : "fail"));
    const res = await app(request(keyPath(key), { method: "PUT", body: "lost" }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await errorOf(res)).code).toBe("unavailable");
    // Healthy proposer: the write is not there, not even on the one acceptor that answered.
    expect((await call(keyPath(key))).status).toBe(404);
    const read = await app(request(keyPath(key)));
    expect(read.status).toBe(503);
  });

  it("answers 504 outcome_unknown when an accept was sent but no majority confirmed it", async () => {
    const key = freshKey();
    const app = appWithFaults((i, req) => (req.type === "accept" && i !== 0 ? "fail" : "ok"));
    const res = await app(request(keyPath(key), { method: "PUT", body: "maybe" }));
    expect(res.status).toBe(504);
    expect((await errorOf(res)).code).toBe("outcome_unknown");
    // Acceptor 0 accepted it: a later round may complete it (a read that meets acceptor 0 writes it back). Reads
    // may see it appear, but once one saw it, none goes back.
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(keyPath(key));
      if (res.status === 200) expect(await res.text()).toBe("maybe");
      seen.push(res.status);
    }
    const firstSeen = seen.indexOf(200);
    if (firstSeen >= 0) expect(seen.slice(firstSeen).every((s) => s === 200)).toBe(true);
  });
});
