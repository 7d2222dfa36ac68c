import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adminView, worker } from "./admin-helpers.js";
import { call, freshKey, keyPath } from "./helpers.js";

// Property: random requests (methods, paths with random bytes and percent-encodings, headers, bodies) against the
// real Worker never answer a 5xx other than 503/504, every error is JSON {"error": {"code", "message"}}, and keys
// no request addresses (sentinels) keep exactly their raw slots on every acceptor.

const targets = [freshKey("fz"), freshKey("fz"), "fz-counter-" + freshKey(), "a/b ü"];

const hex = (b: number) => "%" + b.toString(16).padStart(2, "0").toUpperCase();
const rawChars = ["a", "Z", "0", "%", "%2", "%ZZ", "%00", "%2F", "%2e", ".", "..", "/", "?", "#", " ", "\\", "+", "~", "€", "ü", "\u0085", ":", "@", ";"];

const segment = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...targets).map((k) => encodeURIComponent(k)) },
  fc.string({ maxLength: 20, unit: "grapheme" }).map((s) => encodeURIComponent(s)),
  fc.uint8Array({ maxLength: 24 }).map((bytes) => Array.from(bytes, hex).join("")),
  fc.array(fc.constantFrom(...rawChars), { maxLength: 12 }).map((parts) => parts.join("")),
  fc.constantFrom("k".repeat(512), "k".repeat(513), "%E2%82%AC".repeat(171), "", "increment", "keys", "v1"),
);

const path = fc.oneof(
  { weight: 4, arbitrary: segment.map((s) => `/v1/keys/${s}`) },
  { weight: 3, arbitrary: segment.map((s) => `/v1/keys/${s}/increment`) },
  { weight: 1, arbitrary: segment.map((s) => `/v1/admin/keys/${s}`) },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((parts) => "/" + parts.join("/")) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("/v1/", "/v1/keys/", "/v1/admin/", "/v1/locks/", "/v1/health", "/v1/openapi.json", "/"), segment).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.constantFrom("/v1/admin/faults", "/v1/health", "/v1/openapi.json", "/v1/keys", "/v1/keys/", "/") },
);

const tag = fc.constantFrom('"1"', '"2"', '"3"', "*", 'W/"1"', '"abc"', ' "1" ', '"1", "2"', "garbage", '"99999999999999999999"', '"0"', "**");
/** Each header present about one time in four to eight (preconditions and Content-Length mostly make a 400). */
const optional = <T>(arb: fc.Arbitrary<T>, oneIn = 4) =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const headers = fc
  .record({
    "if-match": optional(tag, 6),
    "if-none-match": optional(tag, 6),
    "content-type": optional(fc.constantFrom("text/plain", "application/json", "a/b; x=y", "x")),
    "content-length": optional(fc.constantFrom("0", "1", "5", "abc", "-1", "99999999", "1048577"), 8),
    authorization: optional(fc.constantFrom("Bearer nope", "Basic x")),
  })
  .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>);

const body = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -3, max: 3 }).map((by) => JSON.stringify({ by })),
  fc.string({ maxLength: 64 }),
  fc.record({ by: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.constant(null), fc.constant(9007199254740991)) }, { requiredKeys: [] })
    .map((o) => JSON.stringify(o)),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom("{", "[]", "null", '{"acceptor":0}', "x".repeat(2000)),
);

const anyMethod = fc.constantFrom("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "FOO");

/** Mostly requests aimed at the key routes with their own methods; some wild ones. */
const request = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.constantFrom("GET", "HEAD", "PUT", "DELETE"),
      path: segment.map((s) => `/v1/keys/${s}`),
      headers,
      body,
    }),
  },
  { weight: 2, arbitrary: fc.record({ method: fc.constant("POST"), path: segment.map((s) => `/v1/keys/${s}/increment`), headers, body }) },
  { weight: 2, arbitrary: fc.record({ method: anyMethod, path, headers, body }) },
);

describe("random requests", () => {
  it("never answer an unexpected 5xx, always answer errors as JSON, and leave untouched keys alone", async () => {
    const sentinels = [freshKey("sentinel"), freshKey("sentinel")];
    await call(keyPath(sentinels[0]!), { method: "PUT", body: "keep me", headers: { "content-type": "text/plain" } });
    await call(keyPath(sentinels[1]!, "/increment"), { method: "POST", body: '{"by":41}' });
    await call(keyPath(sentinels[1]!, "/increment"), { method: "POST" });
    for (const key of targets) await call(keyPath(key), { method: "PUT", body: "1" });
    // Wait until every acceptor holds the sentinels' states, then snapshot their raw slots.
    const snapshot = async () => JSON.stringify(await Promise.all(sentinels.map((k) => adminView(worker, k))));
    for (let i = 0; i < 50 && !(await snapshot()).match(/^(?!.*"present":false)(?!.*"error")/); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const before = await snapshot();
    let requests = 0;
    const statuses = new Map<string, number>();

    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, headers, body }) => {
        // Never reconfigure faults or restart acceptors from the fuzzer: those are the admin's legitimate writes.
        const m = path.startsWith("/v1/admin/faults") || path.startsWith("/v1/admin/acceptors") ? "GET" : method;
        const init: RequestInit = { method: m, headers };
        if (m !== "GET" && m !== "HEAD" && body !== undefined) init.body = body;
        let res: Response;
        try {
          res = await call(path, init);
        } catch (error) {
          // Only the Request constructor may refuse (e.g. a path it cannot parse); the Worker itself must answer.
          expect(String(error)).toMatch(/TypeError|Invalid/);
          return;
        }
        requests++;
        const label = res.status >= 400 && m !== "HEAD" ? `${res.status} ${((await res.clone().json()) as { error: { code: string } }).error?.code}` : String(res.status);
        statuses.set(label, (statuses.get(label) ?? 0) + 1);
        const context = `${m} ${path} ${JSON.stringify(headers)} -> ${res.status}`;
        expect(res.status >= 500 && res.status !== 503 && res.status !== 504, context).toBe(false);
        if (res.status >= 400 && m !== "HEAD") {
          expect(res.headers.get("content-type"), context).toMatch(/^application\/json/);
          const parsed = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.code, context).toBe("string");
          expect(typeof parsed.error?.message, context).toBe("string");
        } else {
          await res.arrayBuffer();
        }
      }),
      { numRuns: 300 },
    );

    console.log("fuzz statuses:", JSON.stringify(Object.fromEntries([...statuses].sort())));
    expect(requests).toBeGreaterThan(200);
    expect(await snapshot()).toBe(before);
    const first = await call(keyPath(sentinels[0]!));
    expect(first.headers.get("etag")).toBe('"1"');
    expect(await first.text()).toBe("keep me");
    const second = await call(keyPath(sentinels[1]!));
    expect(second.headers.get("etag")).toBe('"2"');
    expect(await second.text()).toBe("42");
  }, 60_000);
});
