import { describe, expect, it } from "vitest";
import { call, errorOf, freshKey, keyPath } from "./helpers.js";
import { reader } from "./sse-reader.js";

// GET /v1/watch/{key}: a text/event-stream of the key's states (src/http/watch.ts). Timings only with generous bounds.

const put = async (key: string, value: string, type = "text/plain") => {
  const res = await call(keyPath(key), { method: "PUT", body: value, headers: { "content-type": type } });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { version: number }).version;
};

describe("GET /v1/watch/{key}", { timeout: 60_000 }, () => {
  it("streams put and delete events in order, each with its version as id", async () => {
    const key = freshKey("watch");
    const v1 = await put(key, "one");
    const res = await call(`/v1/watch/${encodeURIComponent(key)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const s = reader(res);
    expect((await s.next()).comment).toBe("watching");
    expect(await s.event()).toEqual({ id: String(v1), event: "put", data: { key, version: v1, contentType: "text/plain", value: "one" } });
    const v2 = await put(key, "two");
    expect(await s.event()).toEqual({ id: String(v2), event: "put", data: { key, version: v2, contentType: "text/plain", value: "two" } });
    expect((await call(keyPath(key), { method: "DELETE" })).status).toBe(204);
    expect(await s.event()).toEqual({ id: String(v2 + 1), event: "delete", data: { key, version: v2 + 1 } });
    const v4 = await put(key, "\u00ff\u0001", "application/octet-stream");
    const bin = await s.event();
    expect(bin).toMatchObject({ id: String(v4), event: "put", data: { key, version: v4, contentType: "application/octet-stream" } });
    expect(typeof bin.data?.valueBase64).toBe("string");
    await s.cancel();
  });

  it("resumes with Last-Event-ID (or since) without repeating what the client had", async () => {
    const key = freshKey("watch-resume");
    await put(key, "a");
    const v2 = await put(key, "b");
    const resumed = reader(await call(`/v1/watch/${encodeURIComponent(key)}`, { headers: { "last-event-id": String(v2) } }));
    const v3 = await put(key, "c");
    expect(await resumed.event()).toMatchObject({ id: String(v3), event: "put", data: { value: "c" } });
    await resumed.cancel();
    // since=: the same; Last-Event-ID wins over it.
    const bySince = reader(await call(`/v1/watch/${encodeURIComponent(key)}?since=${v2}`));
    expect(await bySince.event()).toMatchObject({ id: String(v3), data: { value: "c" } });
    await bySince.cancel();
    const both = reader(await call(`/v1/watch/${encodeURIComponent(key)}?since=0`, { headers: { "last-event-id": String(v3) } }));
    const v4 = await put(key, "d");
    expect(await both.event()).toMatchObject({ id: String(v4), data: { value: "d" } });
    await both.cancel();
  });

  it("a key never written sends nothing until it is created", async () => {
    const key = freshKey("watch-new");
    const s = reader(await call(`/v1/watch/${encodeURIComponent(key)}`));
    expect((await s.next()).comment).toBe("watching");
    const v = await put(key, "first");
    expect(await s.event()).toMatchObject({ id: String(v), event: "put", data: { value: "first" } });
    await s.cancel();
  });

  it("refuses bad parameters with 400 invalid_argument naming them, and methods but GET with 405", async () => {
    const key = encodeURIComponent(freshKey("watch-bad"));
    for (const [path, headers, name] of [
      [`/v1/watch/${key}?since=-1`, {}, "since"],
      [`/v1/watch/${key}?since=x`, {}, "since"],
      [`/v1/watch/${key}?since=1&since=2`, {}, "since"],
      [`/v1/watch/${key}?sinse=1`, {}, "sinse"],
      [`/v1/watch/${key}`, { "last-event-id": "abc" }, "Last-Event-ID"],
    ] as const) {
      const res = await call(path, { headers });
      expect(res.status, path).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_argument");
      expect(error.message).toContain(`"${name}"`);
    }
    const bad = await call(`/v1/watch/${encodeURIComponent("\u0001")}`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("invalid_key");
    expect((await call(`/v1/watch/${key}`, { method: "PUT", body: "x" })).status).toBe(405);
  });
});
