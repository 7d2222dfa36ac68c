import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import { authOptionsFrom, constantTimeEqual, withAuth } from "../../src/http/auth.js";
import type { AcceptorProbe } from "../../src/cluster/acceptor-probe.js";
import { healthRoutes } from "../../src/http/health.js";
import { documentedRoutes, openApiDocument } from "../../src/http/openapi-document.js";
import { consoleLogAfterResponse, withRequestLog, type RequestLogLine } from "../../src/http/request-log.js";
import { createRouter } from "../../src/http/app.js";
import { routeTable, serve } from "../../src/index.js";
import { BASE, call, errorOf, freshKey, keyPath } from "./helpers.js";

const TOKEN_A = "token-a-0123456789abcdef";
const TOKEN_B = "token-b-0123456789abcdef";
const baseEnv = env as unknown as Env;
const req = (path: string, init?: RequestInit) => new Request(BASE + path, init);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bearer tokens (the real app with BALLOT_TOKENS set)", () => {
  const app = serve({ ...baseEnv, BALLOT_TOKENS: ` ${TOKEN_A}, ${TOKEN_B} `, BALLOT_CLUSTER: "auth" });

  it("refuses every route without a token: 401 JSON with WWW-Authenticate", async () => {
    for (const [path, method] of [
      [keyPath("k"), "GET"],
      [keyPath("k"), "PUT"],
      [keyPath("k", "/increment"), "POST"],
      ["/v1/locks/l/acquire", "POST"],
      ["/v1/health", "GET"],
      ["/v1/openapi.json", "GET"],
      ["/v1/admin/faults", "GET"],
      ["/v1/nowhere", "GET"],
    ] as const) {
      const res = await app(req(path, { method }));
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="ballot"');
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
  });

  it("refuses a wrong token, another scheme, and a token differing in its last character", async () => {
    for (const authorization of [`Bearer ${TOKEN_A}x`, `Bearer ${TOKEN_A.slice(0, -1)}g`, `Basic ${btoa("a:b")}`, "Bearer", `Bearer ${TOKEN_A} extra`]) {
      const res = await app(req(keyPath("k"), { headers: { authorization } }));
      expect(res.status, authorization).toBe(401);
    }
    const wrong = await app(req(keyPath("k"), { headers: bearer(`${TOKEN_A}x`) }));
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="ballot", error="invalid_token"');
  });

  it("accepts each configured token (rotation) and serves the request", async () => {
    const key = freshKey("auth");
    const put = await app(req(keyPath(key), { method: "PUT", body: "x", headers: bearer(TOKEN_A) }));
    expect(put.status).toBe(201);
    const got = await app(req(keyPath(key), { headers: { authorization: `bearer ${TOKEN_B}` } }));
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("x");
  });

  it("production without tokens is closed: 500 misconfigured on every route", async () => {
    const closed = serve({ ...baseEnv, BALLOT_REQUIRE_TOKENS: "true", BALLOT_TOKENS: "" });
    for (const path of [keyPath("k"), "/v1/health", "/v1/openapi.json"]) {
      const res = await closed(req(path, { headers: bearer(TOKEN_A) }));
      expect(res.status).toBe(500);
      const error = await errorOf(res);
      expect(error.code).toBe("misconfigured");
      expect(error.message).toMatch(/BALLOT_TOKENS/);
    }
    const open = serve({ ...baseEnv, BALLOT_REQUIRE_TOKENS: "true", BALLOT_TOKENS: TOKEN_A, BALLOT_CLUSTER: "auth" });
    expect((await open(req("/v1/openapi.json", { headers: bearer(TOKEN_A) }))).status).toBe(200);
  });

  it("rejects short or malformed tokens and a bad BALLOT_REQUIRE_TOKENS at startup", () => {
    expect(() => authOptionsFrom({ BALLOT_TOKENS: "short" })).toThrow(/at least 16/);
    expect(() => authOptionsFrom({ BALLOT_TOKENS: "has space in the token!" })).toThrow();
    expect(() => authOptionsFrom({ BALLOT_REQUIRE_TOKENS: "yes" })).toThrow(/true/);
    expect(authOptionsFrom({ BALLOT_TOKENS: `${TOKEN_A},,${TOKEN_B}` }).tokens).toEqual([TOKEN_A, TOKEN_B]);
  });

  it("without tokens (local dev) the API is open and warns once", async () => {
    const warnings: string[] = [];
    const inner = async () => new Response("ok");
    const open = withAuth(inner, { tokens: [], requireTokens: false, warn: (m) => warnings.push(m) });
    expect((await open(req("/v1/x"))).status).toBe(200);
    expect((await open(req("/v1/x"))).status).toBe(200);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/open/);
  });

  it("compares digests in constant time", () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(1);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(0);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(0);
  });
});

describe("acceptors are reachable only through the proposer", () => {
  it("no route reaches an acceptor object directly", async () => {
    for (const path of [
      "/v1/acceptors/0",
      "/v1/acceptors/0/handle",
      "/acceptors/0",
      "/v1/shards/0/acceptors/0",
      "/v1/acceptor/main%2Fshard-0%2Facceptor-0",
      "/main/shard-0/acceptor-0",
      "/",
    ]) {
      for (const method of ["GET", "POST"]) {
        const res = await call(path, { method });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
  });
});

describe("GET /v1/health", () => {
  it("pings every acceptor of every shard through the real Worker", async () => {
    const res = await call("/v1/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; acceptors: number; majority: number; shards: { shard: number; majority: boolean; acceptors: { ok: boolean; latencyMs: number }[] }[] };
    expect(body.status).toBe("ok");
    expect(body.acceptors).toBe(3);
    expect(body.majority).toBe(2);
    expect(body.shards.map((s) => s.shard)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    for (const shard of body.shards) {
      expect(shard.majority).toBe(true);
      expect(shard.acceptors.every((a) => a.ok && a.latencyMs >= 0)).toBe(true);
    }
  });

  it("probes one shard with ?shard= and refuses a bad one", async () => {
    const res = await call("/v1/health?shard=3");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { shards: { shard: number }[] }).shards.map((s) => s.shard)).toEqual([3]);
    expect((await call("/v1/health?shard=16")).status).toBe(400);
    expect((await call("/v1/health?shard=x")).status).toBe(400);
  });

  const probe = (down: (shard: number, index: number) => "up" | "down" | "hang" | "mismatch"): AcceptorProbe => ({
    acceptors: 3,
    shards: 2,
    layout: "L",
    locationHints: ["wnam", "enam", "weur"],
    timeoutMs: 50,
    ping: (shard, index) => {
      const state = down(shard, index);
      if (state === "down") return Promise.reject(new Error("gone"));
      if (state === "hang") return new Promise(() => {});
      return Promise.resolve({ layout: state === "mismatch" ? "other" : "L" });
    },
  });
  const health = (p: AcceptorProbe) => createRouter(healthRoutes(p))(req("/v1/health"));

  it("one acceptor down or hanging: 200 degraded; a majority down: 503 unavailable", async () => {
    const degraded = await health(probe((_, i) => (i === 0 ? "down" : i === 1 ? "up" : "up")));
    expect(degraded.status).toBe(200);
    expect(((await degraded.json()) as { status: string }).status).toBe("degraded");

    const hanging = await health(probe((_, i) => (i === 2 ? "hang" : "up")));
    const hbody = (await hanging.json()) as { status: string; shards: { acceptors: { ok: boolean; error?: string; locationHint: string }[] }[] };
    expect(hanging.status).toBe(200);
    expect(hbody.shards[0]?.acceptors[2]).toMatchObject({ ok: false, locationHint: "weur" });
    expect(hbody.shards[0]?.acceptors[2]?.error).toMatch(/no answer within 50 ms/);

    const down = await health(probe((shard, i) => (shard === 1 && i > 0 ? (i === 1 ? "down" : "mismatch") : "up")));
    expect(down.status).toBe(503);
    const dbody = (await down.json()) as { status: string; shards: { majority: boolean; acceptors: { error?: string }[] }[] };
    expect(dbody.status).toBe("unavailable");
    expect(dbody.shards.map((s) => s.majority)).toEqual([true, false]);
    expect(dbody.shards[1]?.acceptors[2]?.error).toMatch(/layout mismatch/);
  });
});

describe("OpenAPI", () => {
  it("documents exactly the routes and methods the Worker serves (dev admin routes excluded)", () => {
    const served = routeTable(baseEnv)
      .filter((r) => !r.pattern.startsWith("/v1/admin/") || r.pattern === "/v1/admin/layout")
      .flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`))
      .sort();
    const documented = documentedRoutes()
      .flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`))
      .sort();
    expect(documented).toEqual(served);
    expect(served).toContain("GET /v1/health");
  });

  it("is served at /v1/openapi.json as OpenAPI 3.1 with resolvable $refs", async () => {
    const res = await call("/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as typeof openApiDocument;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const path = ref.slice(10, -1).replace(/^#\//, "").split("/");
      let node: unknown = doc;
      for (const part of path) node = (node as Record<string, unknown>)[part];
      expect(node, ref).toBeDefined();
    }
  });
});

describe("structured request logs", () => {
  it("logs one JSON line per request with route, key hash (never the key), outcome, rounds and latency", async () => {
    // Earlier tests' lines are written after their responses: let them go out before listening.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const key = freshKey("secret-key-name");
    const app = serve({ ...baseEnv, BALLOT_CLUSTER: "logs" });
    await app(req(keyPath(key), { method: "PUT", body: "v" }));
    await app(req(keyPath(key), { method: "PUT", body: "w", headers: { "if-match": '"9"' } }));
    await app(req("/v1/nowhere"));
    // Lines are written after each response has gone out (consoleLogAfterResponse).
    await vi.waitFor(() => expect(lines).toHaveLength(3));
    for (const line of lines) expect(line).not.toContain("secret-key-name");
    const [put, refused, missing] = lines.map((l) => JSON.parse(l) as RequestLogLine);
    // FNV-1a 64-bit, computed independently with BigInt ("a" hashes to af63dc4c8601ec8c, the reference vector).
    const fnv1a64 = (text: string) => {
      let h = 0xcbf29ce484222325n;
      for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, "0");
    };
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    const hash = fnv1a64(key);
    expect(put).toMatchObject({ msg: "request", method: "PUT", route: "/v1/keys/:key", keyHash: hash, status: 201, outcome: "ok", conflicts: 0 });
    expect(put?.rounds).toBeGreaterThanOrEqual(1);
    expect(put?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(refused).toMatchObject({ status: 412, outcome: "precondition_failed", keyHash: hash });
    expect(missing).toMatchObject({ route: null, status: 404, outcome: "not_found" });
    expect(missing).not.toHaveProperty("keyHash");
  });

  it("writes each line after the response, on a timer kept alive by waitUntil", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const kept: Promise<unknown>[] = [];
    const sink = consoleLogAfterResponse((promise) => kept.push(promise));
    sink({ msg: "request", method: "GET", route: null, status: 404, outcome: "not_found", latencyMs: 0 });
    expect(lines).toHaveLength(0);
    expect(kept).toHaveLength(1);
    await kept[0];
    expect(lines.map((l) => JSON.parse(l) as RequestLogLine)).toEqual([
      { msg: "request", method: "GET", route: null, status: 404, outcome: "not_found", latencyMs: 0 },
    ]);
  });

  it("reads rounds, conflicts and the fast path from Server-Timing", async () => {
    const lines: RequestLogLine[] = [];
    const inner = async () =>
      new Response(null, { status: 204, headers: { "server-timing": 'rounds;desc="3", prepare;dur=1, accept;dur=2, conflicts;desc="2", piggyback' } });
    await withRequestLog(inner, [{ pattern: "/v1/locks/:name/release" }], (l) => lines.push(l))(req("/v1/locks/n/release", { method: "POST" }));
    expect(lines[0]).toMatchObject({ route: "/v1/locks/:name/release", rounds: 3, conflicts: 2, fastPath: "piggyback", outcome: "ok" });
    expect(lines[0]?.keyHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("reads the time spent outside the rounds (intake, queue, linger, backoff) from Server-Timing, only when there was any", async () => {
    const lines: RequestLogLine[] = [];
    const timings = ['rounds;desc="2", queue;dur=40, linger;dur=1, prepare;dur=3, accept;dur=4, backoff;dur=12,intake;dur=7', 'rounds;desc="2", prepare;dur=3, accept;dur=4'];
    for (const timing of timings) {
      const inner = async () => new Response(null, { status: 204, headers: { "server-timing": timing } });
      await withRequestLog(inner, [{ pattern: "/v1/keys/:key" }], (l) => lines.push(l))(req("/v1/keys/k", { method: "DELETE" }));
    }
    expect(lines[0]).toMatchObject({ rounds: 2, intakeMs: 7, queueMs: 40, lingerMs: 1, backoffMs: 12 });
    expect(lines[1]).not.toHaveProperty("intakeMs");
    expect(lines[1]).not.toHaveProperty("queueMs");
    expect(lines[1]).not.toHaveProperty("lingerMs");
    expect(lines[1]).not.toHaveProperty("backoffMs");
  });
});
