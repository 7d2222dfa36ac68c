import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { NamedTransport } from "../../src/core/routing/named-transport.js";
import { acceptorIndexOf } from "../../src/cluster/fault-injection.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { listRoutes } from "../../src/http/list.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { BASE, call, errorOf, freshKey, keyPath } from "./helpers.js";

// GET /v1/keys (issue 20): key listing by prefix through the real Worker and acceptor objects.

interface Page {
  keys: { key: string; version: number; contentType: string; bytes: number; value?: string; valueBase64?: string }[];
  next: string | null;
}

const q = (params: Record<string, string>) => `/v1/keys?${new URLSearchParams(params)}`;

async function page(params: Record<string, string>): Promise<Page> {
  const res = await call(q(params));
  expect(res.status, `${JSON.stringify(params)}: ${res.status === 200 ? "" : await res.clone().text()}`).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("server-timing")).toMatch(/^list;dur=\d+, steps;desc="\d+", reads;desc="\d+"$/);
  return (await res.json()) as Page;
}

async function put(key: string, body: BodyInit, contentType = "text/plain"): Promise<void> {
  const res = await call(keyPath(key), { method: "PUT", body, headers: { "content-type": contentType } });
  expect([200, 201]).toContain(res.status);
}

async function all(params: Record<string, string>): Promise<string[]> {
  const keys: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const p = await page(after === null ? params : { ...params, after });
    keys.push(...p.keys.map((k) => k.key));
    if (p.next === null) return keys;
    after = p.next;
  }
  throw new Error("no end");
}

describe("GET /v1/keys", () => {
  it("lists live keys under a prefix in UTF-8 byte order with version, content type and length; deleted keys are not", async () => {
    const p = `${freshKey("ls")}/`;
    for (const k of ["b", "a", "😀", "\uFFFF", "c"]) await put(p + k, `value of ${k}`);
    await put(`${p}a`, "again");
    await put(`${p}gone`, "x");
    expect((await call(keyPath(`${p}gone`), { method: "DELETE" })).status).toBe(204);
    await put(`${p.slice(0, -1)}-sibling`, "not under the prefix");
    const listed = await page({ prefix: p });
    expect(listed.next).toBeNull();
    expect(listed.keys.map((k) => k.key)).toEqual([`${p}a`, `${p}b`, `${p}c`, `${p}\uFFFF`, `${p}😀`]);
    expect(listed.keys[0]).toEqual({ key: `${p}a`, version: 2, contentType: "text/plain", bytes: 5 });
  });

  it("pages by limit and after: next is the last key returned, null at the end", async () => {
    const p = `${freshKey("pages")}/`;
    for (let i = 0; i < 7; i++) await put(`${p}${i}`, String(i));
    const first = await page({ prefix: p, limit: "3" });
    expect([first.keys.map((k) => k.key), first.next]).toEqual([[`${p}0`, `${p}1`, `${p}2`], `${p}2`]);
    const second = await page({ prefix: p, limit: "3", after: first.next as string });
    expect(second.keys.map((k) => k.key)).toEqual([`${p}3`, `${p}4`, `${p}5`]);
    const last = await page({ prefix: p, limit: "3", after: second.next as string });
    expect([last.keys.map((k) => k.key), last.next]).toEqual([[`${p}6`], null]);
    expect(await all({ prefix: p, limit: "2" })).toHaveLength(7);
  });

  it("values=true: text as value, anything else as valueBase64; a page stops before 1 MiB of values", async () => {
    const p = `${freshKey("values")}/`;
    await put(`${p}bin`, new Uint8Array([0, 255, 1]), "application/octet-stream");
    await put(`${p}json`, '{"on":true}', "application/json");
    await put(`${p}latin`, new Uint8Array([0xe9]), "text/plain; charset=latin1");
    await put(`${p}text`, "héllo", "text/plain; charset=utf-8");
    const listed = await page({ prefix: p, values: "true" });
    expect(listed.keys).toEqual([
      { key: `${p}bin`, version: 1, contentType: "application/octet-stream", bytes: 3, valueBase64: "AP8B" },
      { key: `${p}json`, version: 1, contentType: "application/json", bytes: 11, value: '{"on":true}' },
      { key: `${p}latin`, version: 1, contentType: "text/plain; charset=latin1", bytes: 1, valueBase64: "6Q==" },
      { key: `${p}text`, version: 1, contentType: "text/plain; charset=utf-8", bytes: 6, value: "héllo" },
    ]);
    expect((await page({ prefix: p, values: "false" })).keys[0]).not.toHaveProperty("valueBase64");
    const big = "x".repeat(600 * 1024);
    await put(`${p}big1`, big);
    await put(`${p}big2`, big);
    const bounded = await page({ prefix: `${p}big`, values: "true" });
    expect([bounded.keys.map((k) => k.key), bounded.next]).toEqual([[`${p}big1`], `${p}big1`]);
    expect((await page({ prefix: `${p}big`, values: "true", after: `${p}big1` })).keys.map((k) => k.key)).toEqual([`${p}big2`]);
  });

  it("never lists lock registers (internal keys), whatever the prefix", async () => {
    const name = freshKey("locked");
    expect((await call(`/v1/locks/${encodeURIComponent(name)}/acquire`, { method: "POST", body: JSON.stringify({ owner: "o", ttlMs: 10_000 }) })).status).toBe(200);
    const keys = await all({ limit: "1000" });
    expect(keys.filter((k) => k.includes(name) || /[\u0000-\u001f]/.test(k))).toEqual([]);
  });

  it("400 invalid_argument naming the parameter, for every bad parameter", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ limit: "0" }, /"limit"/],
      [{ limit: "1001" }, /"limit"/],
      [{ limit: "abc" }, /"limit"/],
      [{ limit: "-1" }, /"limit"/],
      [{ limit: "1.5" }, /"limit"/],
      [{ limit: "" }, /"limit"/],
      [{ limit: "00001" }, /"limit"/],
      [{ prefix: "a\u0001" }, /"prefix"/],
      [{ prefix: "\u0001lock:" }, /"prefix"/],
      [{ prefix: "x".repeat(513) }, /"prefix"/],
      [{ after: "" }, /"after"/],
      [{ after: "a\u007f" }, /"after"/],
      [{ after: "é".repeat(257) }, /"after"/],
      [{ values: "yes" }, /"values"/],
      [{ value: "true" }, /unknown field "value"/],
    ];
    const twice = await call("/v1/keys?prefix=a&prefix=b");
    expect(twice.status).toBe(400);
    expect(await errorOf(twice)).toMatchObject({ code: "invalid_argument", message: '"prefix" is given more than once' });
    for (const [params, message] of cases) {
      const res = await call(q(params));
      expect(res.status, JSON.stringify(params)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_argument");
      expect(error.message, JSON.stringify(params)).toMatch(message);
    }
  });

  it("GET only: other methods are 405 with Allow", async () => {
    for (const method of ["POST", "PUT", "DELETE", "HEAD"]) {
      const res = await call("/v1/keys", { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET");
    }
  });
});

describe("listing under faults", () => {
  /** An app whose data path fails the acceptors `down` (by index in their group). */
  function appWith(down: ReadonlySet<number>) {
    const config = loadConfig(env as unknown as Env);
    const named = (inner: NamedTransport): NamedTransport => ({
      send: (acceptor, request) => (down.has(acceptorIndexOf(acceptor.name)) ? Promise.reject(new Error("down")) : inner.send(acceptor, request)),
    });
    const proposer = createWorkerProposer(env as unknown as Env, config, { root: (t) => t, named });
    const routes = listRoutes({ list: proposer.listVia(proposer.registers), roundTimeoutMs: config.proposer.roundTimeoutMs, deadlineMs: config.proposer.deadlineMs });
    return createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, routes, logError: () => {} });
  }

  it("lists everything with a minority down, and answers 503 unavailable with Retry-After without a majority", async () => {
    const p = `${freshKey("faulty")}/`;
    for (const k of ["a", "b", "c"]) await put(p + k, k);
    const minority = await appWith(new Set([0]))(new Request(BASE + q({ prefix: p })));
    expect(minority.status).toBe(200);
    expect(((await minority.json()) as Page).keys.map((k) => k.key)).toEqual([`${p}a`, `${p}b`, `${p}c`]);
    const majority = await appWith(new Set([0, 1]))(new Request(BASE + q({ prefix: p })));
    expect(majority.status).toBe(503);
    expect(majority.headers.get("retry-after")).toBe("1");
    expect((await errorOf(majority)).code).toBe("unavailable");
  });
});
