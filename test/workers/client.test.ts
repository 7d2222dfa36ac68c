import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  BadRequest,
  BallotError,
  Conflict,
  NotFound,
  OutcomeUnknown,
  PreconditionFailed,
  Unavailable,
  createClient,
  type FetchLike,
} from "../../src/client/index.js";
import { BASE, freshKey } from "./helpers.js";

// The typed client against the real Worker and its acceptors in workerd.
const toWorker: FetchLike = (input, init) => exports.default.fetch(new Request(input, init));
const client = createClient({ baseUrl: BASE, fetch: toWorker });

describe("client against the Worker in workerd", () => {
  it("puts and gets bytes and text with version and content type", async () => {
    const key = freshKey("c");
    expect(await client.get(key)).toBeNull();
    expect(await client.put(key, new Uint8Array([0, 1, 255]))).toEqual({ version: 1, created: true });
    const got = await client.get(key);
    expect(got).toEqual({ value: new Uint8Array([0, 1, 255]), version: 1, contentType: "application/octet-stream" });
    expect(await client.put(key, "héllo")).toEqual({ version: 2, created: false });
    expect(await client.getText(key)).toEqual({ value: "héllo", version: 2, contentType: "text/plain; charset=utf-8" });
  });

  it("list: pages by listPage, every entry by list() (pages under the hood), values as bytes; a bad limit is BadRequest", async () => {
    const prefix = `${freshKey("cl")}/`;
    for (const k of ["b", "a", "c?#%"]) await client.put(prefix + k, k);
    await client.put(`${prefix}bin`, new Uint8Array([0, 255]));
    const first = await client.listPage({ prefix, limit: 2 });
    expect(first).toEqual({
      keys: [
        { key: `${prefix}a`, version: 1, contentType: "text/plain; charset=utf-8", bytes: 1 },
        { key: `${prefix}b`, version: 1, contentType: "text/plain; charset=utf-8", bytes: 1 },
      ],
      next: `${prefix}b`,
    });
    const all: string[] = [];
    for await (const entry of client.list({ prefix, limit: 1 })) all.push(entry.key);
    expect(all).toEqual([`${prefix}a`, `${prefix}b`, `${prefix}bin`, `${prefix}c?#%`]);
    const withValues = await client.listPage({ prefix: `${prefix}b`, values: true });
    expect(withValues.keys.map((k) => k.value)).toEqual([new TextEncoder().encode("b"), new Uint8Array([0, 255])]);
    await expect(client.listPage({ limit: 0 })).rejects.toBeInstanceOf(BadRequest);
  });

  it("percent-encodes keys, including '/', '%', '?', '#' and non-ASCII", async () => {
    for (const key of ["a/b", "100%", "what?", "#hash", "ünï 𝄞", " spaced ", "..."]) {
      const k = `${freshKey("enc")}${key}`;
      await client.put(k, key);
      expect((await client.getText(k))?.value).toBe(key);
    }
    await expect(client.get(".")).rejects.toBeInstanceOf(BadRequest);
    await expect(client.get("")).rejects.toBeInstanceOf(BadRequest);
  });

  it("JSON helpers store application/json and parse it back", async () => {
    const key = freshKey("json");
    await client.putJSON(key, { a: 1, b: ["x"] });
    expect(await client.getJSON(key)).toEqual({ value: { a: 1, b: ["x"] }, version: 1, contentType: "application/json" });
    expect(await client.getJSON(freshKey("json"))).toBeNull();
  });

  it("compare-and-set: PreconditionFailed carries the current version", async () => {
    const key = freshKey("cas");
    await client.put(key, "a", { ifAbsent: true });
    const failed = await client.put(key, "b", { ifAbsent: true }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PreconditionFailed);
    expect((failed as PreconditionFailed).currentVersion).toBe(1);
    expect((failed as PreconditionFailed).status).toBe(412);
    expect(await client.put(key, "b", { ifVersion: 1 })).toEqual({ version: 2, created: false });
    const stale = await client.put(key, "c", { ifVersion: 1 }).catch((e: unknown) => e);
    expect((stale as PreconditionFailed).currentVersion).toBe(2);
    const absent = await client.put(freshKey("cas"), "c", { ifVersion: 1 }).catch((e: unknown) => e);
    expect((absent as PreconditionFailed).currentVersion).toBeNull();
    await expect(client.put(key, "x", { ifVersion: 1, ifAbsent: true })).rejects.toBeInstanceOf(TypeError);
  });

  it("delete: NotFound when absent, PreconditionFailed on a stale version", async () => {
    const key = freshKey("del");
    await expect(client.delete(key)).rejects.toBeInstanceOf(NotFound);
    await client.put(key, "a");
    await expect(client.delete(key, { ifVersion: 7 })).rejects.toBeInstanceOf(PreconditionFailed);
    await client.delete(key, { ifVersion: 1 });
    expect(await client.get(key)).toBeNull();
  });

  it("increment counts and reports Conflict on a non-integer", async () => {
    const key = freshKey("inc");
    expect(await client.increment(key)).toEqual({ value: 1, version: 1 });
    expect(await client.increment(key, 41)).toEqual({ value: 42, version: 2 });
    expect(await client.increment(key, -2)).toEqual({ value: 40, version: 3 });
    const text = freshKey("inc");
    await client.put(text, "not a number");
    const error = await client.increment(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Conflict);
    expect((error as Conflict).code).toBe("not_integer");
  });

  it("update applies fn with CAS and can abort", async () => {
    const key = freshKey("upd");
    const first = await client.updateJSON<{ n: number }>(key, (cur) => ({ n: (cur?.value.n ?? 0) + 1 }));
    expect(first).toEqual({ written: true, entry: { value: { n: 1 }, version: 1, contentType: "application/json" }, attempts: 1 });
    const aborted = await client.updateJSON<{ n: number }>(key, () => undefined);
    expect(aborted.written).toBe(false);
    expect(aborted.entry?.value).toEqual({ n: 1 });
    const raw = await client.update(key, (cur) => (cur === null ? "none" : `${cur.value.length}`));
    expect(raw.entry?.value).toEqual(new TextEncoder().encode(`${'{"n":1}'.length}`));
  });

  it("concurrent updates of one key all land exactly once (CAS retry on 412)", async () => {
    const key = freshKey("race");
    const writers = 8;
    const results = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        client.updateJSON<number[]>(key, (cur) => [...(cur?.value ?? []), i], { maxAttempts: 50, baseDelayMs: 2 }),
      ),
    );
    const final = await client.getJSON<number[]>(key);
    expect(final?.value.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: writers }, (_, i) => i));
    expect(final?.version).toBe(writers);
    expect(results.every((r) => r.written)).toBe(true);
  });

  it("update gives up after maxAttempts with the last PreconditionFailed", async () => {
    const key = freshKey("lose");
    await client.put(key, "0");
    let calls = 0;
    const error = await client
      .update(key, async (cur) => {
        calls++;
        await client.put(key, `${Number(new TextDecoder().decode(cur?.value)) + 1}`); // someone else always wins
        return "mine";
      }, { maxAttempts: 3, baseDelayMs: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailed);
    expect(calls).toBe(3);
  });

  it("maps 503 and 504 to Unavailable (with retryAfter) and OutcomeUnknown; a lost change to OutcomeUnknown", async () => {
    const fake = (status: number, headers: Record<string, string> = {}): FetchLike => async () =>
      new Response(JSON.stringify({ error: { code: status === 503 ? "unavailable" : "outcome_unknown", message: "m" } }), { status, headers });
    const unavailable = await createClient({ baseUrl: BASE, fetch: fake(503, { "retry-after": "2" }) }).put("k", "v").catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(Unavailable);
    expect((unavailable as Unavailable).retryAfter).toBe(2);
    expect(await createClient({ baseUrl: BASE, fetch: fake(504) }).increment("k").catch((e: unknown) => e)).toBeInstanceOf(OutcomeUnknown);
    const broken = createClient({ baseUrl: BASE, fetch: () => Promise.reject(new TypeError("connection reset")) });
    expect(await broken.put("k", "v").catch((e: unknown) => e)).toBeInstanceOf(OutcomeUnknown);
    expect(await broken.get("k").catch((e: unknown) => e)).toBeInstanceOf(Unavailable);
    const odd = await createClient({ baseUrl: BASE, fetch: async () => new Response("teapot", { status: 418 }) }).get("k").catch((e: unknown) => e);
    expect(odd).toBeInstanceOf(BallotError);
    expect((odd as BallotError).status).toBe(418);
  });

  it("gives up after timeoutMs: Unavailable for a read, OutcomeUnknown for a change", async () => {
    const silent: FetchLike = (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const slow = createClient({ baseUrl: BASE, fetch: silent, timeoutMs: 20 });
    const read = await slow.get("k").catch((e: unknown) => e);
    expect(read).toBeInstanceOf(Unavailable);
    expect((read as Unavailable).code).toBe("network_error");
    expect(await slow.increment("k").catch((e: unknown) => e)).toBeInstanceOf(OutcomeUnknown);
    expect(() => createClient({ baseUrl: BASE, timeoutMs: 0 })).toThrow(TypeError);
  });

  it("sends the bearer token and keeps a base path prefix", async () => {
    const seen: Request[] = [];
    const spy = createClient({
      baseUrl: "https://example.test/prefix/",
      token: "secret-token-123456",
      fetch: async (input, init) => {
        seen.push(new Request(input, init));
        return new Response(null, { status: 204 });
      },
    });
    await spy.delete("a/b");
    expect(seen[0]?.url).toBe("https://example.test/prefix/v1/keys/a%2Fb");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer secret-token-123456");
  });
});

describe("client watch() and waitFor() against the Worker", { timeout: 60_000 }, () => {
  it("waitFor: answered by a change, or at the timeout with changed = false; a deleted key has its version and no value", async () => {
    const key = freshKey("cw");
    const { version } = await client.put(key, "a");
    const pending = client.waitFor(key, { version, timeoutS: 60 });
    await new Promise((r) => setTimeout(r, 100));
    await client.put(key, "b");
    const got = await pending;
    expect(got).toMatchObject({ version: version + 1, changed: true });
    expect(new TextDecoder().decode(got.value!)).toBe("b");
    expect(await client.waitFor(key, { version: version + 1, timeoutS: 1 })).toMatchObject({ version: version + 1, changed: false });
    await client.delete(key);
    expect(await client.waitFor(key, { version: version + 1, timeoutS: 5 })).toEqual({ version: version + 2, value: null, contentType: null, changed: true });
    await expect(client.waitFor(key, { version: -1 })).rejects.toBeInstanceOf(BadRequest);
  });

  it("watch: typed put and delete events in order, resumed after a broken stream without repeats", async () => {
    const key = freshKey("cw-watch");
    await client.put(key, "one");
    // A fetch that breaks the first stream after its first event: the client must reconnect from that version.
    let opened = 0;
    const seenLastEventIds: (string | null)[] = [];
    const flaky: FetchLike = async (input, init) => {
      const response = await toWorker(input, init);
      if (!input.includes("/v1/watch/")) return response;
      seenLastEventIds.push(new Headers(init?.headers).get("last-event-id"));
      if (++opened > 1) return response;
      const reader = response.body!.getReader();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          const text = done ? "" : new TextDecoder().decode(value);
          if (done || (sent > 0 && text.includes("event:"))) {
            await reader.cancel();
            controller.error(new Error("connection reset (test)"));
            return;
          }
          if (text.includes("event:")) sent++;
          controller.enqueue(value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const watcher = createClient({ baseUrl: BASE, fetch: flaky });
    const abort = new AbortController();
    const events: string[] = [];
    const done = (async () => {
      for await (const e of watcher.watch(key, { signal: abort.signal, reconnectMs: 50 })) {
        events.push(e.kind === "put" ? `${e.version} put ${new TextDecoder().decode(e.value)}` : `${e.version} delete`);
        if (events.length === 3) abort.abort();
      }
    })();
    while (events.length < 1) await new Promise((r) => setTimeout(r, 20));
    await client.put(key, "two");
    while (events.length < 2) await new Promise((r) => setTimeout(r, 20));
    await client.delete(key);
    await done;
    expect(events).toEqual(["1 put one", "2 put two", "3 delete"]);
    expect(opened).toBeGreaterThanOrEqual(2);
    expect(seenLastEventIds[0]).toBe("0");
    expect(seenLastEventIds[1]).toBe("1");
  });

  it("watchPrefix: every key, synced, then changes; a broken stream resumes from the last id without repeats", async () => {
    const prefix = `${freshKey("cw-prefix")}/`;
    await client.put(`${prefix}a`, "1");
    await client.put(`${prefix}b`, "2");
    let opened = 0;
    const lastIds: (string | null)[] = [];
    // The first stream breaks right after its synced event.
    const flaky: FetchLike = async (input, init) => {
      const response = await toWorker(input, init);
      if (!input.includes("/v1/watch?")) return response;
      lastIds.push(new Headers(init?.headers).get("last-event-id"));
      if (++opened > 1) return response;
      const reader = response.body!.getReader();
      let text = "";
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (text.includes("event: synced")) {
            await reader.cancel();
            controller.error(new Error("connection reset (test)"));
            return;
          }
          const { done, value } = await reader.read();
          if (done) return controller.close();
          text += new TextDecoder().decode(value);
          controller.enqueue(value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const watcher = createClient({ baseUrl: BASE, fetch: flaky });
    const abort = new AbortController();
    const events: string[] = [];
    const ids: string[] = [];
    const done = (async () => {
      for await (const e of watcher.watchPrefix(prefix, { signal: abort.signal, reconnectMs: 50, onId: (id) => ids.push(id) })) {
        const name = "key" in e ? e.key.slice(prefix.length) : "";
        events.push(e.kind === "synced" ? `synced ${e.keys}` : `${e.kind} ${name}`);
        if (events.includes("put c") && events.includes("delete a")) abort.abort();
      }
    })();
    while (!events.includes("synced 2")) await new Promise((r) => setTimeout(r, 20));
    while (opened < 2) await new Promise((r) => setTimeout(r, 20));
    await client.put(`${prefix}c`, "3");
    await client.delete(`${prefix}a`);
    await done;
    expect(events.slice(0, 3).sort()).toEqual(["put a", "put b", "synced 2"].sort());
    expect(events[2]).toBe("synced 2");
    // The reconnected stream starts from the synced id: nothing of a and b again, a second synced, then the changes
    // (each key in order; two keys in either order: their hints travel apart, and a late one waits for a recheck).
    expect(events[3]).toBe("synced 2");
    expect(events.slice(4).sort()).toEqual(["delete a", "put c"]);
    expect(lastIds[0]).toBeNull();
    expect(lastIds[1]).toBe(ids[2]);
    await expect(async () => {
      for await (const _ of client.watchPrefix("bad\u0001")) break;
    }).rejects.toBeInstanceOf(BadRequest);
  });
});
