import { describe, expect, it } from "vitest";
import {
  BadRequest,
  BallotError,
  Conflict,
  Forbidden,
  OutcomeUnknown,
  Unavailable,
  createClient,
  type FetchLike,
} from "../../src/client/index.js";

// The transaction builder against a fake fetch: the request it sends, and how it reads answers and errors.
// test/workers/client-txn.test.ts runs it against the real route.

interface Seen {
  signal: AbortSignal;
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** A client whose fetch records each request and answers with `answer` (a status and body, or a thrown error). */
function fake(answer: (seen: Seen) => Response | Promise<Response>, options: { baseUrl?: string; timeoutMs?: number } = {}) {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (input, init) => {
    const request = new Request(input, init);
    const text = await request.text();
    const entry = { signal: init?.signal ?? request.signal, url: request.url, method: request.method, headers: request.headers, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
    seen.push(entry);
    return answer(entry);
  };
  const client = createClient({ baseUrl: options.baseUrl ?? "https://ballot.test", token: "t0ken-0123456789", fetch, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  return { client, seen };
}

const ok = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json", ...headers } });
const refusal = (status: number, code: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  new Response(JSON.stringify({ error: { code, message: `refused: ${code}`, ...extra } }), { status, headers: { "content-type": "application/json", ...headers } });

describe("txn(): the request", () => {
  it("sends compare, success and failure as the body of POST /v1/txn, values as text or base64", async () => {
    const { client, seen } = fake(() => ok({ succeeded: true, results: [] }), { baseUrl: "https://ballot.test/prefix/" });
    const bytes = new Uint8Array([0, 1, 254, 255]);
    await client
      .txn()
      .compare("a", { version: 3 })
      .compare("b", { exists: false })
      .compare("c", { value: "10" })
      .compare("d", { value: bytes })
      .compare("e", { version: 0 })
      .onSuccess((t) => t.increment("a", -5).increment("n").put("b", "héllo").put("bin", bytes).putJSON("j", { x: [1] }).put("typed", "<p/>", { contentType: "text/html" }).delete("old"))
      .onFailure((t) => t.get("a").getText("c").getJSON("j"))
      .commit()
      .catch(() => undefined); // the fake answers no results for these ops: the request is what this test reads
    expect(seen).toHaveLength(1);
    const [request] = seen as [Seen];
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://ballot.test/prefix/v1/txn");
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("authorization")).toBe("Bearer t0ken-0123456789");
    expect(request.body).toEqual({
      compare: [
        { key: "a", version: 3 },
        { key: "b", exists: false },
        { key: "c", value: "10" },
        { key: "d", valueBase64: "AAH+/w==" },
        { key: "e", version: 0 },
      ],
      success: [
        { op: "increment", key: "a", by: -5 },
        { op: "increment", key: "n", by: 1 },
        { op: "put", key: "b", value: "héllo", contentType: "text/plain; charset=utf-8" },
        { op: "put", key: "bin", valueBase64: "AAH+/w==", contentType: "application/octet-stream" },
        { op: "put", key: "j", value: '{"x":[1]}', contentType: "application/json" },
        { op: "put", key: "typed", value: "<p/>", contentType: "text/html" },
        { op: "delete", key: "old" },
      ],
      failure: [
        { op: "get", key: "a" },
        { op: "get", key: "c" },
        { op: "get", key: "j" },
      ],
    });
  });

  it("is immutable: each call returns a new transaction, and onSuccess / onFailure add to what is there", async () => {
    const { client } = fake(() => ok({ succeeded: true, results: [] }));
    const base = client.txn().compare("k", { exists: true });
    const one = base.onSuccess((t) => t.get("a"));
    const two = one.onSuccess((t) => t.get("b")).onFailure((t) => t.delete("k"));
    expect(base.toJSON()).toEqual({ compare: [{ key: "k", exists: true }], success: [], failure: [] });
    expect(one.toJSON().success).toEqual([{ op: "get", key: "a" }]);
    expect(JSON.parse(JSON.stringify(two))).toEqual({
      compare: [{ key: "k", exists: true }],
      success: [
        { op: "get", key: "a" },
        { op: "get", key: "b" },
      ],
      failure: [{ op: "delete", key: "k" }],
    });
  });

  it("refuses misuse locally with a TypeError, before sending anything", () => {
    const { client, seen } = fake(() => ok({ succeeded: true, results: [] }));
    const t = client.txn();
    expect(() => t.compare("a", { version: 1, exists: true } as never)).toThrow(/exactly one/);
    expect(() => t.compare("a", {} as never)).toThrow(/exactly one/);
    expect(() => t.compare("a", { version: -1 })).toThrow(TypeError);
    expect(() => t.compare("a", { version: 1.5 })).toThrow(TypeError);
    expect(() => t.compare("", { exists: true })).toThrow(TypeError);
    expect(() => t.onSuccess((o) => o.increment("a", 0.5))).toThrow(/safe integer/);
    expect(() => t.onSuccess((o) => o.increment("a", 2 ** 53))).toThrow(/safe integer/);
    // A callback that drops the chain (forgets to return it) would lose its ops: refused.
    expect(() => t.onSuccess(((o: { get(k: string): unknown }) => void o.get("a")) as never)).toThrow(/must return the builder/);
    expect(seen).toHaveLength(0);
  });
});

describe("txn(): the answer", () => {
  it("decodes the branch taken: increments as numbers, writes as versions, the transaction id", async () => {
    const { client } = fake(() =>
      ok(
        {
          succeeded: true,
          results: [
            { key: "a", version: 4, contentType: "text/plain; charset=utf-8", value: "5" },
            { key: "b", version: 2, contentType: "text/plain; charset=utf-8", value: "-15" },
            { key: "c", version: 7, contentType: "text/plain", value: "x" },
            { key: "d", version: 3, value: null },
          ],
        },
        { "x-ballot-txn": "txn-42" },
      ),
    );
    const r = await client
      .txn()
      .compare("a", { version: 3 })
      .onSuccess((t) => t.increment("a", -5).increment("b", 5).put("c", "x").delete("d"))
      .onFailure((t) => t.get("a"))
      .commit();
    expect(r).toEqual({
      succeeded: true,
      txnId: "txn-42",
      results: [
        { op: "increment", key: "a", version: 4, value: 5 },
        { op: "increment", key: "b", version: 2, value: -15 },
        { op: "put", key: "c", version: 7 },
        { op: "delete", key: "d", version: 3 },
      ],
    });
  });

  it("decodes reads as bytes, text or JSON, from value or valueBase64; an absent key has value and contentType null", async () => {
    const { client } = fake(() =>
      ok({
        succeeded: false,
        results: [
          { key: "t", version: 2, contentType: "text/plain; charset=utf-8", value: "héllo" },
          { key: "bin", version: 1, contentType: "application/octet-stream", valueBase64: "AAH+/w==" },
          { key: "gone", version: 9, value: null },
          { key: "t2", version: 5, contentType: "application/octet-stream", valueBase64: btoa("plain") },
          { key: "j", version: 1, contentType: "application/json", value: '{"n":1}' },
          { key: "jnull", version: 0, value: null },
        ],
      }),
    );
    const r = await client
      .txn()
      .compare("t", { value: "nope" })
      .onFailure((t) => t.get("t").get("bin").get("gone").getText("t2").getJSON<{ n: number }>("j").getJSON("jnull"))
      .commit();
    expect(r.succeeded).toBe(false);
    expect(r.txnId).toBeNull();
    expect(r.results).toEqual([
      { op: "get", key: "t", version: 2, contentType: "text/plain; charset=utf-8", value: new TextEncoder().encode("héllo") },
      { op: "get", key: "bin", version: 1, contentType: "application/octet-stream", value: new Uint8Array([0, 1, 254, 255]) },
      { op: "get", key: "gone", version: 9, contentType: null, value: null },
      { op: "get", key: "t2", version: 5, contentType: "application/octet-stream", value: "plain" },
      { op: "get", key: "j", version: 1, contentType: "application/json", value: { n: 1 } },
      { op: "get", key: "jnull", version: 0, contentType: null, value: null },
    ]);
  });

  it("an answer that does not fit the ops is a BallotError (invalid_response), not a wrong result", async () => {
    const answers = [
      ok({ succeeded: true, results: [] }), // one op, no result
      ok({ succeeded: true, results: [{ key: "other", version: 1, value: null }] }), // another key
      ok({ results: [] }), // no succeeded
      new Response("not json", { status: 200 }),
      ok({ succeeded: true, results: [{ key: "a", version: 1, value: "seven" }] }), // an increment that is no integer
    ];
    for (const answer of answers) {
      const { client } = fake(() => answer);
      const error = await client.txn().onSuccess((t) => t.increment("a")).commit().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BallotError);
      expect((error as BallotError).code).toBe("invalid_response");
    }
    const { client } = fake(() => ok({ succeeded: true, results: [{ key: "j", version: 1, contentType: "application/json", value: "{" }] }));
    const notJson = await client.txn().onSuccess((t) => t.getJSON("j")).commit().catch((e: unknown) => e);
    expect((notJson as BallotError).code).toBe("invalid_json_value");
  });
});

describe("txn(): errors", () => {
  it("maps 400, 413, 403 and 409 to BadRequest, BadRequest, Forbidden and Conflict (with the key and the transaction id)", async () => {
    const cases: [Response, new (...args: never[]) => BallotError, string][] = [
      [refusal(400, "invalid_argument"), BadRequest, "invalid_argument"],
      [refusal(413, "payload_too_large", {}, { limit: 1024 }), BadRequest, "payload_too_large"],
      [refusal(403, "forbidden"), Forbidden, "forbidden"],
      [refusal(409, "not_integer", { "x-ballot-txn": "txn-7" }, { key: "a" }), Conflict, "not_integer"],
    ];
    for (const [response, type, code] of cases) {
      const { client, seen } = fake(() => response);
      const error = await client.txn().onSuccess((t) => t.increment("a")).commit().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as BallotError).code).toBe(code);
      expect((error as BallotError).status).toBe(response.status);
      expect(seen).toHaveLength(1);
    }
    const { client } = fake(() => refusal(409, "not_integer", { "x-ballot-txn": "txn-7" }, { key: "a" }));
    const conflict = (await client.txn().onSuccess((t) => t.increment("a")).commit().catch((e: unknown) => e)) as Conflict;
    expect(conflict.details).toEqual({ key: "a", txn: "txn-7" });
  });

  it("503 is Unavailable with retryAfter and 504 OutcomeUnknown; neither is retried by the client", async () => {
    const busy = fake(() => refusal(503, "unavailable", { "retry-after": "2", "x-ballot-txn": "txn-1" }));
    const unavailable = await busy.client.txn().onSuccess((t) => t.put("a", "1")).commit().catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(Unavailable);
    expect((unavailable as Unavailable).retryAfter).toBe(2);
    expect((unavailable as Unavailable).details.txn).toBe("txn-1");
    expect(busy.seen).toHaveLength(1);

    const unsure = fake(() => refusal(504, "outcome_unknown"));
    const unknown = await unsure.client.txn().onSuccess((t) => t.increment("a")).commit().catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OutcomeUnknown);
    expect((unknown as OutcomeUnknown).status).toBe(504);
    expect(unsure.seen).toHaveLength(1);
  });

  it("no answer: OutcomeUnknown for a transaction that writes, Unavailable for one that only reads", async () => {
    const lost = fake(() => Promise.reject(new TypeError("connection reset")));
    const write = await lost.client.txn().compare("a", { exists: true }).onFailure((t) => t.put("a", "1")).commit().catch((e: unknown) => e);
    expect(write).toBeInstanceOf(OutcomeUnknown);
    expect((write as OutcomeUnknown).code).toBe("network_error");
    const read = await lost.client.txn().compare("a", { exists: true }).onSuccess((t) => t.get("a")).commit().catch((e: unknown) => e);
    expect(read).toBeInstanceOf(Unavailable);
    expect((read as Unavailable).code).toBe("network_error");
    expect(await lost.client.getMany(["a"]).catch((e: unknown) => e)).toBeInstanceOf(Unavailable);

    const never = (seen: Seen) =>
      new Promise<Response>((_, reject) => {
        if (seen.signal.aborted) reject(seen.signal.reason);
        seen.signal.addEventListener("abort", () => reject(seen.signal.reason));
      });
    const silent = fake(never, { timeoutMs: 20 });
    expect(await silent.client.txn().onSuccess((t) => t.increment("a")).commit().catch((e: unknown) => e)).toBeInstanceOf(OutcomeUnknown);
  });
});

describe("getMany()", () => {
  it("reads the keys in one transaction of gets, each key once, and answers in the order asked", async () => {
    const { client, seen } = fake(() =>
      ok({
        succeeded: true,
        results: [
          { key: "b", version: 2, contentType: "text/plain; charset=utf-8", value: "B" },
          { key: "a", version: 0, value: null },
          { key: "c", version: 1, contentType: "application/octet-stream", valueBase64: "AP8=" },
        ],
      }),
    );
    expect(await client.getMany(["b", "a", "c", "b"])).toEqual([
      { value: new TextEncoder().encode("B"), version: 2, contentType: "text/plain; charset=utf-8" },
      null,
      { value: new Uint8Array([0, 255]), version: 1, contentType: "application/octet-stream" },
      { value: new TextEncoder().encode("B"), version: 2, contentType: "text/plain; charset=utf-8" },
    ]);
    expect(seen.map((s) => s.body)).toEqual([
      {
        compare: [],
        success: [
          { op: "get", key: "b" },
          { op: "get", key: "a" },
          { op: "get", key: "c" },
        ],
        failure: [],
      },
    ]);
    expect(await client.getMany([])).toEqual([]);
    expect(seen).toHaveLength(1);
  });
});
