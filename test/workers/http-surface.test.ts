import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env.js";
import type { RequestLogLine } from "../../src/http/request-log.js";
import { serve } from "../../src/index.js";
import { BASE, call, freshKey, keyPath } from "./helpers.js";

// The HTTP surface as a client sees it, pinned exactly (statuses, error codes and messages, the set of headers) where
// the other tests pin only part of it: routing (404 vs 405 and Allow), HEAD and OPTIONS, the key path rules, every
// 400 of a malformed body or query, and the console's assets. Written against the hand-made router before the move
// to Hono (issue 18), so that the move changes nothing a client can see.

const JSON_TYPE = "application/json; charset=utf-8";

/** The response's header names, sorted: pins that nothing is added (no request id today) and nothing dropped. */
const headerNames = (res: Response) => [...res.headers.keys()].sort();

async function expectError(res: Response, status: number, code: string, message: string | RegExp, context = ""): Promise<void> {
  expect(res.status, context).toBe(status);
  expect(res.headers.get("content-type"), context).toBe(JSON_TYPE);
  expect(res.headers.get("cache-control"), context).toBe("no-store");
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code, context).toBe(code);
  if (typeof message === "string") expect(body.error.message, context).toBe(message);
  else expect(body.error.message, context).toMatch(message);
}

const withBody = (method: string) => ["POST", "PUT", "PATCH"].includes(method);

/** Every route with a sample path and the methods it serves, in the order `Allow` lists them (DEV_ADMIN is on). */
const ROUTES: readonly (readonly [string, string])[] = [
  ["/v1/keys/a", "GET, HEAD, PUT, DELETE"],
  ["/v1/keys/a/increment", "POST"],
  ["/v1/locks/a", "GET"],
  ["/v1/locks/a/acquire", "POST"],
  ["/v1/locks/a/renew", "POST"],
  ["/v1/locks/a/release", "POST"],
  ["/v1/admin/faults", "GET, POST, DELETE"],
  ["/v1/admin/keys/a", "GET"],
  ["/v1/admin/acceptors/0/restart", "POST"],
  ["/v1/admin/storage", "GET"],
  ["/v1/admin/collect", "POST"],
  ["/v1/health", "GET"],
  ["/v1/openapi.json", "GET"],
];

describe("routing: 404 and 405", () => {
  it("every route answers every method it does not serve (HEAD and OPTIONS included) with 405 and Allow", async () => {
    for (const [path, allow] of ROUTES) {
      for (const method of ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]) {
        if (allow.split(", ").includes(method)) continue;
        const context = `${method} ${path}`;
        const res = await call(path, { method, body: withBody(method) ? "{}" : undefined });
        expect(res.status, context).toBe(405);
        expect(res.headers.get("allow"), context).toBe(allow);
        expect(headerNames(res), context).toEqual(["allow", "cache-control", "content-type"]);
        if (method === "HEAD") expect(await res.text(), context).toBe("");
        else await expectError(res, 405, "method_not_allowed", `allowed: ${allow}`, context);
      }
    }
  });

  it("the method is checked before the key: a bad key with a wrong method is 405", async () => {
    for (const path of ["/v1/keys/%zz", "/v1/keys/", "/v1/keys//increment", "/v1/locks/%00/acquire"]) {
      const res = await call(path, { method: "PATCH", body: "x" });
      expect(res.status, path).toBe(405);
    }
  });

  it("paths no route has are 404 not_found naming the (still encoded) path", async () => {
    for (const path of ["/v1/nowhere", "/v1/keys/a/b", "/v1/keys/a/b/increment", "/v1/locks/a/b", "/v1/locks/a/steal",
      "/v1/locks", "/v1/health/", "/v1/openapi.json/", "/v1/openapi", "/v1/admin/storage/x", "/v1//keys/a",
      "/v1/keys/a%20b/x", "/console/x", "/console/app.js/"]) {
      for (const method of ["GET", "POST"]) {
        await expectError(await call(path, { method, body: method === "POST" ? "{}" : undefined }), 404, "not_found", `no route for ${path}`, `${method} ${path}`);
      }
    }
  });

  it("a 404 has JSON headers only, and a HEAD of an unknown path is 404 with no body", async () => {
    const res = await call("/v1/nowhere");
    expect(headerNames(res)).toEqual(["cache-control", "content-type"]);
    const head = await call("/v1/nowhere", { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe("");
  });

  it("dot segments are resolved before routing, and the query string never takes part", async () => {
    await expectError(await call("/v1/keys/x/../../nowhere"), 404, "not_found", "no route for /v1/nowhere");
    const key = freshKey("query");
    expect((await call(keyPath(key) + "?x=1&key=other", { method: "PUT", body: "q" })).status).toBe(201);
    expect(await (await call(keyPath(key))).text()).toBe("q");
    expect((await call("/v1/health?shard=0&unknown=1")).status).toBe(200);
  });

  it("the admin routes exist only under DEV_ADMIN: without it they are 404 like any unknown path", async () => {
    const app = serve({ ...(env as unknown as Env), DEV_ADMIN: "false", BALLOT_CLUSTER: "surface" });
    for (const [path] of ROUTES.filter(([p]) => p.startsWith("/v1/admin/"))) {
      for (const method of ["GET", "POST", "DELETE"]) {
        await expectError(await app(new Request(BASE + path, { method })), 404, "not_found", `no route for ${path}`, `${method} ${path}`);
      }
    }
    expect((await app(new Request(BASE + "/v1/health?shard=0"))).status).toBe(200);
  });
});

describe("key path rules", () => {
  const badKeys: readonly (readonly [string, string])[] = [
    ["", "the key is empty"],
    ["%zz", "the key is not valid percent-encoded UTF-8"],
    ["%", "the key is not valid percent-encoded UTF-8"],
    ["a%2", "the key is not valid percent-encoded UTF-8"],
    ["%ff", "the key is not valid percent-encoded UTF-8"],
    ["%ed%a0%80", "the key is not valid percent-encoded UTF-8"],
    ["%00", "the key contains a control character"],
    ["a%7Fb", "the key contains a control character"],
    ["%C2%85", "the key contains a control character"],
    ["k".repeat(513), "the key is 513 bytes; at most 512"],
    ["%C3%BC".repeat(257), "the key is 514 bytes; at most 512"],
    [".", "the key is empty"],
    ["%2e", "the key is empty"],
  ];

  it("every route with a key or lock name refuses the same bad segments with the same 400 invalid_key", async () => {
    const routes: readonly (readonly [string, string, string])[] = [
      ["GET", "/v1/keys/", ""],
      ["PUT", "/v1/keys/", ""],
      ["DELETE", "/v1/keys/", ""],
      ["POST", "/v1/keys/", "/increment"],
      ["GET", "/v1/locks/", ""],
      ["POST", "/v1/locks/", "/acquire"],
      ["POST", "/v1/locks/", "/renew"],
      ["POST", "/v1/locks/", "/release"],
      ["GET", "/v1/admin/keys/", ""],
    ];
    for (const [method, prefix, suffix] of routes) {
      for (const [segment, message] of badKeys) {
        // "." and "%2e" are dot segments: before a suffix they resolve to another path, so try them bare only.
        if (suffix !== "" && (segment === "." || segment === "%2e")) continue;
        const path = prefix + segment + suffix;
        const body = withBody(method) ? '{"owner":"o","ttlMs":1000,"token":1}' : undefined;
        await expectError(await call(path, { method, body }), 400, "invalid_key", message, `${method} ${path}`);
      }
    }
  });

  it("a bad key is refused before the body or the preconditions are looked at", async () => {
    await expectError(await call("/v1/keys/%zz", { method: "PUT", body: "x", headers: { "if-match": "junk" } }), 400, "invalid_key", /percent-encoded/);
    await expectError(await call("/v1/keys/%zz/increment", { method: "POST", body: "{" }), 400, "invalid_key", /percent-encoded/);
    await expectError(await call("/v1/locks/%zz/acquire", { method: "POST", body: "{" }), 400, "invalid_key", /percent-encoded/);
  });

  it("%2F stays inside the key on every route, and the key is decoded exactly once", async () => {
    const key = `a/b%41${freshKey("slash")}`;
    const path = keyPath(key);
    expect(path).toContain("%2F");
    expect(path).toContain("%2541");
    expect((await call(path, { method: "PUT", body: "1" })).status).toBe(201);
    expect(await (await call(keyPath(key, "/increment"), { method: "POST" })).json()).toEqual({ value: 2, version: 2 });
    const admin = (await (await call(`/v1/admin/keys/${encodeURIComponent(key)}`)).json()) as { key: string };
    expect(admin.key).toBe(key);
    expect((await call(keyPath(`a/bA${key.slice(6)}`))).status).toBe(404);
    const lock = `x/y${freshKey("lock")}`;
    expect((await call(`/v1/locks/${encodeURIComponent(lock)}/acquire`, { method: "POST", body: '{"owner":"o","ttlMs":60000}' })).status).toBe(200);
    expect(((await (await call(`/v1/locks/${encodeURIComponent(lock)}`)).json()) as { owner: string }).owner).toBe("o");
  });

  it("takes exactly 512 bytes, and a key may hold any non-control character", async () => {
    for (const key of ["k".repeat(512), `${"€".repeat(170)}ab`, `sp ace?#&=+${freshKey()}`]) {
      expect((await call(keyPath(key), { method: "PUT", body: "v" })).status, key).toBeLessThan(300);
      expect(await (await call(keyPath(key))).text()).toBe("v");
    }
  });
});

describe("400s of malformed bodies, headers and queries", () => {
  const post = (path: string, body: string | undefined, headers?: Record<string, string>) => call(path, { method: "POST", body, headers });

  it("increment: every malformed body, with its exact code and message", async () => {
    const path = keyPath(freshKey("inc"), "/increment");
    const safe = '"by" must be a safe integer';
    const json = 'the body must be JSON like {"by": 1}';
    for (const [body, code, message] of [
      ["{", "invalid_json", json],
      [" ", "invalid_json", json],
      ["{}x", "invalid_json", json],
      ["[]", "invalid_argument", safe],
      ["null", "invalid_argument", safe],
      ["{}", "invalid_argument", safe],
      ['{"by":"1"}', "invalid_argument", safe],
      ['{"by":1.5}', "invalid_argument", safe],
      ['{"by":1e300}', "invalid_argument", safe],
    ] as const) {
      await expectError(await post(path, body), 400, code, message, body);
    }
    // Any content type: the body is read as JSON whatever the client labels it (curl -d sends a form type).
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "application/json"]) {
      expect((await post(path, '{"by":2}', { "content-type": type })).status, type).toBe(200);
    }
    await expectError(await post(path, "x".repeat(1025)), 413, "payload_too_large", "the body exceeds the limit of 1024 bytes");
    await expectError(await post(path, "1", { "if-match": '"1"' }), 400, "invalid_precondition",
      "increment takes no If-Match or If-None-Match; use a PUT with If-Match for a compare-and-set");
  });

  it("locks: every malformed body, checked field by field in a fixed order", async () => {
    const name = encodeURIComponent(freshKey("lock"));
    const object = "the body must be a JSON object";
    const owner = '"owner" must be a string of 1 to 256 characters';
    const ttl = '"ttlMs" must be an integer from 100 to 86400000';
    const token = '"token" must be a positive integer';
    for (const [action, body, code, message] of [
      ["acquire", "", "invalid_json", object],
      ["acquire", "{", "invalid_json", object],
      ["acquire", "[]", "invalid_json", object],
      ["acquire", "null", "invalid_json", object],
      ["acquire", "7", "invalid_json", object],
      ["acquire", "{}", "invalid_argument", owner],
      ["acquire", '{"owner":"","ttlMs":1000}', "invalid_argument", owner],
      ["acquire", `{"owner":"${"o".repeat(257)}","ttlMs":1000}`, "invalid_argument", owner],
      ["acquire", '{"owner":1,"ttlMs":"x"}', "invalid_argument", owner],
      ["acquire", '{"owner":"o"}', "invalid_argument", ttl],
      ["acquire", '{"owner":"o","ttlMs":99}', "invalid_argument", ttl],
      ["acquire", '{"owner":"o","ttlMs":86400001}', "invalid_argument", ttl],
      ["acquire", '{"owner":"o","ttlMs":100.5}', "invalid_argument", ttl],
      ["acquire", '{"owner":"o","ttlMs":"1000"}', "invalid_argument", ttl],
      ["renew", '{"owner":"o","ttlMs":1}', "invalid_argument", token],
      ["renew", '{"owner":"o","token":0,"ttlMs":1}', "invalid_argument", token],
      ["renew", '{"owner":"o","token":1.5,"ttlMs":1000}', "invalid_argument", token],
      ["renew", '{"owner":"o","token":1,"ttlMs":1}', "invalid_argument", ttl],
      ["release", '{"owner":"o"}', "invalid_argument", token],
      ["release", '{"owner":"o","token":-1}', "invalid_argument", token],
      ["release", '{"token":1}', "invalid_argument", owner],
    ] as const) {
      await expectError(await post(`/v1/locks/${name}/${action}`, body), 400, code, message, `${action} ${body}`);
    }
    await expectError(await post(`/v1/locks/${name}/acquire`, "x".repeat(4097)), 413, "payload_too_large", "the body exceeds the limit of 4096 bytes");
    // Unknown fields are ignored, and any content type is read as JSON.
    const ok = await post(`/v1/locks/${name}/acquire`, '{"owner":"o","ttlMs":1000,"extra":true}', { "content-type": "text/plain" });
    expect(ok.status).toBe(200);
    expect(headerNames(ok)).toEqual(["cache-control", "content-type", "server-timing"]);
  });

  it("health: the shard query, exactly", async () => {
    const message = "shard must be an integer from 0 to 15";
    for (const query of ["shard=16", "shard=", "shard=-1", "shard=x", "shard=1.0", "shard=99999", "shard=%201"]) {
      await expectError(await call(`/v1/health?${query}`), 400, "invalid_argument", message, query);
    }
    for (const [query, shards] of [["shard=01", [1]], ["shard=15", [15]], ["shard=2&shard=x", [2]]] as const) {
      const res = await call(`/v1/health?${query}`);
      expect(res.status, query).toBe(200);
      expect(((await res.json()) as { shards: { shard: number }[] }).shards.map((s) => s.shard), query).toEqual(shards);
    }
  });

  it("admin faults: every malformed body, with its exact message", async () => {
    for (const [body, code, message] of [
      ["{", "invalid_json", 'the body must be JSON like {"acceptor": 0, "mode": "down"}'],
      ["", "invalid_json", 'the body must be JSON like {"acceptor": 0, "mode": "down"}'],
      ["[]", "invalid_argument", "the body must be a JSON object"],
      ['{"acceptor":0,"mode":"down","x":1}', "invalid_argument", 'unknown field "x"'],
      ['{"acceptor":3,"mode":"down"}', "invalid_argument", '"acceptor" must be an integer from 0 to 2'],
      ['{"acceptor":0.5,"mode":"down"}', "invalid_argument", '"acceptor" must be an integer from 0 to 2'],
      ['{"acceptor":0,"mode":"gone"}', "invalid_argument", '"mode" must be one of none, down, slow, hang, flaky'],
      ['{"acceptor":0,"mode":"down","ms":5}', "invalid_argument", '"ms" applies to mode "slow" only'],
      ['{"acceptor":0,"mode":"down","rate":0.5}', "invalid_argument", '"rate" applies to mode "flaky" only'],
      ['{"acceptor":0,"mode":"slow"}', "invalid_argument", 'mode "slow" needs "ms", an integer from 0 to 600000'],
      ['{"acceptor":0,"mode":"slow","ms":600001}', "invalid_argument", 'mode "slow" needs "ms", an integer from 0 to 600000'],
      ['{"acceptor":0,"mode":"flaky","rate":2}', "invalid_argument", 'mode "flaky" needs "rate", a number from 0 to 1'],
    ] as const) {
      await expectError(await post("/v1/admin/faults", body), 400, code, message, body);
    }
    await expectError(await post("/v1/admin/faults", "x".repeat(1025)), 413, "payload_too_large", "the body exceeds the limit of 1024 bytes");
  });

  it("admin: an acceptor index that does not exist is 404", async () => {
    for (const index of ["3", "x", "01", "-1"]) {
      await expectError(await post(`/v1/admin/acceptors/${index}/restart`, undefined), 404, "not_found",
        `no acceptor ${JSON.stringify(index)}; acceptors are 0 to 2`, index);
    }
  });
});

describe("headers on success and on error", () => {
  it("key routes: the exact header set of each answer", async () => {
    const key = freshKey("headers");
    const created = await call(keyPath(key), { method: "PUT", body: "v", headers: { "content-type": "text/plain" } });
    expect(created.status).toBe(201);
    expect(headerNames(created)).toEqual(["cache-control", "content-type", "etag", "server-timing"]);
    expect(created.headers.get("content-type")).toBe(JSON_TYPE);
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.headers.get("server-timing")).toMatch(/^rounds;desc="\d+"/);

    const got = await call(keyPath(key));
    expect(headerNames(got)).toEqual(["cache-control", "content-length", "content-type", "etag", "server-timing"]);
    expect(got.headers.get("content-type")).toBe("text/plain");
    expect(got.headers.get("content-length")).toBe("1");

    const head = await call(keyPath(key), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(headerNames(head)).toEqual(["cache-control", "content-length", "content-type", "etag", "server-timing"]);
    expect(head.headers.get("content-length")).toBe("1");
    expect(await head.text()).toBe("");

    const notModified = await call(keyPath(key), { headers: { "if-none-match": '"1"' } });
    expect(notModified.status).toBe(304);
    expect(headerNames(notModified)).toEqual(["cache-control", "etag", "server-timing"]);

    const refused = await call(keyPath(key), { method: "PUT", body: "w", headers: { "if-match": '"7"' } });
    expect(headerNames(refused)).toEqual(["cache-control", "content-type", "etag", "server-timing"]);
    expect(await refused.json()).toEqual({ error: { code: "precondition_failed", message: "the key is at version 1", currentVersion: 1 } });

    const incremented = await call(keyPath(freshKey("n"), "/increment"), { method: "POST" });
    expect(headerNames(incremented)).toEqual(["cache-control", "content-type", "etag", "server-timing"]);

    const deleted = await call(keyPath(key), { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(headerNames(deleted)).toEqual(["server-timing"]);

    const missing = await call(keyPath(key));
    expect(headerNames(missing)).toEqual(["cache-control", "content-type", "server-timing"]);
    await expectError(missing, 404, "not_found", "no such key");
    const headMissing = await call(keyPath(key), { method: "HEAD" });
    expect(headMissing.status).toBe(404);
    expect(await headMissing.text()).toBe("");

    const absent = await call(keyPath(freshKey("absent")), { method: "PUT", body: "w", headers: { "if-match": '"1"' } });
    expect(headerNames(absent)).toEqual(["cache-control", "content-type", "server-timing"]);
    expect(await absent.json()).toEqual({ error: { code: "precondition_failed", message: "the key does not exist", currentVersion: null } });

    const bad = await call(keyPath(key), { method: "PUT", body: "w", headers: { "if-match": "junk" } });
    expect(headerNames(bad)).toEqual(["cache-control", "content-type"]);
    await expectError(bad, 400, "invalid_precondition", 'If-Match must be one entity tag "<version>" (or *), got "junk"');
  });

  it("lock, health and OpenAPI routes: the exact header set of each answer", async () => {
    const name = encodeURIComponent(freshKey("lock-h"));
    const free = await call(`/v1/locks/${name}`);
    expect(headerNames(free)).toEqual(["cache-control", "content-type", "server-timing"]);
    await expectError(free, 404, "not_found", "the lock is free");
    const acquired = await call(`/v1/locks/${name}/acquire`, { method: "POST", body: '{"owner":"a","ttlMs":60000}' });
    expect(headerNames(acquired)).toEqual(["cache-control", "content-type", "server-timing"]);
    const { token } = (await acquired.json()) as { token: number };
    const held = await call(`/v1/locks/${name}/acquire`, { method: "POST", body: '{"owner":"b","ttlMs":60000}' });
    expect(held.status).toBe(409);
    expect(headerNames(held)).toEqual(["cache-control", "content-type", "server-timing"]);
    expect(await held.json()).toMatchObject({ error: { code: "lock_held", message: "the lock is held by another owner" }, holder: { owner: "a" } });
    const released = await call(`/v1/locks/${name}/release`, { method: "POST", body: JSON.stringify({ owner: "a", token }) });
    expect(released.status).toBe(204);
    expect(headerNames(released)).toEqual(["server-timing"]);

    const health = await call("/v1/health?shard=0");
    expect(headerNames(health)).toEqual(["cache-control", "content-type"]);
    expect(health.headers.get("content-type")).toBe(JSON_TYPE);

    const doc = await call("/v1/openapi.json");
    expect(headerNames(doc)).toEqual(["cache-control", "content-type"]);
    expect(doc.headers.get("cache-control")).toBe("public, max-age=300");
    expect(doc.headers.get("content-type")).toBe(JSON_TYPE);
  });

  it("admin routes answer JSON with no-store", async () => {
    for (const [method, path] of [["GET", "/v1/admin/faults"], ["DELETE", "/v1/admin/faults"], ["GET", "/v1/admin/storage"], ["GET", "/v1/admin/keys/a"]]) {
      const res = await call(path!, { method });
      expect(res.status, path).toBe(200);
      expect(headerNames(res), path).toEqual(["cache-control", "content-type"]);
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("a deployment without its tokens is 500 misconfigured, with the same JSON headers", async () => {
    const closed = serve({ ...(env as unknown as Env), BALLOT_REQUIRE_TOKENS: "true", BALLOT_TOKENS: "" });
    const res = await closed(new Request(BASE + "/v1/keys/a"));
    expect(headerNames(res)).toEqual(["cache-control", "content-type"]);
    await expectError(res, 500, "misconfigured", "this deployment requires bearer tokens and has none: set the BALLOT_TOKENS secret");
  });
});

describe("bearer auth around every route", () => {
  const TOKEN = "surface-token-0123456789";
  const app = serve({ ...(env as unknown as Env), BALLOT_TOKENS: TOKEN, BALLOT_CLUSTER: "surface-auth" });
  const at = (path: string, init?: RequestInit) => app(new Request(BASE + path, init));

  it("401 comes before routing: an unknown path or a wrong method is 401 without a token, 404/405 with one", async () => {
    for (const [method, path, status] of [["GET", "/v1/nowhere", 404], ["PATCH", "/v1/keys/a", 405], ["GET", "/v1/keys/%zz", 400]] as const) {
      const anonymous = await at(path, { method, body: method === "PATCH" ? "x" : undefined });
      expect(headerNames(anonymous)).toEqual(["cache-control", "content-type", "www-authenticate"]);
      await expectError(anonymous, 401, "unauthorized", "send Authorization: Bearer <token>");
      const authed = await at(path, { method, body: method === "PATCH" ? "x" : undefined, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(authed.status, `${method} ${path}`).toBe(status);
    }
    await expectError(await at("/v1/keys/a", { headers: { authorization: "Bearer wrong-token-0123456789" } }), 401, "unauthorized", "the bearer token is not valid");
  });
});

describe("console assets", () => {
  it("are served before auth and routing, GET and HEAD, with their types; other methods are 405", async () => {
    const app = serve({ ...(env as unknown as Env), BALLOT_TOKENS: "surface-token-0123456789" });
    expect((await app(new Request(BASE + "/console"))).status).toBe(401); // serve() is the API; assets come before it
    for (const [path, type] of [["/console", "text/html"], ["/console/", "text/html"], ["/console/app.js", "text/javascript"],
      ["/console/app.css", "text/css"], ["/console?tab=1", "text/html"]] as const) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe(`${type}; charset=utf-8`);
      expect(headerNames(res), path).toEqual(["cache-control", "content-security-policy", "content-type", "referrer-policy",
        "x-content-type-options", "x-frame-options"]);
      const head = await call(path, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
        const refused = await call(path, { method, body: withBody(method) ? "x" : undefined });
        expect(refused.headers.get("allow")).toBe("GET, HEAD");
        await expectError(refused, 405, "method_not_allowed", "allowed: GET, HEAD", `${method} ${path}`);
      }
    }
  });
});

describe("the request log behind the surface", () => {
  it("logs the error code of a HEAD answer too, though HEAD answers carry no body", async () => {
    await new Promise((resolve) => setTimeout(resolve, 20)); // earlier requests' lines go out first
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const app = serve({ ...(env as unknown as Env), BALLOT_CLUSTER: "surface-log" });
      expect((await app(new Request(BASE + keyPath(freshKey("absent")), { method: "HEAD" }))).status).toBe(404);
      expect((await app(new Request(BASE + "/v1/health", { method: "HEAD" }))).status).toBe(405);
      await vi.waitFor(() => expect(lines).toHaveLength(2));
      const [missing, refused] = lines.map((l) => JSON.parse(l) as RequestLogLine);
      expect(missing).toMatchObject({ method: "HEAD", route: "/v1/keys/:key", status: 404, outcome: "not_found" });
      expect(refused).toMatchObject({ method: "HEAD", route: "/v1/health", status: 405, outcome: "method_not_allowed" });
    } finally {
      spy.mockRestore();
    }
  });
});
