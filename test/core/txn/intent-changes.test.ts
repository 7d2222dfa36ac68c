import { describe, expect, it } from "vitest";
import { compareAndSet, increment, write, type Change } from "../../../src/core/change.js";
import { compose } from "../../../src/core/compose.js";
import { comparePositions, positionOf, type Register, type RegisterState } from "../../../src/core/register.js";
import { withoutIntent } from "../../../src/core/txn/intent.js";
import { guarded, placeIntent, resolveIntent } from "../../../src/core/txn/intent-changes.js";
import { comparesHoldOn, invalidReason, type TxnRequest } from "../../../src/core/txn/request.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined) => (b == null ? null : new TextDecoder().decode(b));
const live = (version: number, text: string): RegisterState => ({ version, value: enc(text), contentType: "text/plain", origin: "o" });
const tomb = (version: number): RegisterState => ({ version, value: null, contentType: "", origin: "o" });
const RECORD = "\u0001txn:T";

/** A transfer's shape: compare k's value, increment k and m, else get k. */
const transfer = (from: string, balance: string, to: string, amount: number): TxnRequest => ({
  compare: [{ key: from, value: enc(balance) }],
  success: [{ op: "increment", key: from, by: -amount }, { op: "increment", key: to, by: amount }],
  failure: [{ op: "get", key: from }],
});

function run(change: Change, current: Register): { kind: "apply"; next: Register } | { kind: "refuse"; code: string } {
  const d = change.apply(current, "p:1");
  return d.kind === "apply" ? { kind: "apply", next: d.next } : { kind: "refuse", code: d.refusal.code };
}

function placed(txn: string, request: TxnRequest, key: string, current: Register): RegisterState {
  const r = run(placeIntent(txn, `\u0001txn:${txn}`, 5, request, key), current);
  if (r.kind !== "apply" || r.next === null) throw new Error("not placed");
  return r.next;
}

/** Short text of a state: v<version>[+hidden] value [intent txn]. */
function show(r: Register): string {
  if (r === null) return "none";
  const v = `v${r.version}${r.hidden ? `+${r.hidden}` : ""}`;
  return `${v} ${r.value === null ? "tombstone" : dec(r.value)}${r.intent ? ` [${r.intent.txn}]` : ""}`;
}

describe("placing an intent", () => {
  // [case, current state, key, expected]
  const cases: [string, Register, string, string][] = [
    ["a live counter: the state stays, the intent and one hidden change are added", live(4, "10"), "a", "v4+1 10 [T]"],
    ["a key never written: a version-0 placeholder carries it", null, "b", "v0+1 tombstone [T]"],
    ["a deleted key: the tombstone carries it", tomb(7), "b", "v7+1 tombstone [T]"],
    ["a state with hidden changes before: one more", { ...live(4, "10"), hidden: 2 }, "a", "v4+3 10 [T]"],
  ];
  for (const [name, current, key, expected] of cases) {
    it(name, () => {
      expect(show(placed("T", transfer("a", "10", "b", 3), key, current))).toBe(expected);
    });
  }

  it("fixes the next state of both branches from the state it locks (an increment's sum)", () => {
    const s = placed("T", transfer("a", "10", "b", 3), "a", live(4, "10"));
    expect(s.intent?.success).toMatchObject({ kind: "put", contentType: "text/plain; charset=utf-8" });
    expect(dec((s.intent?.success as { value: Uint8Array }).value)).toBe("7");
    expect(s.intent?.failure).toEqual({ kind: "keep" });
    expect(s.intent).toMatchObject({ txn: "T", record: RECORD, startedAt: 5 });
  });

  it("is idempotent: placed again on its own intent, nothing changes (the very same state)", () => {
    const s = placed("T", transfer("a", "10", "b", 3), "a", live(4, "10"));
    expect(run(placeIntent("T", RECORD, 5, transfer("a", "10", "b", 3), "a"), s)).toEqual({ kind: "apply", next: s });
  });

  it("refuses while another transaction's intent is there, naming it", () => {
    const s = placed("U", transfer("a", "10", "b", 3), "a", live(4, "10"));
    const d = placeIntent("T", RECORD, 5, transfer("a", "10", "b", 3), "a").apply(s, "p:1");
    expect(d).toMatchObject({ kind: "refuse", refusal: { code: "intent_present", current: { intent: { txn: "U" } } } });
  });

  it("an increment of a non-integer plans to keep the key (the coordinator aborts if that branch is taken)", () => {
    const s = placed("T", transfer("a", "10", "b", 3), "b", live(2, "text"));
    expect(s.intent?.success).toEqual({ kind: "keep" });
  });
});

describe("resolving an intent", () => {
  const request: TxnRequest = {
    compare: [{ key: "a", version: 4 }],
    success: [{ op: "put", key: "a", value: enc("new"), contentType: "t/x" }, { op: "delete", key: "d" }, { op: "get", key: "g" }],
    failure: [{ op: "put", key: "g", value: enc("fail"), contentType: "t/y" }],
  };
  // [case, key, state before, resolution, expected state after]
  const cases: [string, string, Register, Parameters<typeof resolveIntent>[1], string][] = [
    ["committed put: version + 1, the value put, origin the transaction", "a", live(4, "old"), { committed: true, succeeded: true }, "v5 new"],
    ["committed delete of a live key: a tombstone at version + 1", "d", live(9, "x"), { committed: true, succeeded: true }, "v10 tombstone"],
    ["committed delete of a deleted key: no visible change", "d", tomb(9), { committed: true, succeeded: true }, "v9+2 tombstone"],
    ["committed get: the intent dropped, no visible change", "g", live(2, "keep"), { committed: true, succeeded: true }, "v2+2 keep"],
    ["committed on the failure branch: that branch's put", "g", live(2, "keep"), { committed: true, succeeded: false }, "v3 fail"],
    ["committed put on a key never written: version 1", "a", null, { committed: true, succeeded: true }, "v1 new"],
    ["aborted: dropped, same version and value", "a", live(4, "old"), { committed: false }, "v4+2 old"],
    ["aborted on a key never written: the placeholder stays, clients see no key", "a", null, { committed: false }, "v0+2 tombstone"],
  ];
  for (const [name, key, before, resolution, expected] of cases) {
    it(name, () => {
      const s = placed("T", request, key, before);
      const r = run(resolveIntent("T", resolution), s);
      expect(r.kind).toBe("apply");
      const next = (r as { next: Register }).next;
      expect(show(next)).toBe(expected);
      expect(next?.intent).toBeUndefined();
      if (next !== null && next.version > (before?.version ?? 0)) expect(next.origin).toBe("T");
      // Every change moves the position strictly up: recovery depends on it.
      expect(comparePositions(positionOf(next), positionOf(s))).toBeGreaterThan(0);
      // Idempotent: resolving again changes nothing.
      expect(run(resolveIntent("T", resolution), next)).toEqual({ kind: "apply", next });
    });
  }

  it("leaves another transaction's intent alone", () => {
    const s = placed("U", request, "a", live(4, "old"));
    expect(run(resolveIntent("T", { committed: true, succeeded: true }), s)).toEqual({ kind: "apply", next: s });
  });

  it("a version-0 placeholder reads as no key at all", () => {
    const s = placed("T", request, "a", null);
    expect(withoutIntent(s)).toBeNull();
    const dropped = (run(resolveIntent("T", { committed: false }), s) as { next: Register }).next;
    expect(withoutIntent(dropped)).toBeNull();
  });
});

describe("guarded single-key changes", () => {
  const cases: [string, Change, Register, string][] = [
    ["a write on a key without intent is the write itself", write(enc("w"), "t"), live(3, "x"), "v4 w"],
    ["a write after intents were dropped (hidden changes) continues at version + 1", write(enc("w"), "t"), { ...live(3, "x"), hidden: 2 }, "v4 w"],
    ["a CAS on a key without intent", compareAndSet(3, enc("c"), "t"), live(3, "x"), "v4 c"],
    ["an increment on a key without intent", increment(2), live(3, "5"), "v4 7"],
  ];
  for (const [name, change, current, expected] of cases) {
    it(name, () => {
      const r = run(guarded(change), current);
      expect(r.kind).toBe("apply");
      expect(show((r as { next: Register }).next)).toBe(expected);
    });
  }

  it("anything on a key with an intent is refused, naming it, with no effect", () => {
    const s = placed("T", transfer("a", "10", "b", 3), "a", live(4, "10"));
    for (const change of [write(enc("w"), "t"), compareAndSet(4, enc("c"), "t"), increment(1)]) {
      expect(run(guarded(change), s)).toEqual({ kind: "refuse", code: "intent_present" });
    }
  });

  it("composes into one round like any change (coalescing), and the lineage entry carries the hidden count", () => {
    const s = placed("T", transfer("a", "10", "b", 3), "a", live(4, "10"));
    const c = compose([resolveIntent("T", { committed: false })], s, "p:9");
    expect(c.next?.lineage?.[0]).toEqual({ origin: "p:9", version: 4, hidden: 2 });
  });
});

describe("transaction requests", () => {
  const cases: [string, TxnRequest, string | null][] = [
    ["a transfer", transfer("a", "1", "b", 1), null],
    ["no key", { compare: [], success: [], failure: [] }, "a transaction needs at least one key"],
    ["a key twice in a branch", { compare: [], success: [{ op: "get", key: "a" }, { op: "delete", key: "a" }], failure: [] }, 'key "a" appears twice among the success ops'],
    ["a key once in each branch is fine", { compare: [], success: [{ op: "get", key: "a" }], failure: [{ op: "delete", key: "a" }] }, null],
    ["65 keys", { compare: [], success: Array.from({ length: 65 }, (_, i) => ({ op: "get" as const, key: `k${i}` })), failure: [] }, "a transaction touches at most 64 keys (this one 65)"],
    ["64 keys", { compare: [], success: Array.from({ length: 64 }, (_, i) => ({ op: "get" as const, key: `k${i}` })), failure: [] }, null],
  ];
  for (const [name, request, expected] of cases) it(`${name}: ${expected ?? "valid"}`, () => expect(invalidReason(request)).toBe(expected));

  // [compare, state, holds]
  const compares: [string, TxnRequest["compare"][number], Register, boolean][] = [
    ["version of a live key", { key: "a", version: 4 }, live(4, "x"), true],
    ["version mismatch", { key: "a", version: 3 }, live(4, "x"), false],
    ["version 0 of an absent key", { key: "a", version: 0 }, null, true],
    ["version 0 of a deleted key", { key: "a", version: 0 }, tomb(5), true],
    ["version of a deleted key", { key: "a", version: 5 }, tomb(5), false],
    ["exists, live", { key: "a", exists: true }, live(1, "x"), true],
    ["exists, deleted", { key: "a", exists: true }, tomb(2), false],
    ["not exists, absent", { key: "a", exists: false }, null, true],
    ["value equal", { key: "a", value: enc("x") }, live(1, "x"), true],
    ["value differs", { key: "a", value: enc("y") }, live(1, "x"), false],
    ["value of an absent key", { key: "a", value: enc("") }, null, false],
  ];
  for (const [name, c, state, holds] of compares) {
    it(`compare ${name}: ${holds}`, () => expect(comparesHoldOn({ compare: [c], success: [], failure: [] }, "a", state)).toBe(holds));
  }
});

