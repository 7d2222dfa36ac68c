import { describe, expect, it } from "vitest";
import { call, errorOf, freshKey, keyPath } from "./helpers.js";

const put = (key: string, body: BodyInit, headers: Record<string, string> = {}) =>
  call(keyPath(key), { method: "PUT", body, headers });

describe("GET and HEAD", () => {
  it("answers 404 with a JSON error for a key never written", async () => {
    const res = await call(keyPath(freshKey()));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("returns the stored bytes, content type and version as ETag", async () => {
    const key = freshKey();
    await put(key, "hello", { "content-type": "text/plain" });
    const res = await call(keyPath(key));
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"1"');
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("hello");
  });

  it("round-trips arbitrary bytes and defaults the content type", async () => {
    const key = freshKey();
    const bytes = new Uint8Array([0, 255, 1, 254, 0x80, 10, 13]);
    await put(key, bytes);
    const res = await call(keyPath(key));
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it("stores an empty value as a present key", async () => {
    const key = freshKey();
    expect((await put(key, "")).status).toBe(201);
    const res = await call(keyPath(key));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("HEAD answers the headers without a body", async () => {
    const key = freshKey();
    await put(key, "abc");
    const res = await call(keyPath(key), { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"1"');
    expect(res.headers.get("content-length")).toBe("3");
    expect(await res.text()).toBe("");
    expect((await call(keyPath(freshKey()), { method: "HEAD" })).status).toBe(404);
  });

  it("answers 304 to If-None-Match naming the current version", async () => {
    const key = freshKey();
    await put(key, "v1");
    expect((await call(keyPath(key), { headers: { "if-none-match": '"1"' } })).status).toBe(304);
    expect((await call(keyPath(key), { headers: { "if-none-match": 'W/"1"' } })).status).toBe(304);
    expect((await call(keyPath(key), { headers: { "if-none-match": '"7", "8"' } })).status).toBe(200);
  });

  it("reports rounds and phase times in Server-Timing", async () => {
    const key = freshKey();
    const res = await put(key, "x");
    expect(res.headers.get("server-timing")).toMatch(/rounds;desc="\d+"/);
    expect((await call(keyPath(key))).headers.get("server-timing")).toMatch(/rounds;desc="\d+"/);
  });
});

describe("PUT", () => {
  it("creates with 201, then replaces with 200, versions growing by one", async () => {
    const key = freshKey();
    const first = await put(key, "a");
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ version: 1 });
    expect(first.headers.get("etag")).toBe('"1"');
    const second = await put(key, "b");
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ version: 2 });
    expect(second.headers.get("etag")).toBe('"2"');
  });

  it("If-Match with the current version is a compare-and-set", async () => {
    const key = freshKey();
    await put(key, "a");
    const res = await put(key, "b", { "if-match": '"1"' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: 2 });
    expect(await (await call(keyPath(key))).text()).toBe("b");
  });

  it("a stale If-Match answers 412 with the current version and writes nothing", async () => {
    const key = freshKey();
    await put(key, "a");
    await put(key, "b");
    const res = await put(key, "c", { "if-match": '"1"' });
    expect(res.status).toBe(412);
    const error = await errorOf(res);
    expect(error.code).toBe("precondition_failed");
    expect(error.currentVersion).toBe(2);
    const get = await call(keyPath(key));
    expect(await get.text()).toBe("b");
    expect(get.headers.get("etag")).toBe('"2"');
  });

  it("If-Match on a missing key answers 412 with currentVersion null", async () => {
    const key = freshKey();
    const res = await put(key, "a", { "if-match": '"1"' });
    expect(res.status).toBe(412);
    expect((await errorOf(res)).currentVersion).toBeNull();
    expect((await call(keyPath(key))).status).toBe(404);
  });

  it("If-Match: * replaces only an existing key", async () => {
    const key = freshKey();
    expect((await put(key, "a", { "if-match": "*" })).status).toBe(412);
    await put(key, "a");
    expect((await put(key, "b", { "if-match": "*" })).status).toBe(200);
  });

  it("If-None-Match: * creates only", async () => {
    const key = freshKey();
    const created = await put(key, "a", { "if-none-match": "*" });
    expect(created.status).toBe(201);
    const again = await put(key, "b", { "if-none-match": "*" });
    expect(again.status).toBe(412);
    expect((await errorOf(again)).currentVersion).toBe(1);
    expect(await (await call(keyPath(key))).text()).toBe("a");
  });

  it("rejects malformed preconditions with 400 and writes nothing", async () => {
    const key = freshKey();
    for (const headers of <Record<string, string>[]>[
      { "if-match": "1" },
      { "if-match": '"abc"' },
      { "if-match": '"1", "2"' },
      { "if-match": '"-1"' },
      { "if-match": '"01"' },
      { "if-match": '"99999999999999999999"' },
      { "if-none-match": '"1"' },
      { "if-match": '"1"', "if-none-match": "*" },
    ]) {
      const res = await put(key, "x", headers);
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_precondition");
    }
    expect((await call(keyPath(key))).status).toBe(404);
  });

  it("refuses a body over the limit with 413 and writes nothing", async () => {
    const key = freshKey();
    const res = await put(key, new Uint8Array((1 << 20) + 1));
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
    expect((await call(keyPath(key))).status).toBe(404);
    expect((await put(key, new Uint8Array(1 << 20))).status).toBe(201);
  });
});

describe("DELETE", () => {
  it("deletes with 204, then the key is 404, and deleting again is 404", async () => {
    const key = freshKey();
    await put(key, "a");
    expect((await call(keyPath(key), { method: "DELETE" })).status).toBe(204);
    expect((await call(keyPath(key))).status).toBe(404);
    const again = await call(keyPath(key), { method: "DELETE" });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).code).toBe("not_found");
  });

  it("honours If-Match", async () => {
    const key = freshKey();
    await put(key, "a");
    await put(key, "b");
    const stale = await call(keyPath(key), { method: "DELETE", headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(412);
    expect((await errorOf(stale)).currentVersion).toBe(2);
    expect((await call(keyPath(key))).status).toBe(200);
    expect((await call(keyPath(key), { method: "DELETE", headers: { "if-match": '"2"' } })).status).toBe(204);
    const gone = await call(keyPath(key), { method: "DELETE", headers: { "if-match": '"3"' } });
    expect(gone.status).toBe(412);
  });

  it("keeps the version sequence across a delete: a recreated key continues it", async () => {
    const key = freshKey();
    await put(key, "a"); // 1
    await call(keyPath(key), { method: "DELETE" }); // 2
    const res = await put(key, "b");
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ version: 3 });
    expect((await put(key, "c", { "if-match": '"3"' })).status).toBe(200);
  });
});

describe("increment", () => {
  const inc = (key: string, body?: string) => call(keyPath(key, "/increment"), { method: "POST", body });

  it("counts from 0 for an absent key and returns value and version", async () => {
    const key = freshKey();
    const res = await inc(key, JSON.stringify({ by: 5 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ value: 5, version: 1 });
    expect(await (await inc(key, JSON.stringify({ by: -7 }))).json()).toEqual({ value: -2, version: 2 });
    expect(await (await inc(key)).json()).toEqual({ value: -1, version: 3 });
    const get = await call(keyPath(key));
    expect(await get.text()).toBe("-1");
  });

  it("continues from a PUT of decimal text", async () => {
    const key = freshKey();
    await put(key, "41");
    expect(await (await inc(key, '{"by":1}')).json()).toEqual({ value: 42, version: 2 });
  });

  it("answers 409 for a register that is not an integer and changes nothing", async () => {
    const key = freshKey();
    await put(key, "hello");
    const res = await inc(key, '{"by":1}');
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("not_integer");
    expect(await (await call(keyPath(key))).text()).toBe("hello");
  });

  it("answers 409 on overflow", async () => {
    const key = freshKey();
    await put(key, String(Number.MAX_SAFE_INTEGER));
    const res = await inc(key, '{"by":1}');
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("overflow");
  });

  it("rejects malformed bodies with 400", async () => {
    const key = freshKey();
    for (const [body, code] of [
      ["{", "invalid_json"],
      ["[1]", "invalid_argument"],
      ['{"by":"1"}', "invalid_argument"],
      ['{"by":1.5}', "invalid_argument"],
      ['{"by":9007199254740992}', "invalid_argument"],
      ['{"other":1}', "invalid_argument"],
      ["null", "invalid_argument"],
    ] as const) {
      const res = await inc(key, body);
      expect(res.status, body).toBe(400);
      expect((await errorOf(res)).code).toBe(code);
    }
    expect((await call(keyPath(key))).status).toBe(404);
  });
});

describe("keys and routes", () => {
  it("takes a key as one percent-decoded segment, so %2F is part of the key", async () => {
    const key = `a/b ${freshKey()} ü €`;
    await put(key, "slash");
    expect(await (await call(keyPath(key))).text()).toBe("slash");
    expect((await call(keyPath("a"))).status).toBe(404);
    expect((await call(`/v1/keys/a/b`)).status).toBe(404);
  });

  it("accepts 512-byte keys and refuses longer, empty, control-character and malformed keys with 400", async () => {
    const ok = "k".repeat(512);
    expect((await put(ok, "x")).status).toBeLessThan(300);
    for (const path of ["/v1/keys/" + "k".repeat(513), "/v1/keys/", "/v1/keys/%00a", "/v1/keys/a%0Ab", "/v1/keys/%zz",
      "/v1/keys/%ff", "/v1/keys/%c3", "/v1/keys/%ed%a0%80"]) {
      const res = await call(path, { method: "PUT", body: "x" });
      expect(res.status, path).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_key");
    }
  });

  it("answers unknown routes with 404 and unknown methods with 405 and Allow", async () => {
    const notFound = await call("/v2/keys/a");
    expect(notFound.status).toBe(404);
    expect((await errorOf(notFound)).code).toBe("not_found");
    const patch = await call(keyPath("a"), { method: "PATCH", body: "x" });
    expect(patch.status).toBe(405);
    expect(patch.headers.get("allow")).toBe("GET, HEAD, PUT, DELETE");
    const getInc = await call(keyPath("a", "/increment"));
    expect(getInc.status).toBe(405);
    expect(getInc.headers.get("allow")).toBe("POST");
  });
});
