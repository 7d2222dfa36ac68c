import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env.js";
import { withAuth } from "../../src/http/auth.js";
import { withRequestLog, type RequestLogLine } from "../../src/http/request-log.js";
import { routeTable, serve } from "../../src/index.js";
import { BASE, errorOf, freshKey, keyPath } from "./helpers.js";
import { reader } from "./sse-reader.js";

// Scoped tokens (issue 22) through the real app: BALLOT_ACCESS grants by token hash, BALLOT_TOKENS as full data
// access, BALLOT_ADMIN_TOKENS for the operator's routes only.
const DASHBOARD = "dashboard-token-0123456789";
const BILLING = "billing-service-token-0123456789";
const OPERATOR = "operator-grant-token-0123456789";
const FULL = "full-access-token-0123456789";
const ADMIN = "admin-only-token-0123456789";

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const ACCESS = JSON.stringify([
  { name: "dashboard", sha256: await sha256Hex(DASHBOARD), read: [""] },
  { name: "billing", sha256: await sha256Hex(BILLING), read: ["config/"], write: ["billing/"] },
  { name: "operator", sha256: await sha256Hex(OPERATOR), admin: true },
]);
const scopedEnv: Env = { ...(env as unknown as Env), BALLOT_ACCESS: ACCESS, BALLOT_TOKENS: FULL, BALLOT_ADMIN_TOKENS: ADMIN, BALLOT_CLUSTER: "access" };
const app = serve(scopedEnv);
const as = (token: string, path: string, init: RequestInit = {}) =>
  app(new Request(BASE + path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } }));
const lockBody = (owner: string) => JSON.stringify({ owner, ttlMs: 10_000 });

describe("scoped tokens", () => {
  it("a read-only token reads every key and changes none (403 forbidden, nothing written)", async () => {
    const key = freshKey("config/flag");
    expect((await as(FULL, keyPath(key), { method: "PUT", body: "on" })).status).toBe(201);
    const read = await as(DASHBOARD, keyPath(key));
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("on");
    for (const [path, method] of [
      [keyPath(key), "PUT"],
      [keyPath(key), "DELETE"],
      [keyPath(key, "/increment"), "POST"],
    ] as const) {
      const refused = await as(DASHBOARD, path, { method, body: method === "POST" ? "{}" : method === "PUT" ? "off" : null });
      expect(refused.status, `${method} ${path}`).toBe(403);
      const error = await errorOf(refused);
      expect(error.code).toBe("forbidden");
      expect(error.message).toBe(`this token may not write the key ${JSON.stringify(key)}`);
    }
    const after = await as(FULL, keyPath(key));
    expect([after.status, after.headers.get("etag"), await after.text()]).toEqual([200, '"1"', "on"]);
  });

  it("a service owns its prefix: writes there, reads what it is granted, nothing else", async () => {
    const own = freshKey("billing/invoice");
    expect((await as(BILLING, keyPath(own), { method: "PUT", body: "42" })).status).toBe(201);
    expect((await as(BILLING, keyPath(own))).status).toBe(200); // write includes read
    expect((await as(BILLING, keyPath(own, "/increment"), { method: "POST", body: JSON.stringify({ by: 1 }), headers: { "content-type": "application/json" } })).status).toBe(200);
    expect((await as(BILLING, keyPath(freshKey("config/x")))).status).toBe(404); // readable, absent
    expect((await as(BILLING, keyPath(freshKey("config/x")), { method: "PUT", body: "x" })).status).toBe(403);
    const hr = await as(BILLING, keyPath(freshKey("hr/salary")));
    expect(hr.status).toBe(403);
    expect((await errorOf(hr)).message).toMatch(/^this token may not read the key "hr\/salary/);
  });

  it("watching a key and a blocking read need read access to the key (403 otherwise, before any stream starts)", async () => {
    const readable = freshKey("config/watched");
    expect((await as(FULL, keyPath(readable), { method: "PUT", body: "v" })).status).toBe(201);
    const stream = await as(BILLING, `/v1/watch/${encodeURIComponent(readable)}`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await stream.body!.cancel();
    const hidden = freshKey("hr/watched");
    const refused = await as(BILLING, `/v1/watch/${encodeURIComponent(hidden)}`);
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toMatch(/^this token may not read the key "hr\/watched/);
    const waited = await as(BILLING, `${keyPath(hidden)}?wait=0&timeout=1`);
    expect(waited.status).toBe(403);
    const allowed = await as(BILLING, `${keyPath(readable)}?wait=0&timeout=5`);
    expect([allowed.status, await allowed.text()]).toEqual([200, "v"]);
  });

  it("locks follow the same prefixes: write to acquire, renew and release; read to observe", async () => {
    const name = freshKey("billing/nightly");
    const acquired = await as(BILLING, `/v1/locks/${encodeURIComponent(name)}/acquire`, { method: "POST", body: lockBody("b1") });
    expect(acquired.status).toBe(200);
    expect((await as(DASHBOARD, `/v1/locks/${encodeURIComponent(name)}`)).status).toBe(200);
    const taken = await as(DASHBOARD, `/v1/locks/${encodeURIComponent(name)}/acquire`, { method: "POST", body: lockBody("d1") });
    expect(taken.status).toBe(403);
    expect((await errorOf(taken)).message).toBe(`this token may not write the lock ${JSON.stringify(name)}`);
    expect((await as(BILLING, `/v1/locks/${encodeURIComponent(freshKey("ops/job"))}/acquire`, { method: "POST", body: lockBody("b1") })).status).toBe(403);
  });

  it("a listing shows only the keys the token may read: 403 when it may read none under the prefix", async () => {
    const tag = freshKey("t");
    const keys = [`billing/${tag}`, `config/${tag}`, `hr/${tag}`];
    for (const key of keys) expect((await as(FULL, keyPath(key), { method: "PUT", body: "x" })).status).toBe(201);
    // Every page: other tests' keys share the objects, so ours need not all be on the first page.
    const listed = async (token: string, prefix: string) => {
      const found: string[] = [];
      for (let after: string | null = null; ; ) {
        const query = new URLSearchParams({ prefix, limit: "1000", ...(after === null ? {} : { after }) });
        const res = await as(token, `/v1/keys?${query}`);
        if (res.status !== 200) return res.status;
        const body = (await res.json()) as { keys: { key: string }[]; next: string | null };
        found.push(...body.keys.map((k) => k.key).filter((k) => k.endsWith(tag)));
        if (body.next === null) return found;
        after = body.next;
      }
    };
    expect(await listed(BILLING, "")).toEqual([`billing/${tag}`, `config/${tag}`]);
    expect(await listed(BILLING, "config/")).toEqual([`config/${tag}`]);
    expect(await listed(BILLING, "hr/")).toBe(403);
    expect(await listed(DASHBOARD, "")).toEqual(keys);
    expect(await listed(OPERATOR, "")).toBe(403);
    const refused = await as(BILLING, "/v1/keys?prefix=hr%2F");
    expect((await errorOf(refused)).message).toBe('this token may not read any key under the prefix "hr/"');
  });

  it("a prefix watch sends only the keys the token may read: 403 when it may read none under the prefix", async () => {
    const tag = freshKey("w");
    for (const key of [`billing/${tag}`, `config/${tag}`, `hr/${tag}`]) expect((await as(FULL, keyPath(key), { method: "PUT", body: "x" })).status).toBe(201);
    const stream = await as(BILLING, `/v1/watch?${new URLSearchParams({ prefix: "" })}`);
    expect(stream.status).toBe(200);
    const s = reader(stream);
    const keys: string[] = [];
    for (let e = await s.event(); e.event !== "synced"; e = await s.event()) keys.push(String(e.data?.key));
    await s.cancel();
    expect(keys.filter((k) => k.endsWith(tag)).sort()).toEqual([`billing/${tag}`, `config/${tag}`]);
    expect(keys.every((k) => k.startsWith("billing/") || k.startsWith("config/"))).toBe(true);
    for (const token of [BILLING, OPERATOR]) {
      const refused = await as(token, `/v1/watch?${new URLSearchParams({ prefix: "hr/" })}`);
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).message).toBe('this token may not read any key under the prefix "hr/"');
    }
  });

  it("the operator's routes need an admin grant; an admin grant alone touches no data", async () => {
    for (const token of [DASHBOARD, BILLING, FULL]) {
      const refused = await as(token, "/v1/admin/layout");
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).message).toMatch(/operator's routes/);
    }
    for (const token of [OPERATOR, ADMIN]) {
      expect((await as(token, "/v1/admin/layout")).status).toBe(200);
      expect((await as(token, keyPath(freshKey("any")))).status).toBe(403);
      expect((await as(token, "/v1/health")).status).toBe(200);
    }
  });

  it("dev admin routes need full data access, never a scoped token", async () => {
    expect((await as(DASHBOARD, "/v1/admin/faults")).status).toBe(403);
    expect((await as(BILLING, "/v1/admin/storage")).status).toBe(403);
    expect((await as(FULL, "/v1/admin/faults")).status).toBe(200);
  });

  it("any valid token may ask for health and the OpenAPI document; a bad key is the route's 400, not a 403", async () => {
    for (const token of [DASHBOARD, BILLING, OPERATOR]) {
      expect((await as(token, "/v1/health")).status).toBe(200);
      expect((await as(token, "/v1/openapi.json")).status).toBe(200);
    }
    expect((await as(BILLING, "/v1/keys/%E0%A4%A")).status).toBe(400);
  });
});

describe("misconfiguration fails closed", () => {
  it("a malformed BALLOT_ACCESS refuses to start (the Worker then answers 500 misconfigured)", () => {
    expect(() => serve({ ...scopedEnv, BALLOT_ACCESS: "[{" })).toThrow(/BALLOT_ACCESS is not JSON/);
    expect(() => serve({ ...scopedEnv, BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: DASHBOARD }]) })).toThrow(/sha256/);
    expect(() => serve({ ...scopedEnv, BALLOT_ADMIN_TOKENS: "short" })).toThrow(/BALLOT_ADMIN_TOKENS/);
  });

  it("one token in two grants: every request is 500 misconfigured, none served", async () => {
    const clash = serve({ ...scopedEnv, BALLOT_ADMIN_TOKENS: FULL });
    for (const token of [FULL, DASHBOARD, "nobody-0123456789abcdef"]) {
      const res = await clash(new Request(BASE + keyPath("k"), { headers: { authorization: `Bearer ${token}` } }));
      expect(res.status).toBe(500);
      const error = await errorOf(res);
      expect(error.code).toBe("misconfigured");
      expect(error.message).not.toContain(FULL);
    }
  });
});

describe("rate limits and the request log", () => {
  it("past a token's limit: 429 rate_limited with Retry-After, counted per grant name", async () => {
    const counts = new Map<string, number>();
    const limiter = {
      async limit({ key }: { key: string }) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return { success: (counts.get(key) ?? 0) <= 2 };
      },
    };
    const limited = serve({ ...scopedEnv, BALLOT_RATE_LIMIT: limiter as unknown as RateLimit, BALLOT_RATE_PERIOD_S: "60" });
    const get = (token: string) => limited(new Request(BASE + "/v1/health", { headers: { authorization: `Bearer ${token}` } }));
    expect((await get(DASHBOARD)).status).toBe(200);
    expect((await get(DASHBOARD)).status).toBe(200);
    const over = await get(DASHBOARD);
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("60");
    expect((await errorOf(over)).code).toBe("rate_limited");
    expect((await get(BILLING)).status).toBe(200);
    expect(Object.fromEntries(counts)).toEqual({ dashboard: 3, billing: 1 });
    // A refused or unauthenticated request is not counted against anyone.
    await limited(new Request(BASE + keyPath("x"), { method: "PUT", body: "x", headers: { authorization: `Bearer ${DASHBOARD}` } }));
    await limited(new Request(BASE + "/v1/health"));
    expect(counts.get("dashboard")).toBe(3);
  });

  it("the wrangler.toml binding is present and counts (miniflare runs it locally)", async () => {
    const binding = (env as unknown as Env).BALLOT_RATE_LIMIT;
    expect(binding).toBeDefined();
    expect(await binding!.limit({ key: `probe-${crypto.randomUUID()}` })).toMatchObject({ success: true });
  });

  it("every log line names the token's grant (never the token), refusals included", async () => {
    const lines: RequestLogLine[] = [];
    const inner = async () => new Response("ok");
    const logged = withRequestLog(withAuth(inner, { tokens: [FULL], access: JSON.parse(ACCESS).map((g: { sha256: string; name: string; read?: string[]; write?: string[]; admin?: boolean }) => ({ sha256: g.sha256, grant: { name: g.name, read: g.read ?? [], write: g.write ?? [], admin: g.admin ?? false } })), requireTokens: false }), routeTable(scopedEnv), (line) => lines.push(line));
    const send = (token: string | null, path: string, method = "GET") =>
      logged(new Request(BASE + path, { method, ...(token === null ? {} : { headers: { authorization: `Bearer ${token}` } }) }));
    await send(BILLING, keyPath("billing/a"));
    await send(DASHBOARD, keyPath("billing/a"), "DELETE");
    await send(null, keyPath("billing/a"));
    expect(lines.map((l) => [l.token, l.status, l.outcome])).toEqual([
      ["billing", 200, "ok"],
      ["dashboard", 403, "forbidden"],
      [undefined, 401, "unauthorized"],
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/token-0123456789/);
  });
});
