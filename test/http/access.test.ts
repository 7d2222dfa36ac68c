import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bearerToken, identify } from "../../src/http/access/identify.js";
import { grantsFrom, parseAccess, type Grant } from "../../src/http/access/policy.js";
import { requiredAccess } from "../../src/http/access/required-access.js";
import { compareBytes, may, mayRead, mayWrite, readableUnder } from "../../src/http/access/scope.js";
import { txnNeeds, txnRefusal } from "../../src/http/access/txn-access.js";
import type { TxnOp, TxnRequest } from "../../src/core/txn/request.js";

const hex = (token: string) => createHash("sha256").update(token).digest("hex");
const grant = (read: string[], write: string[] = [], admin = false): Grant => ({ name: "g", read, write, admin });

const DASHBOARD = "dashboard-token-0123456789";
const BILLING = "billing-service-token-0123456789";
const OPERATOR = "operator-token-0123456789";
const FULL = "full-access-token-0123456789";
const ADMIN = "admin-only-token-0123456789";

const ACCESS = JSON.stringify([
  { name: "dashboard", sha256: hex(DASHBOARD), read: [""] },
  { name: "billing", sha256: hex(BILLING).toUpperCase(), read: ["config/"], write: ["billing/"] },
  { name: "operator", sha256: hex(OPERATOR), admin: true },
]);

describe("grants from the secrets", () => {
  it("BALLOT_ACCESS grants, BALLOT_TOKENS as full data access, BALLOT_ADMIN_TOKENS as admin only", async () => {
    const entries = await grantsFrom({ BALLOT_ACCESS: ACCESS, BALLOT_TOKENS: FULL, BALLOT_ADMIN_TOKENS: ADMIN });
    const who = async (token: string) => identify(token, entries);
    expect(await who(DASHBOARD)).toEqual({ name: "dashboard", read: [""], write: [], admin: false });
    expect(await who(BILLING)).toEqual({ name: "billing", read: ["config/"], write: ["billing/"], admin: false });
    expect(await who(OPERATOR)).toEqual({ name: "operator", read: [], write: [], admin: true });
    expect(await who(FULL)).toEqual({ name: "BALLOT_TOKENS[0]", read: [""], write: [""], admin: false });
    expect(await who(ADMIN)).toEqual({ name: "BALLOT_ADMIN_TOKENS[0]", read: [], write: [], admin: true });
    // The digest itself is not a token: only its preimage is.
    expect(await who(hex(DASHBOARD))).toBeNull();
    expect(await who("not-a-configured-token-123")).toBeNull();
  });

  it("nothing configured: no grants", async () => {
    expect(await grantsFrom({})).toEqual([]);
    expect(await grantsFrom({ BALLOT_ACCESS: "  ", BALLOT_TOKENS: "" })).toEqual([]);
  });

  const bad: [string, Parameters<typeof grantsFrom>[0], string][] = [
    ["not JSON", { BALLOT_ACCESS: "[{" }, "BALLOT_ACCESS is not JSON"],
    ["not an array", { BALLOT_ACCESS: '{"name":"x"}' }, "must be a JSON array"],
    ["an entry that is not an object", { BALLOT_ACCESS: "[1]" }, "BALLOT_ACCESS[0] must be an object"],
    ["a misspelt field", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: hex("x"), wirte: ["a/"] }]) }, 'unknown field(s) "wirte"'],
    ["no name", { BALLOT_ACCESS: JSON.stringify([{ sha256: hex("x") }]) }, "BALLOT_ACCESS[0].name"],
    ["a name used twice", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: hex("a") }, { name: "x", sha256: hex("b") }]) }, "used twice"],
    ["a token instead of its hash", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: DASHBOARD }]) }, "64 hex digits"],
    ["prefixes not an array", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: hex("x"), read: "a/" }]) }, "BALLOT_ACCESS[0].read must be an array"],
    ["a prefix that is not text", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: hex("x"), write: ["a/\ud800"] }]) }, "not valid Unicode"],
    ["admin not a boolean", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: hex("x"), admin: "yes" }]) }, "admin must be true or false"],
    ["a short data token", { BALLOT_TOKENS: "short" }, "BALLOT_TOKENS: every token"],
    ["a short admin token", { BALLOT_ADMIN_TOKENS: "short" }, "BALLOT_ADMIN_TOKENS: every token"],
    ["one token in two grants", { BALLOT_ACCESS: JSON.stringify([{ name: "x", sha256: hex(FULL) }]), BALLOT_TOKENS: FULL }, "each token must carry one grant"],
  ];
  for (const [what, secrets, message] of bad) {
    it(`refuses ${what}, naming the reason`, async () => {
      await expect(grantsFrom(secrets)).rejects.toThrow(message);
    });
  }
});

describe("bearer header", () => {
  it("takes one token after Bearer, case-insensitively; anything else is no token", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    for (const header of [null, "", "Basic abc", "Bearer", "Bearer a b", "Bearerabc"]) expect(bearerToken(header)).toBeNull();
  });
});

describe("scope rules", () => {
  const billing = parseAccess(ACCESS)[1]!.grant;

  it("read and write by prefix; write includes read of its prefix; nothing else", () => {
    expect(mayRead(billing, "config/flags")).toBe(true);
    expect(mayWrite(billing, "config/flags")).toBe(false);
    expect(mayWrite(billing, "billing/invoice-1")).toBe(true);
    expect(mayRead(billing, "billing/invoice-1")).toBe(true);
    expect(mayRead(billing, "billing")).toBe(false);
    expect(mayRead(billing, "hr/salaries")).toBe(false);
    expect(may(grant([""]), "read", "anything")).toBe(true);
    expect(may(grant([""]), "write", "anything")).toBe(false);
    expect(may(grant([], [], true), "read", "x")).toBe(false);
  });

  it("a listing under a prefix: all of it, the readable ranges inside it, or nothing", () => {
    expect(readableUnder(billing, "config/")).toBe("all");
    expect(readableUnder(billing, "config/a")).toBe("all");
    expect(readableUnder(billing, "")).toEqual(["billing/", "config/"]);
    expect(readableUnder(billing, "b")).toEqual(["billing/"]);
    expect(readableUnder(billing, "hr/")).toEqual([]);
    expect(readableUnder(grant(["a/", "a/b/", "ab"]), "a")).toEqual(["a/", "ab"]);
  });

  it("a listing needs some readable key under its prefix (GET /v1/keys?prefix=P)", () => {
    expect(requiredAccess("GET", "/v1/keys", "?prefix=config%2F&limit=5")).toEqual({ kind: "list", prefix: "config/" });
    expect(requiredAccess("GET", "/v1/keys", "")).toEqual({ kind: "list", prefix: "" });
    // Malformed prefixes and other methods reach the route, which answers 400 or 405 and lists nothing.
    expect(requiredAccess("GET", "/v1/keys", "?prefix=%01")).toEqual({ kind: "any" });
    expect(requiredAccess("POST", "/v1/keys", "?prefix=a")).toEqual({ kind: "any" });
  });

  it("a transaction (POST /v1/txn) is checked by its route, key by key: read for compared and got keys, write for changed ones in either branch", () => {
    expect(requiredAccess("POST", "/v1/txn")).toEqual({ kind: "keys" });
    expect(requiredAccess("GET", "/v1/txn")).toEqual({ kind: "any" });
    const request: TxnRequest = {
      compare: [{ key: "config/a", exists: true }, { key: "billing/x", version: 1 }],
      success: [{ op: "get", key: "config/b" }, { op: "put", key: "billing/y", value: new Uint8Array(), contentType: "text/plain" }],
      failure: [{ op: "increment", key: "billing/x", by: 1 }, { op: "get", key: "billing/y" }],
    };
    expect(txnNeeds(request)).toEqual([
      { key: "config/a", access: "read" },
      { key: "billing/x", access: "write" },
      { key: "config/b", access: "read" },
      { key: "billing/y", access: "write" },
    ]);
    expect(txnRefusal(billing, request)).toBeNull();
    expect(txnRefusal(grant(["config/", "billing/"]), request)).toBe('this token may not write the key "billing/x"');
    expect(txnRefusal(grant([], ["billing/"]), request)).toBe('this token may not read the key "config/a"');
  });

  it("property: a transaction a token may run reads only keys it may read and changes only keys it may write; a refusal names a key it may not touch so", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "/"), maxLength: 3 });
    const op: fc.Arbitrary<TxnOp> = fc.oneof(
      text.map((key) => ({ op: "get" as const, key })),
      text.map((key) => ({ op: "put" as const, key, value: new Uint8Array(), contentType: "x" })),
      text.map((key) => ({ op: "delete" as const, key })),
      text.map((key) => ({ op: "increment" as const, key, by: 1 })),
    );
    const request = fc.record({
      compare: fc.array(text.map((key) => ({ key, exists: true })), { maxLength: 3 }),
      success: fc.array(op, { maxLength: 4 }),
      failure: fc.array(op, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 3 }), fc.array(text, { maxLength: 3 }), request, (read, write, r) => {
        const g = grant(read, write);
        const refusal = txnRefusal(g, r);
        const changed = [...r.success, ...r.failure].filter((o) => o.op !== "get").map((o) => o.key);
        const touched = [...r.compare.map((c) => c.key), ...r.success.map((o) => o.key), ...r.failure.map((o) => o.key)];
        if (refusal === null) {
          for (const key of changed) expect(mayWrite(g, key)).toBe(true);
          for (const key of touched) expect(mayRead(g, key)).toBe(true);
        } else {
          const [, access, key] = /^this token may not (read|write) the key (".*")$/.exec(refusal) ?? [];
          const named = JSON.parse(key!) as string;
          expect(access).toBe(changed.includes(named) ? "write" : "read");
          expect(may(g, access as "read" | "write", named)).toBe(false);
          // The first such key in the body's order.
          expect(touched.find((k) => !may(g, changed.includes(k) ? "write" : "read", k))).toBe(named);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("property: a token reads and writes exactly the keys under its prefixes, and listings show only readable keys", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "/", "é", "😀"), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), fc.array(text, { maxLength: 4 }), text, fc.array(text, { maxLength: 8 }), (read, write, prefix, keys) => {
        const g = grant(read, write);
        for (const key of keys) {
          expect(mayWrite(g, key)).toBe(write.some((p) => key.startsWith(p)));
          expect(mayRead(g, key)).toBe([...read, ...write].some((p) => key.startsWith(p)));
        }
        // Every key a listing of `prefix` would show is readable, and every readable key under `prefix` is shown.
        const scope = readableUnder(g, prefix);
        for (const key of keys.map((k) => prefix + k)) {
          const shown = scope === "all" || scope.some((p) => key.startsWith(p));
          expect(shown).toBe(mayRead(g, key));
        }
        if (scope !== "all") expect([...scope].sort(compareBytes)).toEqual(scope);
      }),
      { numRuns: 500 },
    );
  });
});
