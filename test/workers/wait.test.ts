import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { systemClock } from "../../src/cluster/runtime.js";
import type { HintSource } from "../../src/core/watch/hints.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { BASE, call, errorOf, freshKey, keyPath } from "./helpers.js";

// Blocking reads: GET /v1/keys/{key}?wait=V&timeout=S (src/http/wait.ts). Timings are asserted only with generous bounds.

const put = async (key: string, value: string) => {
  const res = await call(keyPath(key), { method: "PUT", body: value, headers: { "content-type": "text/plain" } });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { version: number }).version;
};

describe("GET /v1/keys/{key}?wait=V (blocking read)", { timeout: 30_000 }, () => {
  it("refuses bad wait and timeout values with 400 invalid_argument naming the parameter", async () => {
    const key = freshKey("wait-bad");
    for (const [query, name] of [
      ["wait=-1", "wait"],
      ["wait=abc", "wait"],
      ["wait=1.5", "wait"],
      ["wait=", "wait"],
      ["wait=99999999999999999", "wait"],
      ["wait=1&timeout=0", "timeout"],
      ["wait=1&timeout=301", "timeout"],
      ["wait=1&timeout=2.5", "timeout"],
      ["wait=1&timeout=x", "timeout"],
      ["timeout=5", "timeout"],
      ["wait=1&wait=2", "wait"],
      ["wait=1&timeout=2&timeout=3", "timeout"],
    ] as const) {
      const res = await call(`${keyPath(key)}?${query}`);
      expect(res.status, query).toBe(400);
      const error = await errorOf(res);
      expect(error.code, query).toBe("invalid_argument");
      expect(error.message, query).toContain(`"${name}"`);
    }
  });

  it("answers at once when the version is already above wait, with the value, ETag and X-Ballot-Version", async () => {
    const key = freshKey("wait-now");
    await put(key, "a");
    const v = await put(key, "b");
    const res = await call(`${keyPath(key)}?wait=${v - 1}&timeout=30`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("b");
    expect(res.headers.get("etag")).toBe(`"${v}"`);
    expect(res.headers.get("x-ballot-version")).toBe(String(v));
    expect(res.headers.get("content-type")).toBe("text/plain");
  });

  it("is answered by a PUT before its timeout", async () => {
    const key = freshKey("wait-put");
    const v = await put(key, "before");
    const started = Date.now();
    const waiting = call(`${keyPath(key)}?wait=${v}&timeout=60`);
    await new Promise((r) => setTimeout(r, 200));
    const v2 = await put(key, "after");
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("after");
    expect(res.headers.get("etag")).toBe(`"${v2}"`);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("HEAD waits the same way, without a body", async () => {
    const key = freshKey("wait-head");
    const v = await put(key, "x");
    const waiting = call(`${keyPath(key)}?wait=${v}&timeout=60`, { method: "HEAD" });
    await new Promise((r) => setTimeout(r, 100));
    const v2 = await put(key, "yy");
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${v2}"`);
    expect(res.headers.get("content-length")).toBe("2");
    expect(await res.text()).toBe("");
  });

  it("answers at the timeout with the current state", async () => {
    const key = freshKey("wait-timeout");
    const v = await put(key, "same");
    const started = Date.now();
    const res = await call(`${keyPath(key)}?wait=${v}&timeout=1`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("same");
    expect(res.headers.get("etag")).toBe(`"${v}"`);
  });

  it("a delete past wait is a 404 with the delete's version (body and X-Ballot-Version); a key never written times out as 404 version 0", async () => {
    const key = freshKey("wait-del");
    const v = await put(key, "x");
    const waiting = call(`${keyPath(key)}?wait=${v}&timeout=60`);
    await new Promise((r) => setTimeout(r, 100));
    expect((await call(keyPath(key), { method: "DELETE" })).status).toBe(204);
    const res = await waiting;
    expect(res.status).toBe(404);
    expect(res.headers.get("x-ballot-version")).toBe(String(v + 1));
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: "not_found", version: v + 1 });

    const never = await call(`${keyPath(freshKey("wait-never"))}?wait=0&timeout=1`);
    expect(never.status).toBe(404);
    expect(await errorOf(never)).toMatchObject({ code: "not_found", version: 0 });
    // Without wait, a 404 is as it always was (no version).
    const plain = await call(keyPath(freshKey("wait-plain")));
    expect(plain.status).toBe(404);
    expect(plain.headers.get("x-ballot-version")).toBeNull();
    expect(await errorOf(plain)).not.toHaveProperty("version");
  });

  it("a lost hint still answers within the recheck period: a watcher whose hints never come sees a PUT by its rechecks", async () => {
    const config = loadConfig(env as unknown as Env);
    const proposer = createWorkerProposer(env as unknown as Env, config);
    const deaf: HintSource = { subscribe: () => () => {}, subscribePrefix: () => () => {} };
    const app = createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, waiting: { hints: deaf, clock: systemClock, recheckMs: 500 } });
    const key = freshKey("wait-lost");
    const v = await put(key, "one");
    const started = Date.now();
    const waiting = app(new Request(`${BASE}${keyPath(key)}?wait=${v}&timeout=60`));
    await new Promise((r) => setTimeout(r, 100));
    await put(key, "two"); // through the Worker: its hint goes to the Worker's watchers, never to this app's
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("two");
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
