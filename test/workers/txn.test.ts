import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Env } from "../../src/env.js";
import { placeIntent } from "../../src/core/txn/intent-changes.js";
import { commitRecord, parseRecord, recordKey } from "../../src/core/txn/record.js";
import type { TxnRequest } from "../../src/core/txn/request.js";
import type { RequestLogLine } from "../../src/http/request-log.js";
import { txnBodyLimit, txnKeyValueLimit } from "../../src/http/txn.js";
import { serve } from "../../src/index.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { clearFaults, setFault, worker } from "./admin-helpers.js";
import { BASE, call, errorOf, freshKey, keyPath } from "./helpers.js";

// POST /v1/txn (issue 23; src/http/txn.ts) through the real Worker and acceptor objects, and its scopes (issue 22).

type App = (request: Request) => Promise<Response>;
interface Result {
  key: string;
  version: number;
  contentType?: string;
  value?: string | null;
  valueBase64?: string;
}
interface Answer {
  succeeded: boolean;
  results: Result[];
}

const baseEnv = env as unknown as Env;
const main: App = (request) => call(new URL(request.url).pathname + new URL(request.url).search, request);
const txn = (body: unknown, app: App = main, headers: Record<string, string> = {}) =>
  app(new Request(`${BASE}/v1/txn`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers }));

async function ok(res: Response): Promise<Answer> {
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("x-ballot-txn")).toMatch(/^[0-9a-f]{32}$/);
  // The whole call; a transaction that placed intents also its two steps (an atomic read by double collect has none).
  expect(res.headers.get("server-timing")).toMatch(/^txn;dur=\d+(, place;dur=\d+, commit;dur=\d+)?$/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return (await res.json()) as Answer;
}

async function put(key: string, value: string, contentType = "text/plain", app: App = main): Promise<number> {
  const res = await app(new Request(BASE + keyPath(key), { method: "PUT", body: value, headers: { "content-type": contentType } }));
  expect([200, 201], await res.clone().text()).toContain(res.status);
  return ((await res.json()) as { version: number }).version;
}

/** What a plain GET says of a key: [status, ETag, content type, body]. */
async function seen(key: string, app: App = main): Promise<[number, string | null, string | null, string]> {
  const res = await app(new Request(BASE + keyPath(key)));
  return [res.status, res.headers.get("etag"), res.status === 200 ? res.headers.get("content-type") : null, res.status === 200 ? new TextDecoder().decode(await res.arrayBuffer()) : ""];
}

const text = (s: string) => new TextEncoder().encode(s);
const b64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

describe("POST /v1/txn: branches, comparisons, results", () => {
  it("success branch with every comparison kind: put, increment, delete, get results; plain GETs see them, one version more per written key", async () => {
    const [a, counter, gone, fresh, reader] = [freshKey("tx-a"), freshKey("tx-n"), freshKey("tx-d"), freshKey("tx-f"), freshKey("tx-r")];
    expect(await put(a, "one")).toBe(1);
    expect(await put(a, "two")).toBe(2);
    expect(await put(counter, "10")).toBe(1);
    expect(await put(gone, "bye")).toBe(1);
    expect(await put(reader, "{\"x\":1}", "application/json")).toBe(1);
    const res = await txn({
      compare: [
        { key: a, version: 2 },
        { key: a, value: "two" },
        { key: counter, exists: true },
        { key: counter, valueBase64: b64(text("10")) },
        { key: fresh, exists: false },
        { key: fresh, version: 0 },
      ],
      success: [
        { op: "put", key: a, value: "three", contentType: "text/x-note" },
        { op: "increment", key: counter, by: 5 },
        { op: "delete", key: gone },
        { op: "put", key: fresh, valueBase64: b64(new Uint8Array([0, 1, 2, 255])) },
        { op: "get", key: reader },
      ],
      failure: [{ op: "put", key: a, value: "wrong" }],
    });
    const answer = await ok(res);
    // A written transaction names its two steps: placing the intents, then the commit.
    expect(res.headers.get("server-timing")).toMatch(/^txn;dur=\d+, place;dur=\d+, commit;dur=\d+$/);
    expect(answer).toEqual({
      succeeded: true,
      results: [
        { key: a, version: 3, contentType: "text/x-note", value: "three" },
        { key: counter, version: 2, contentType: "text/plain; charset=utf-8", value: "15" },
        { key: gone, version: 2, value: null },
        { key: fresh, version: 1, contentType: "application/octet-stream", valueBase64: "AAEC/w==" },
        { key: reader, version: 1, contentType: "application/json", value: '{"x":1}' },
      ],
    });
    expect(await seen(a)).toEqual([200, '"3"', "text/x-note", "three"]);
    expect(await seen(counter)).toEqual([200, '"2"', "text/plain; charset=utf-8", "15"]);
    expect((await seen(gone)).slice(0, 2)).toEqual([404, null]);
    const blocking = await call(`${keyPath(gone)}?wait=1&timeout=1`);
    expect([blocking.status, blocking.headers.get("x-ballot-version")]).toEqual([404, "2"]);
    const got = await call(keyPath(fresh));
    expect([got.status, got.headers.get("etag"), got.headers.get("content-type")]).toEqual([200, '"1"', "application/octet-stream"]);
    expect([...new Uint8Array(await got.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    expect(await seen(reader)).toEqual([200, '"1"', "application/json", '{"x":1}']);
    // Later single-key operations go on from the transaction's versions.
    expect(await put(a, "four")).toBe(4);
    const inc = await call(keyPath(counter, "/increment"), { method: "POST" });
    expect(await inc.json()).toEqual({ value: 16, version: 3 });
  });

  it("each comparison kind that fails runs the failure branch, and only it", async () => {
    const failing = (k: string) => [
      { key: k, version: 2 },
      { key: k, value: "other" },
      { key: k, valueBase64: b64(text("other")) },
      { key: k, exists: false },
      { key: k, version: 0 },
    ];
    for (const compare of failing("K")) {
      const [k, side, touched] = [freshKey("tx-c"), freshKey("tx-s"), freshKey("tx-t")];
      expect(await put(k, "v")).toBe(1);
      expect(await put(side, "7")).toBe(1);
      const answer = await ok(
        await txn({
          compare: [{ ...compare, key: k }, { key: side, exists: true }],
          success: [{ op: "put", key: k, value: "success" }, { op: "delete", key: side }],
          failure: [{ op: "get", key: k }, { op: "increment", key: side, by: -8 }, { op: "put", key: touched, value: "failed", contentType: "text/plain" }],
        }),
      );
      expect(answer, JSON.stringify(compare)).toEqual({
        succeeded: false,
        results: [
          { key: k, version: 1, contentType: "text/plain", value: "v" },
          { key: side, version: 2, contentType: "text/plain; charset=utf-8", value: "-1" },
          { key: touched, version: 1, contentType: "text/plain", value: "failed" },
        ],
      });
      expect(await seen(k)).toEqual([200, '"1"', "text/plain", "v"]);
      expect(await seen(side)).toEqual([200, '"2"', "text/plain; charset=utf-8", "-1"]);
      expect(await seen(touched)).toEqual([200, '"1"', "text/plain", "failed"]);
    }
  });

  it("an absent or deleted key compares as version 0 and exists false, never by value; a get or delete of it answers its version and null", async () => {
    const [absent, deleted] = [freshKey("tx-abs"), freshKey("tx-del")];
    expect(await put(deleted, "x")).toBe(1);
    expect((await call(keyPath(deleted), { method: "DELETE" })).status).toBe(204);
    const holds = async (compare: object) => (await ok(await txn({ compare: [compare], success: [{ op: "get", key: absent }, { op: "get", key: deleted }] }))).succeeded;
    for (const key of [absent, deleted]) {
      expect(await holds({ key, version: 0 })).toBe(true);
      expect(await holds({ key, exists: false })).toBe(true);
      expect(await holds({ key, exists: true })).toBe(false);
      expect(await holds({ key, value: "" })).toBe(false);
      expect(await holds({ key, version: 2 })).toBe(false);
    }
    const answer = await ok(await txn({ success: [{ op: "delete", key: absent }, { op: "delete", key: deleted }] }));
    expect(answer).toEqual({ succeeded: true, results: [{ key: absent, version: 0, value: null }, { key: deleted, version: 2, value: null }] });
    // Deleting nothing changed nothing: the next write is version 1 (or 3 after the delete).
    expect(await put(absent, "now")).toBe(1);
    expect(await put(deleted, "again")).toBe(3);
  });

  it("a transaction of gets only is an atomic multi-key read: the branch by its comparisons, nothing written", async () => {
    const keys = [freshKey("tx-r1"), freshKey("tx-r2"), freshKey("tx-r3")];
    await put(keys[0]!, "a");
    await put(keys[1]!, "b");
    await put(keys[1]!, "b2");
    const read = await ok(await txn({ compare: [{ key: keys[1]!, version: 2 }], success: keys.map((key) => ({ op: "get", key })), failure: [{ op: "get", key: keys[0]! }] }));
    expect(read).toEqual({
      succeeded: true,
      results: [
        { key: keys[0], version: 1, contentType: "text/plain", value: "a" },
        { key: keys[1], version: 2, contentType: "text/plain", value: "b2" },
        { key: keys[2], version: 0, value: null },
      ],
    });
    const other = await ok(await txn({ compare: [{ key: keys[1]!, version: 1 }], success: keys.map((key) => ({ op: "get", key })), failure: [{ op: "get", key: keys[0]! }] }));
    expect(other).toEqual({ succeeded: false, results: [{ key: keys[0], version: 1, contentType: "text/plain", value: "a" }] });
    expect(await seen(keys[0]!)).toEqual([200, '"1"', "text/plain", "a"]);
    expect(await seen(keys[1]!)).toEqual([200, '"2"', "text/plain", "b2"]);
    expect((await seen(keys[2]!))[0]).toBe(404);
    // 64 keys is the most: all read.
    const many = Array.from({ length: 64 }, (_, i) => `${keys[0]}/${i}`);
    expect((await ok(await txn({ success: many.map((key) => ({ op: "get", key })) }))).results).toHaveLength(64);
  });

  it("an increment of a non-integer (or past a safe integer) is 409 and changes nothing, the other ops included", async () => {
    const [word, big, other] = [freshKey("tx-w"), freshKey("tx-b"), freshKey("tx-o")];
    await put(word, "abc");
    await put(big, String(Number.MAX_SAFE_INTEGER));
    await put(other, "kept");
    for (const [key, code] of [
      [word, "not_integer"],
      [big, "overflow"],
    ] as const) {
      const res = await txn({ success: [{ op: "put", key: other, value: "changed" }, { op: "increment", key }, { op: "delete", key: `${other}-x` }] });
      expect(res.status).toBe(409);
      expect(res.headers.get("x-ballot-txn")).toMatch(/^[0-9a-f]{32}$/);
      const error = await errorOf(res);
      expect(error).toMatchObject({ code, key });
      expect(error.message).toMatch(new RegExp(`^increment of "${key}": .*; nothing changed$`));
    }
    expect(await seen(word)).toEqual([200, '"1"', "text/plain", "abc"]);
    expect(await seen(big)).toEqual([200, '"1"', "text/plain", String(Number.MAX_SAFE_INTEGER)]);
    expect(await seen(other)).toEqual([200, '"1"', "text/plain", "kept"]);
    // Its intents are gone: plain writes go through at once.
    const started = Date.now();
    expect(await put(other, "free")).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    // The failure branch's increment of a word is no problem when the success branch runs.
    expect((await ok(await txn({ success: [{ op: "get", key: word }], failure: [{ op: "increment", key: word }] }))).succeeded).toBe(true);
  });
});

describe("POST /v1/txn: malformed requests", () => {
  const existing = freshKey("tx-bad");
  const absent = freshKey("tx-none");
  const putOp = { op: "put", key: absent, value: "x" };
  const cases: [string, unknown, number, string, RegExp?][] = [
    ["not JSON", "{", 400, "invalid_json"],
    ["JSON but not an object", "[]", 400, "invalid_json"],
    ["no key at all", {}, 400, "invalid_argument", /needs at least one key/],
    ["a put without its value", { success: [{ op: "put", key: absent }] }, 400, "invalid_argument", /^"success\.0": a put takes exactly one of "value" and "valueBase64"$/],
    ["a put with both values", { success: [{ ...putOp, valueBase64: "eA==" }] }, 400, "invalid_argument", /exactly one/],
    ["an op without op", { success: [{ key: absent, value: "x" }] }, 400, "invalid_argument", /^"success\.0\.op": /],
    ["an op without key", { success: [{ op: "get" }] }, 400, "invalid_argument", /^"success\.0\.key": must be a string$/],
    ["an unknown op", { success: [{ op: "cas", key: absent }] }, 400, "invalid_argument", /"get", "put", "delete" or "increment"/],
    ["a comparison without a condition", { compare: [{ key: existing }], success: [putOp] }, 400, "invalid_argument", /^"compare\.0": a comparison takes exactly one of/],
    ["a comparison with two conditions", { compare: [{ key: existing, version: 1, exists: true }], success: [putOp] }, 400, "invalid_argument", /exactly one/],
    ["ops not an array", { success: putOp }, 400, "invalid_argument", /^"success": must be an array of ops$/],
    ["a value that is not a string", { success: [{ ...putOp, value: 5 }] }, 400, "invalid_argument", /^"success\.0\.value": /],
    ["a version that is a string", { compare: [{ key: existing, version: "1" }], success: [putOp] }, 400, "invalid_argument", /^"compare\.0\.version": must be an integer from 0$/],
    ["a negative version", { compare: [{ key: existing, version: -1 }], success: [putOp] }, 400, "invalid_argument", /"compare\.0\.version"/],
    ["a fractional version", { compare: [{ key: existing, version: 1.5 }], success: [putOp] }, 400, "invalid_argument", /"compare\.0\.version"/],
    ["exists not a boolean", { compare: [{ key: existing, exists: "yes" }], success: [putOp] }, 400, "invalid_argument", /"compare\.0\.exists"/],
    ["65 keys", { success: Array.from({ length: 65 }, (_, i) => ({ op: "put", key: `${absent}/${i}`, value: "x" })) }, 400, "invalid_argument", /at most 64 keys \(this one 65\)/],
    ["65 keys across compare and branches", { compare: [{ key: existing, exists: true }], success: Array.from({ length: 32 }, (_, i) => ({ op: "get", key: `${absent}/s${i}` })), failure: Array.from({ length: 32 }, (_, i) => ({ op: "delete", key: `${absent}/f${i}` })) }, 400, "invalid_argument", /at most 64 keys/],
    ["a key twice in a branch", { success: [putOp, { op: "delete", key: absent }] }, 400, "invalid_argument", /appears twice among the success ops/],
    ["an empty key", { success: [{ op: "get", key: "" }] }, 400, "invalid_key", /^"success\.0\.key": the key is empty$/],
    ["a key with a control character", { success: [{ op: "put", key: "\u0001txn:x", value: "x" }] }, 400, "invalid_key", /control character/],
    ["a key with a NUL", { failure: [{ op: "delete", key: `${absent}\u0000` }] }, 400, "invalid_key", /^"failure\.0\.key": the key contains a control character$/],
    ["a key with a C1 control", { compare: [{ key: `a\u0085`, exists: true }] }, 400, "invalid_key", /^"compare\.0\.key"/],
    ["a key of 513 bytes", { success: [{ op: "get", key: "k".repeat(513) }] }, 400, "invalid_key", /513 bytes; at most 512/],
    ["the key .", { success: [{ op: "get", key: "." }] }, 400, "invalid_key"],
    ["the key ..", { success: [{ op: "get", key: ".." }] }, 400, "invalid_key"],
    ["a key with a lone surrogate", `{"success": [{"op": "get", "key": "a\\ud800"}]}`, 400, "invalid_key", /lone surrogate/],
    ["a value with a lone surrogate", `{"success": [{"op": "put", "key": "${absent}", "value": "\\udc00"}]}`, 400, "invalid_argument", /valid Unicode/],
    ["an unknown field", { compares: [{ key: existing, exists: false }], success: [putOp] }, 400, "invalid_argument", /^unknown field "compares"$/],
    ["an unknown field in an op", { success: [{ op: "increment", key: absent, bye: 2 }] }, 400, "invalid_argument", /^unknown field "success\.0\.bye"$/],
    ["bad base64", { success: [{ op: "put", key: absent, valueBase64: "abc" }] }, 400, "invalid_argument", /"success\.0\.valueBase64": must be standard base64/],
    ["base64 with a bad character", { compare: [{ key: existing, valueBase64: "a!==" }], success: [putOp] }, 400, "invalid_argument", /base64/],
    ["increment by a fraction", { success: [{ op: "increment", key: absent, by: 1.5 }] }, 400, "invalid_argument", /^"success\.0\.by": must be a safe integer$/],
    ["increment by a string", { success: [{ op: "increment", key: absent, by: "2" }] }, 400, "invalid_argument", /"success\.0\.by"/],
    ["increment by more than a safe integer", { success: [{ op: "increment", key: absent, by: 2 ** 53 }] }, 400, "invalid_argument", /safe integer/],
    ["a content type with a newline", { success: [{ ...putOp, contentType: "text/plain\nx: y" }] }, 400, "invalid_argument", /"success\.0\.contentType"/],
  ];

  for (const [what, body, status, code, message] of cases) {
    it(`${what}: ${status} ${code}, nothing changed`, async () => {
      if ((await seen(existing))[0] === 404) await put(existing, "v");
      const res = await txn(body);
      expect(res.status).toBe(status);
      expect(res.headers.get("x-ballot-txn")).toBeNull();
      const error = await errorOf(res);
      expect(error.code).toBe(code);
      if (message !== undefined) expect(error.message).toMatch(message);
      expect(await seen(existing)).toEqual([200, '"1"', "text/plain", "v"]);
      expect((await seen(absent))[0]).toBe(404);
    });
  }

  it("If-Match or If-None-Match: 400 invalid_precondition (the conditions go in compare)", async () => {
    for (const header of ["if-match", "if-none-match"]) {
      const res = await txn({ success: [putOp] }, main, { [header]: "*" });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_precondition");
    }
    expect((await seen(absent))[0]).toBe(404);
  });

  it("413: a body over its limit, a value over BALLOT_MAX_VALUE_BYTES, or more bytes on one key than its row has room for", async () => {
    const max = loadConfig(baseEnv).maxValueBytes;
    const key = freshKey("tx-big");
    const over = await txn({ success: [{ op: "put", key, value: "x".repeat(max + 1) }] });
    expect(over.status).toBe(413);
    expect(await errorOf(over)).toMatchObject({ code: "payload_too_large", limit: max, message: `"success.0.value" is ${max + 1} bytes; the limit is ${max} bytes` });
    const compared = await txn({ compare: [{ key, valueBase64: b64(new Uint8Array(max + 1)) }], success: [{ op: "get", key }] });
    expect(compared.status).toBe(413);
    // A body past the limit is refused by its Content-Length, before it is read.
    const limit = txnBodyLimit(max);
    const huge = await txn(" ".repeat(limit + 1));
    expect(huge.status).toBe(413);
    expect(await errorOf(huge)).toMatchObject({ code: "payload_too_large", limit });
    // A key at the largest value: a transaction may put up to txnKeyValueLimit on it, both branches together.
    const keyLimit = txnKeyValueLimit(max);
    expect(keyLimit).toBeGreaterThan(0);
    await put(key, "v".repeat(max));
    const split = await txn({ compare: [{ key, exists: false }], success: [{ op: "put", key, value: "s".repeat(keyLimit - 10) }], failure: [{ op: "put", key, value: "f".repeat(11) }] });
    expect(split.status).toBe(413);
    expect(await errorOf(split)).toMatchObject({ code: "payload_too_large", limit: keyLimit });
    expect((await seen(key))[1]).toBe('"1"');
    const fits = await ok(await txn({ compare: [{ key, exists: true }], success: [{ op: "put", key, value: "s".repeat(keyLimit - 10) }], failure: [{ op: "put", key, value: "f".repeat(10) }] }));
    expect(fits.results[0]).toMatchObject({ key, version: 2 });
    const after = await seen(key);
    expect([after[1], after[3].length]).toEqual(['"2"', keyLimit - 10]);
  }, 30_000);
});

describe("POST /v1/txn meets other transactions' intents", () => {
  const config = loadConfig(baseEnv);
  const raw = createWorkerProposer(baseEnv, config).registers;
  const newId = () => crypto.randomUUID().replaceAll("-", "");

  /** Places the intents of a transaction (put `value` on each key), as a coordinator would: its record stays absent (pending) until it commits. */
  async function pendingTxn(keys: readonly string[], value: string, startedAt = Date.now()): Promise<{ id: string; request: TxnRequest }> {
    const id = newId();
    const request: TxnRequest = { compare: [], success: keys.map((key) => ({ op: "put", key, value: text(value), contentType: "text/plain" })), failure: [] };
    for (const key of keys) expect((await raw.change(key, placeIntent(id, recordKey(id), startedAt, request, key))).kind).toBe("applied");
    return { id, request };
  }

  it("a pending intent: GET answers the state before it; a PUT waits until the transaction is stale, aborts it, then applies", async () => {
    const app = serve({ ...baseEnv, BALLOT_TXN_STALE_MS: "600" });
    const key = freshKey("tx-pend");
    expect(await put(key, "before")).toBe(1);
    const { id } = await pendingTxn([key], "intended");
    expect(await seen(key)).toEqual([200, '"1"', "text/plain", "before"]);
    expect((await ok(await txn({ success: [{ op: "get", key }] }))).results[0]).toMatchObject({ version: 1, value: "before" });
    const started = Date.now();
    expect(await put(key, "after", "text/plain", app)).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(await seen(key)).toEqual([200, '"2"', "text/plain", "after"]);
    const record = await raw.read(recordKey(id));
    expect(record.kind === "applied" && parseRecord(record.state)?.status).toBe("aborted");
  });

  it("a transaction on a key held by a fresh pending intent waits BALLOT_TXN_LOCK_WAIT_MS, then 503 with nothing changed", async () => {
    const app = serve({ ...baseEnv, BALLOT_TXN_LOCK_WAIT_MS: "100" });
    const [held, free] = [freshKey("tx-held"), freshKey("tx-free")];
    await put(held, "h");
    await put(free, "f");
    const { id } = await pendingTxn([held], "intended");
    const res = await txn({ success: [{ op: "put", key: free, value: "changed" }, { op: "put", key: held, value: "changed" }] }, app);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const mine = res.headers.get("x-ballot-txn");
    expect(mine).toMatch(/^[0-9a-f]{32}$/);
    const error = await errorOf(res);
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain(`held by transaction ${id}`);
    expect(await seen(free)).toEqual([200, '"1"', "text/plain", "f"]);
    expect(await seen(held)).toEqual([200, '"1"', "text/plain", "h"]);
    // Its own intent on `free` was dropped: a plain write goes through at once.
    expect(await put(free, "g")).toBe(2);
    const record = await raw.read(recordKey(mine!));
    expect(record.kind === "applied" && parseRecord(record.state)?.status).toBe("aborted");
  });

  it("a committed but unresolved transaction: GETs, transactions and listings see its writes at once", async () => {
    const prefix = `${freshKey("tx-com")}/`;
    const [old, created] = [`${prefix}old`, `${prefix}new`];
    expect(await put(old, "before")).toBe(1);
    const { id } = await pendingTxn([old, created], "committed");
    const listing = async () => ((await (await call(`/v1/keys?${new URLSearchParams({ prefix })}`)).json()) as { keys: { key: string; version: number }[] }).keys.map((k) => [k.key, k.version]);
    // Pending: the state before it (a key it would create is not there yet).
    expect(await listing()).toEqual([[old, 1]]);
    expect((await raw.change(recordKey(id), commitRecord(id, Date.now(), true))).kind).toBe("applied");
    expect(await listing()).toEqual([
      [created, 1],
      [old, 2],
    ]);
    const read = await ok(await txn({ success: [{ op: "get", key: old }, { op: "get", key: created }] }));
    expect(read.results.map((r) => [r.version, r.value])).toEqual([
      [2, "committed"],
      [1, "committed"],
    ]);
    expect(await seen(old)).toEqual([200, '"2"', "text/plain", "committed"]);
    expect(await seen(created)).toEqual([200, '"1"', "text/plain", "committed"]);
    expect(await put(old, "next")).toBe(3);
  });
});

describe("POST /v1/txn with a majority of acceptors down", () => {
  afterEach(async () => {
    await clearFaults(worker);
  });

  it("503 unavailable with Retry-After, and nothing applied", async () => {
    const [known, fresh] = [freshKey("tx-maj"), freshKey("tx-majf")];
    expect(await put(known, "kept")).toBe(1);
    await setFault(worker, { acceptor: 1, mode: "down" });
    await setFault(worker, { acceptor: 2, mode: "down" });
    for (const body of [
      { success: [{ op: "put", key: fresh, value: "lost" }, { op: "increment", key: `${fresh}-n` }] },
      { compare: [{ key: known, version: 1 }], success: [{ op: "put", key: known, value: "lost" }, { op: "delete", key: fresh }] },
      { success: [{ op: "get", key: known }, { op: "get", key: fresh }] },
    ]) {
      const res = await txn(body);
      expect(res.status, JSON.stringify(body)).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect((await errorOf(res)).code).toBe("unavailable");
    }
    await clearFaults(worker);
    expect(await seen(known)).toEqual([200, '"1"', "text/plain", "kept"]);
    expect((await seen(fresh))[0]).toBe(404);
    expect((await seen(`${fresh}-n`))[0]).toBe(404);
  }, 20_000);
});

// Scoped tokens (as test/workers/access.test.ts): a transaction needs read of every key it compares or gets, and
// write of every key any op of either branch changes.
const DASHBOARD = "dashboard-token-0123456789";
const BILLING = "billing-service-token-0123456789";
const OPERATOR = "operator-grant-token-0123456789";
const FULL = "full-access-token-0123456789";

async function sha256Hex(s: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const ACCESS = JSON.stringify([
  { name: "dashboard", sha256: await sha256Hex(DASHBOARD), read: ["config/"] },
  { name: "billing", sha256: await sha256Hex(BILLING), read: ["config/"], write: ["billing/"] },
  { name: "operator", sha256: await sha256Hex(OPERATOR), admin: true },
]);
const scopedEnv: Env = { ...baseEnv, BALLOT_ACCESS: ACCESS, BALLOT_TOKENS: FULL, BALLOT_CLUSTER: "txn-access" };
const scoped = serve(scopedEnv);
const as = (token: string): App => (request) => {
  const headers = new Headers(request.headers);
  headers.set("authorization", `Bearer ${token}`);
  return scoped(new Request(request, { headers }));
};

describe("POST /v1/txn and scoped tokens", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("a read-only token runs gets and comparisons on its prefix, and gets 403 for any change, in either branch", async () => {
    const tag = freshKey("t");
    const [flag, other] = [`config/${tag}`, `config/${tag}-2`];
    expect(await put(flag, "on", "text/plain", as(FULL))).toBe(1);
    const read = await ok(await txn({ compare: [{ key: flag, value: "on" }], success: [{ op: "get", key: flag }, { op: "get", key: other }] }, as(DASHBOARD)));
    expect(read.results.map((r) => r.value)).toEqual(["on", null]);
    for (const ops of [
      { success: [{ op: "put", key: flag, value: "off" }] },
      { success: [{ op: "get", key: flag }], failure: [{ op: "delete", key: flag }] },
      { compare: [{ key: flag, exists: true }], failure: [{ op: "increment", key: other }] },
    ]) {
      const res = await txn(ops, as(DASHBOARD));
      expect(res.status, JSON.stringify(ops)).toBe(403);
      expect(res.headers.get("x-ballot-txn")).toBeNull();
      const error = await errorOf(res);
      expect(error.code).toBe("forbidden");
      expect(error.message).toMatch(/^this token may not write the key "config\//);
    }
    expect(await seen(flag, as(FULL))).toEqual([200, '"1"', "text/plain", "on"]);
    expect((await seen(other, as(FULL)))[0]).toBe(404);
  });

  it("a service writes its prefix and reads what it is granted; a key outside, or a write in the failure branch outside its write prefix, is 403 naming the first such key", async () => {
    const tag = freshKey("t");
    const [setting, invoice, salary] = [`config/${tag}`, `billing/${tag}`, `hr/${tag}`];
    expect(await put(setting, "5", "text/plain", as(FULL))).toBe(1);
    expect(await put(salary, "100", "text/plain", as(FULL))).toBe(1);
    const done = await ok(
      await txn({ compare: [{ key: setting, value: "5" }], success: [{ op: "put", key: invoice, value: "due" }, { op: "get", key: setting }], failure: [{ op: "delete", key: invoice }] }, as(BILLING)),
    );
    expect(done.results.map((r) => [r.key, r.version])).toEqual([
      [invoice, 1],
      [setting, 1],
    ]);
    const refusals: [object, string][] = [
      [{ compare: [{ key: salary, exists: true }], success: [{ op: "put", key: invoice, value: "x" }] }, `this token may not read the key "${salary}"`],
      [{ success: [{ op: "put", key: invoice, value: "x" }, { op: "get", key: salary }] }, `this token may not read the key "${salary}"`],
      [{ compare: [{ key: setting, value: "5" }], success: [{ op: "put", key: invoice, value: "x" }], failure: [{ op: "put", key: setting, value: "6" }] }, `this token may not write the key "${setting}"`],
      [{ success: [{ op: "get", key: invoice }, { op: "increment", key: salary }, { op: "put", key: setting, value: "x" }] }, `this token may not write the key "${salary}"`],
    ];
    for (const [body, message] of refusals) {
      const res = await txn(body, as(BILLING));
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(await errorOf(res)).toMatchObject({ code: "forbidden", message });
    }
    const operator = await txn({ success: [{ op: "get", key: setting }] }, as(OPERATOR));
    expect([operator.status, (await errorOf(operator)).message]).toEqual([403, `this token may not read the key "${setting}"`]);
    expect(await seen(setting, as(FULL))).toEqual([200, '"1"', "text/plain", "5"]);
    expect(await seen(invoice, as(FULL))).toEqual([200, '"1"', "application/octet-stream", "due"]);
    expect(await seen(salary, as(FULL))).toEqual([200, '"1"', "text/plain", "100"]);
    // A malformed body is the route's 400, whoever sends it; a valid token is still needed.
    expect((await txn("{", as(DASHBOARD))).status).toBe(400);
    expect((await txn({ success: [{ op: "get", key: setting }] }, scoped)).status).toBe(401);
  });

  it("refusals and transactions are logged as every request is: the grant's name, outcome forbidden, the transaction's id; never a key or token", async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const tag = freshKey("secret-key-name");
    const refused = await txn({ success: [{ op: "put", key: `config/${tag}`, value: "x" }] }, as(DASHBOARD));
    expect(refused.status).toBe(403);
    const done = await txn({ success: [{ op: "put", key: `billing/${tag}`, value: "x" }] }, as(BILLING));
    expect(done.status).toBe(200);
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    const [first, second] = lines.map((l) => JSON.parse(l) as RequestLogLine);
    expect(first).toMatchObject({ msg: "request", method: "POST", route: "/v1/txn", token: "dashboard", status: 403, outcome: "forbidden" });
    expect(first).not.toHaveProperty("txn");
    expect(second).toMatchObject({ route: "/v1/txn", token: "billing", status: 200, outcome: "ok", txn: done.headers.get("x-ballot-txn") });
    expect(lines.join("\n")).not.toMatch(/secret-key-name|token-0123456789/);
  });

  it("property: a token's transaction runs only if it may read every key it touches and write every key it changes; a refused one changes nothing", async () => {
    const tag = freshKey("p");
    const keys = ["config/a", "config/b", "billing/a", "billing/b", "hr/a"].map((k) => `${k}-${tag}`);
    for (const key of keys) expect(await put(key, "1", "text/plain", as(FULL))).toBe(1);
    const op = fc.record({ op: fc.constantFrom("get", "put", "delete", "increment"), key: fc.constantFrom(...keys) });
    const branch = fc.uniqueArray(op, { maxLength: 3, selector: (o) => o.key });
    const body = fc.record({ compare: fc.array(fc.record({ key: fc.constantFrom(...keys), exists: fc.boolean() }), { maxLength: 2 }), success: branch, failure: branch });
    const states = async () => Promise.all(keys.map((key) => seen(key, as(FULL))));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(DASHBOARD, BILLING), body, async (token, b) => {
        const touched = [...b.compare.map((c) => c.key), ...b.success.map((o) => o.key), ...b.failure.map((o) => o.key)];
        fc.pre(touched.length > 0);
        const written = new Set([...b.success, ...b.failure].filter((o) => o.op !== "get").map((o) => o.key));
        const writable = (k: string) => token === BILLING && k.startsWith("billing/");
        const readable = (k: string) => k.startsWith("config/") || writable(k);
        const firstRefused = touched.find((k) => (written.has(k) ? !writable(k) : !readable(k)));
        const before = await states();
        const ops = (list: { op: string; key: string }[]) => list.map((o) => (o.op === "put" ? { ...o, value: "2" } : o));
        const res = await txn({ compare: b.compare, success: ops(b.success), failure: ops(b.failure) }, as(token));
        if (firstRefused !== undefined) {
          expect(res.status).toBe(403);
          const access = written.has(firstRefused) ? "write" : "read";
          expect((await errorOf(res)).message).toBe(`this token may not ${access} the key ${JSON.stringify(firstRefused)}`);
          expect(await states()).toEqual(before);
        } else {
          expect(res.status, await res.clone().text()).toBe(200);
        }
        // No key outside the token's write prefixes ever changed: only billing/ keys are written by anyone here.
        const after = await states();
        keys.forEach((key, i) => {
          if (!key.startsWith("billing/")) expect(after[i], key).toEqual([200, '"1"', "text/plain", "1"]);
        });
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
