import { describe, expect, it } from "vitest";
import { adminView, appWithAdmin, worker, req } from "./admin-helpers.js";
import { call, errorOf, freshKey, keyPath } from "./helpers.js";

// Malformed input that test/workers/http-contract.test.ts does not already cover. Every case answers a 4xx JSON
// error and changes nothing: the raw slots of the target key on every acceptor (ballots included) stay identical.

/** A key written once, with all three acceptors holding the same accepted state, and its raw admin view. */
async function settledKey(value = "orig"): Promise<{ key: string; snapshot: string }> {
  const key = freshKey("bad");
  expect((await call(keyPath(key), { method: "PUT", body: value })).status).toBe(201);
  // The third accept may still be in flight after the answer: wait until every acceptor holds the state.
  for (let i = 0; ; i++) {
    const view = await adminView(worker, key);
    if (view.every((v) => v.version === 1 && v.accepted === view[0]?.accepted)) break;
    if (i > 50) throw new Error(`acceptors never settled: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { key, snapshot: JSON.stringify(await adminView(worker, key)) };
}

async function unchanged(key: string, snapshot: string, value = "orig"): Promise<void> {
  expect(JSON.stringify(await adminView(worker, key))).toBe(snapshot);
  const res = await call(keyPath(key));
  expect(res.headers.get("etag")).toBe('"1"');
  expect(await res.text()).toBe(value);
  expect(JSON.stringify(await adminView(worker, key))).toBe(snapshot);
}

async function expectError(res: Response, status: number, code?: string, context = ""): Promise<void> {
  expect(res.status, context).toBe(status);
  const error = await errorOf(res);
  if (code !== undefined) expect(error.code, context).toBe(code);
}

/** A body that never ends: 64 KiB chunks for as long as anyone reads. Counts what was pulled. */
function endless(chunk = 65_536): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk;
      controller.enqueue(new Uint8Array(chunk).fill(0x31));
    },
  });
  return { stream, pulled: () => pulled };
}

describe("bodies", () => {
  it("a chunked PUT body that never ends gets 413 once past the limit, read no further", async () => {
    const { key, snapshot } = await settledKey();
    const body = endless();
    const res = await call(keyPath(key), { method: "PUT", body: body.stream, duplex: "half" } as RequestInit);
    await expectError(res, 413, "payload_too_large");
    // The limit is 1 MiB: reading stopped within a few chunks past it.
    expect(body.pulled()).toBeLessThan((1 << 20) + 8 * 65_536);
    await unchanged(key, snapshot);
  });

  it("an increment body that never ends gets 413 past its 1 KiB limit", async () => {
    const { key, snapshot } = await settledKey("5");
    const body = endless(256);
    const res = await call(keyPath(key, "/increment"), { method: "POST", body: body.stream, duplex: "half" } as RequestInit);
    await expectError(res, 413, "payload_too_large");
    expect(body.pulled()).toBeLessThan(1024 + 64 * 256);
    await unchanged(key, snapshot, "5");
  });

  it("a lying or malformed Content-Length is 400 (or 413 when it claims too much), on PUT and increment", async () => {
    const { key, snapshot } = await settledKey("7");
    for (const [length, body, status, code] of [
      ["3", "hello world", 400, "invalid_body"],
      ["100", "hello", 400, "invalid_body"],
      ["5", "", 400, "invalid_body"],
      ["abc", "x", 400, "invalid_header"],
      ["-1", "x", 400, "invalid_header"],
      ["1e3", "x", 400, "invalid_header"],
      ["9999999999999999999", "x", 400, "invalid_header"],
      [String((1 << 20) + 1), "x", 413, "payload_too_large"],
    ] as const) {
      for (const path of [keyPath(key), keyPath(key, "/increment")]) {
        const method = path.endsWith("/increment") ? "POST" : "PUT";
        const res = await call(path, { method, body, headers: { "content-length": length } });
        // A declared length above the increment limit (1 KiB) is 413 there too.
        const expected = method === "POST" && status === 400 && code === "invalid_body" && Number(length) > 1024 ? 413 : status;
        expect([expected, 400, 413], `${method} content-length ${length}`).toContain(res.status);
        expect(res.status, `${method} content-length ${length}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        await errorOf(res);
      }
    }
    await unchanged(key, snapshot, "7");
  });

  it("malformed increment bodies: invalid UTF-8, non-finite, out of range, trailing garbage, oversized", async () => {
    const { key, snapshot } = await settledKey("1");
    const cases: [BodyInit, number, string][] = [
      [new Uint8Array([0x7b, 0x22, 0x62, 0x79, 0x22, 0x3a, 0xff, 0x7d]), 400, "invalid_json"],
      ['{"by":1e400}', 400, "invalid_argument"],
      ['{"by":-9007199254740992}', 400, "invalid_argument"],
      ['{"by":9007199254740992}', 400, "invalid_argument"],
      ['{"by":1}x', 400, "invalid_json"],
      ['{"by":true}', 400, "invalid_argument"],
      ['{"by":null}', 400, "invalid_argument"],
      ['{"by":[1]}', 400, "invalid_argument"],
      ['"1"', 400, "invalid_argument"],
      ["1", 400, "invalid_argument"],
      [" ", 400, "invalid_json"],
      [`{"by":1,"pad":"${"x".repeat(1100)}"}`, 413, "payload_too_large"],
    ];
    for (const [body, status, code] of cases) {
      await expectError(await call(keyPath(key, "/increment"), { method: "POST", body }), status, code, String(body).slice(0, 40));
    }
    await unchanged(key, snapshot, "1");
  });
});

describe("keys", () => {
  const bad = [
    ["171 three-byte characters (513 bytes)", "%E2%82%AC".repeat(171)],
    ["C1 control U+0085", "a%C2%85b"],
    ["DEL", "a%7Fb"],
    ["tab", "a%09b"],
    ["overlong UTF-8 for /", "%C0%AF"],
    ["truncated UTF-8", "ab%E2%82"],
    ["lone %", "a%"],
    ["half escape", "a%2"],
    ["UTF-8 of a surrogate", "%ED%B0%80"],
    ["byte above F4", "%F8%88%80%80%80"],
  ] as const;

  it("every key route refuses the same malformed keys with 400 invalid_key, and changes nothing", async () => {
    const { key, snapshot } = await settledKey();
    for (const [what, segment] of bad) {
      for (const [method, suffix, body] of [
        ["GET", "", undefined],
        ["HEAD", "", undefined],
        ["PUT", "", "x"],
        ["DELETE", "", undefined],
        ["POST", "/increment", undefined],
      ] as const) {
        const res = await call(`/v1/keys/${segment}${suffix}`, { method, body });
        expect(res.status, `${method} ${what}`).toBe(400);
        if (method !== "HEAD") expect((await errorOf(res)).code, `${method} ${what}`).toBe("invalid_key");
      }
      await expectError(await worker(req(`/v1/admin/keys/${segment}`)), 400, "invalid_key", what);
    }
    await unchanged(key, snapshot);
  });

  it("a percent-encoded dot segment is resolved by URL parsing first: an empty key, or another route", async () => {
    await expectError(await call("/v1/keys/%2e", { method: "PUT", body: "x" }), 400, "invalid_key");
    await expectError(await call("/v1/keys/%2E%2E", { method: "PUT", body: "x" }), 404, "not_found");
    // "/v1/keys/%2e/increment" is "/v1/keys/increment": the key route, which takes no POST.
    await expectError(await call("/v1/keys/%2e/increment", { method: "POST" }), 405, "method_not_allowed");
  });

  it("takes 512 bytes of multi-byte characters", async () => {
    const key = "€".repeat(170) + "ab";
    expect(new TextEncoder().encode(key).length).toBe(512);
    expect((await call(keyPath(key), { method: "PUT", body: "ok" })).status).toBeLessThan(300);
    expect(await (await call(keyPath(key))).text()).toBe("ok");
  });
});

describe("preconditions", () => {
  it("malformed If-Match / If-None-Match on DELETE, and weak tags on writes, are 400 and change nothing", async () => {
    const { key, snapshot } = await settledKey();
    for (const [method, headers] of [
      ["DELETE", { "if-match": "1" }],
      ["DELETE", { "if-match": '"1' }],
      ["DELETE", { "if-match": '"1", "2"' }],
      ["DELETE", { "if-match": 'W/"1"' }],
      ["DELETE", { "if-none-match": "*" }],
      ["DELETE", { "if-none-match": '"1"' }],
      ["DELETE", { "if-match": '"1"', "if-none-match": "*" }],
      ["PUT", { "if-match": 'W/"1"' }],
      ["PUT", { "if-match": '"0x1"' }],
      ["PUT", { "if-match": '"1.0"' }],
      ["PUT", { "if-match": '" 1"' }],
      ["PUT", { "if-none-match": "**" }],
    ] as const) {
      const res = await call(keyPath(key), { method, body: method === "PUT" ? "x" : undefined, headers });
      await expectError(res, 400, "invalid_precondition", `${method} ${JSON.stringify(headers)}`);
    }
    await unchanged(key, snapshot);
  });

  it("an empty If-Match is 400 in the app (the runtime drops empty header values before the Worker sees them)", async () => {
    // Through exports.default.fetch and through wrangler dev over HTTP, an empty If-Match never reaches the Worker:
    // the DELETE or PUT is then unconditional. The app itself refuses it when it does arrive.
    const { app } = appWithAdmin({});
    for (const [method, headers] of [
      ["DELETE", { "if-match": "" }],
      ["PUT", { "if-match": "" }],
      ["PUT", { "if-none-match": "" }],
    ] as const) {
      const res = await app(req(keyPath(freshKey("empty")), { method, body: method === "PUT" ? "x" : undefined, headers }));
      await expectError(res, 400, "invalid_precondition", `${method} ${JSON.stringify(headers)}`);
    }
  });

  it("malformed If-None-Match on GET is 400; a stale one answers the value; a list naming the current one is 304", async () => {
    const { key, snapshot } = await settledKey();
    for (const header of ['"1', "1", '"a"', 'W/"x"', '"1",, "2"']) {
      await expectError(await call(keyPath(key), { headers: { "if-none-match": header } }), 400, "invalid_precondition", header);
    }
    const stale = await call(keyPath(key), { headers: { "if-none-match": '"7"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe("orig");
    expect((await call(keyPath(key), { headers: { "if-none-match": '"7", W/"1"' } })).status).toBe(304);
    await unchanged(key, snapshot);
  });

  it("increment refuses If-Match / If-None-Match (it has no conditional form) instead of ignoring them", async () => {
    const { key, snapshot } = await settledKey("3");
    for (const headers of <Record<string, string>[]>[{ "if-match": '"1"' }, { "if-match": '"2"' }, { "if-match": "*" }, { "if-none-match": "*" }]) {
      const res = await call(keyPath(key, "/increment"), { method: "POST", body: '{"by":1}', headers });
      await expectError(res, 400, "invalid_precondition", JSON.stringify(headers));
    }
    await unchanged(key, snapshot, "3");
  });

  it("a stale If-Match on DELETE is 412 with the current version, and the key stays", async () => {
    const key = freshKey("stale-del");
    await call(keyPath(key), { method: "PUT", body: "a" });
    await call(keyPath(key), { method: "PUT", body: "b" });
    const res = await call(keyPath(key), { method: "DELETE", headers: { "if-match": '"1"' } });
    expect(res.status).toBe(412);
    expect((await errorOf(res)).currentVersion).toBe(2);
    const after = await call(keyPath(key));
    expect(after.headers.get("etag")).toBe('"2"');
    expect(await after.text()).toBe("b");
  });
});

describe("routes", () => {
  it("unknown paths are 404 and unknown methods 405 with Allow, all JSON, on key and admin routes", async () => {
    // (GET /v1/keys is the key listing since issue 20; test/workers/list.test.ts.)
    for (const path of ["/", "/v1", "/v1/keys/a/", "/v1/keys/a/increment/x", "/V1/keys/a", "//v1/keys/a",
      "/v1/keys/a/decrement", "/v1/admin", "/v1/admin/keys", "/v1/admin/faults/0", "/v1/admin/acceptors/0"]) {
      await expectError(await call(path), 404, "not_found", path);
    }
    for (const [method, path, allow] of [
      ["OPTIONS", "/v1/keys/a", "GET, HEAD, PUT, DELETE"],
      ["PUT", "/v1/keys", "GET"],
      ["POST", "/v1/keys/a", "GET, HEAD, PUT, DELETE"],
      ["HEAD", "/v1/keys/a/increment", "POST"],
      ["PUT", "/v1/keys/a/increment", "POST"],
      ["PATCH", "/v1/admin/faults", "GET, POST, DELETE"],
      ["DELETE", "/v1/admin/keys/a", "GET"],
      ["GET", "/v1/admin/acceptors/0/restart", "POST"],
    ] as const) {
      const res = await call(path, { method, body: method === "POST" || method === "PUT" || method === "PATCH" ? "x" : undefined });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      if (method !== "HEAD") expect((await errorOf(res)).code).toBe("method_not_allowed");
    }
  });
});
