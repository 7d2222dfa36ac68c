import { describe, expect, it } from "vitest";
import { checkHistory, describeEvent, type CheckResult } from "./checker.js";
import { NEVER_WRITTEN, simulate } from "./gen.js";
import { HistoryRecorder, type Event, type Op, type Result } from "./history.js";
import { rng } from "./rng.js";

// Terse builders: ev(client, op, call, ret, result); ret/result null = unknown.
const ev = (client: number, op: Op, call: number, ret: number | null, result: Result | null, key = "k"): Event => ({
  key,
  client,
  op,
  call,
  ret,
  result,
});
const read: Op = { kind: "read" };
const write = (value: string): Op => ({ kind: "write", value });
const cas = (expect: number, value: string): Op => ({ kind: "cas", expect, value });
const create = (value: string): Op => ({ kind: "create", value });
const del = (expect?: number): Op => (expect === undefined ? { kind: "delete" } : { kind: "delete", expect });
const inc = (by: number): Op => ({ kind: "increment", by });
const ok = (version: number): Result => ({ ok: true, version });
const refused = (current: number | null): Result => ({ ok: false, current });
const found = (value: string, version: number): Result => ({ found: true, value, version });
const absent: Result = { found: false };
const incOk = (value: number, version: number): Result => ({ ok: true, value, version });

function expectOk(events: Event[]): void {
  const verdict = checkHistory(events);
  if (verdict.ok !== true) throw new Error(`expected linearizable, got:\n${"reason" in verdict ? verdict.reason : ""}`);
}

function expectViolation(events: Event[], key = "k"): Extract<CheckResult, { ok: false }> {
  const verdict = checkHistory(events);
  expect(verdict.ok).toBe(false);
  if (verdict.ok !== false) throw new Error("unreachable");
  expect(verdict.key).toBe(key);
  return verdict;
}

describe("linearizable histories", () => {
  it("accepts a sequential history exercising every op", () => {
    let t = 0;
    const seq = (op: Op, result: Result) => ev(1, op, t++, t++, result);
    expectOk([
      seq(read, absent),
      seq(cas(0, "x"), refused(null)),
      seq(del(), refused(null)),
      seq(write("a"), ok(1)),
      seq(read, found("a", 1)),
      seq(cas(1, "b"), ok(2)),
      seq(cas(1, "c"), refused(2)),
      seq(create("c"), refused(2)),
      seq(del(1), refused(2)),
      seq(inc(1), { ok: false, notInteger: true }),
      seq(del(2), ok(3)),
      seq(read, absent),
      seq(cas(3, "x"), refused(null)),
      seq(create("c"), ok(4)),
      seq(write("5"), ok(5)),
      seq(inc(3), incOk(8, 6)),
      seq(inc(Number.MAX_SAFE_INTEGER), { ok: false, overflow: true }),
      seq(read, found("8", 6)),
      seq(del(), ok(7)),
      seq(inc(-2), incOk(-2, 8)),
      seq(write("01"), ok(9)),
      seq(inc(1), { ok: false, notInteger: true }),
    ]);
  });

  it("lets a read concurrent with a write see either value", () => {
    const base = ev(1, write("a"), 0, 1, ok(1));
    expectOk([base, ev(1, write("b"), 2, 10, ok(2)), ev(2, read, 3, 5, found("a", 1))]);
    expectOk([base, ev(1, write("b"), 2, 10, ok(2)), ev(2, read, 3, 5, found("b", 2))]);
  });

  it("orders concurrent increments by their reported versions", () => {
    expectOk([
      ev(1, inc(1), 0, 10, incOk(3, 3)),
      ev(2, inc(1), 1, 9, incOk(1, 1)),
      ev(3, inc(1), 2, 8, incOk(2, 2)),
      ev(4, read, 11, 12, found("3", 3)),
    ]);
  });

  it("accepts a refused CAS reporting the version at its linearization point", () => {
    expectOk([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(1, write("b"), 2, 6, ok(2)),
      ev(2, cas(1, "c"), 3, 5, refused(2)),
      ev(2, cas(2, "c"), 7, 8, ok(3)),
    ]);
  });

  it("accepts an unknown write that takes effect long after it was called", () => {
    expectOk([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(2, write("b"), 2, null, null),
      ev(1, read, 10, 11, found("a", 1)),
      ev(1, read, 20, 21, found("b", 2)),
    ]);
  });

  it("accepts an unknown write that never takes effect", () => {
    expectOk([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(2, write("b"), 2, 5, null),
      ev(1, read, 10, 11, found("a", 1)),
      ev(1, write("c"), 12, 13, ok(2)),
      ev(1, read, 20, 21, found("c", 2)),
    ]);
  });

  it("accepts an unknown write seen by a read although it never returned", () => {
    expectOk([ev(1, write("a"), 0, null, null), ev(2, read, 1, 2, found("a", 1))]);
    // The client gave up at 5, but the effect still lands before the read at 10.
    expectOk([ev(1, write("a"), 0, 5, null), ev(2, read, 10, 11, found("a", 1))]);
  });

  it("accepts an unknown increment whose effect is visible through versions only", () => {
    expectOk([
      ev(1, write("1"), 0, 1, ok(1)),
      ev(2, inc(5), 2, null, null),
      ev(1, write("z"), 10, 11, ok(3)),
      ev(1, read, 12, 13, found("z", 3)),
    ]);
  });

  it("treats ops touching at one instant as concurrent", () => {
    expectOk([ev(1, write("a"), 0, 5, ok(1)), ev(2, read, 5, 6, absent)]);
  });
});

describe("non-linearizable histories", () => {
  it("rejects a stale read", () => {
    const r = expectViolation([ev(1, write("a"), 0, 1, ok(1)), ev(2, read, 2, 3, absent)]);
    expect(r.events.map((e) => e.op.kind)).toContain("read");
    expect(r.reason).toContain("not linearizable");
  });

  it("rejects a lost write (final read shows the first of two acknowledged writes)", () => {
    const writes = [ev(1, write("a"), 0, 1, ok(1)), ev(1, write("b"), 2, 3, ok(2))];
    expectViolation([...writes, ev(2, read, 4, 5, found("a", 1))]);
    expectViolation([...writes, ev(2, read, 4, 5, found("a", 2))]);
  });

  it("rejects two CAS wins on the same expected version", () => {
    const base = ev(1, write("a"), 0, 1, ok(1));
    expectViolation([base, ev(1, cas(1, "b"), 2, 10, ok(2)), ev(2, cas(1, "c"), 3, 9, ok(2))]);
    expectViolation([base, ev(1, cas(1, "b"), 2, 10, ok(2)), ev(2, cas(1, "c"), 3, 9, ok(3))]);
  });

  it("rejects a refused write that becomes visible", () => {
    expectViolation([
      ev(1, create("a"), 0, 1, ok(1)),
      ev(2, create("b"), 2, 3, refused(1)),
      ev(1, read, 4, 5, found("b", 2)),
    ]);
    expectViolation([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(2, cas(7, "b"), 2, 3, refused(1)),
      ev(1, read, 4, 5, found("b", 2)),
    ]);
  });

  it("rejects an unknown write that appears and then disappears", () => {
    expectViolation([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(2, write("b"), 2, null, null),
      ev(1, read, 3, 4, found("b", 2)),
      ev(1, read, 5, 6, found("a", 1)),
    ]);
  });

  it("rejects duplicated increment results", () => {
    expectViolation([ev(1, inc(1), 0, 5, incOk(1, 1)), ev(2, inc(1), 1, 4, incOk(1, 1))]);
    expectViolation([ev(1, inc(1), 0, 5, incOk(1, 1)), ev(2, inc(1), 1, 4, incOk(1, 2))]);
  });

  it("rejects a refusal reporting the wrong current version", () => {
    const writes = [ev(1, write("a"), 0, 1, ok(1)), ev(1, write("b"), 2, 3, ok(2))];
    expectViolation([...writes, ev(2, create("c"), 4, 5, refused(1))]);
    expectViolation([...writes, ev(2, cas(1, "c"), 4, 5, refused(null))]);
    expectViolation([ev(2, del(), 0, 1, refused(0))]);
  });

  it("rejects a version that skips", () => {
    expectViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, write("b"), 2, 3, ok(3))]);
    expectViolation([ev(1, write("a"), 0, 1, ok(1)), ev(2, read, 2, 3, found("a", 2))]);
  });

  it("rejects a result with extra or missing fields", () => {
    expectViolation([ev(1, write("a"), 0, 1, { ok: true, version: 1, value: 1 })]);
    expectViolation([ev(1, inc(1), 0, 1, ok(1))]);
  });

  it("explains the failure with the deepest partial linearization", () => {
    const stale = ev(3, read, 6, 7, found("a", 1));
    const r = expectViolation([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(2, write("b"), 2, 3, ok(2)),
      ev(1, read, 4, 5, found("b", 2)),
      stale,
    ]);
    expect(r.reason).toContain("at most 3 of 4 completed ops");
    expect(r.reason).toContain('state v2 "b"');
    expect(r.reason).toContain(describeEvent(stale));
    expect(r.reason).toContain('model here: found "b" v2');
    expect(r.events).toContain(stale);
  });
});

describe("several keys", () => {
  it("reports the violating key", () => {
    const r = expectViolation(
      [
        ev(1, write("a"), 0, 1, ok(1), "x"),
        ev(2, write("a"), 0, 1, ok(1), "y"),
        ev(1, read, 2, 3, found("a", 1), "x"),
        ev(2, read, 2, 3, absent, "y"),
        ev(3, read, 2, 3, absent, "z"),
      ],
      "y",
    );
    expect(r.events.every((e) => e.key === "y")).toBe(true);
    expect(r.reason).toContain('"y"');
  });

  it("checks keys independently (each key has its own versions)", () => {
    expectOk([
      ev(1, write("a"), 0, 1, ok(1), "x"),
      ev(1, write("a"), 2, 3, ok(1), "y"),
      ev(1, write("b"), 4, 5, ok(2), "x"),
    ]);
  });
});

describe("budget and input validation", () => {
  it("gives up with ok: 'unknown' when the step budget runs out", () => {
    const events = simulate({ seed: 7, ops: 300, clients: 8 });
    expect(checkHistory(events).ok).toBe(true);
    const verdict = checkHistory(events, { maxSteps: 50 });
    expect(verdict.ok).toBe("unknown");
    if (verdict.ok !== "unknown") throw new Error("unreachable");
    expect(verdict.key).toBe("k");
    expect(verdict.reason).toContain("budget exceeded");
  });

  it("prefers a definite violation on one key over an undecided key", () => {
    const undecided = simulate({ seed: 7, ops: 300, clients: 8, keys: ["big"] });
    const bad = [ev(1, write("a"), 0, 1, ok(1), "small"), ev(1, read, 2, 3, absent, "small")];
    const verdict = checkHistory([...undecided, ...bad], { maxSteps: 50 });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.key).toBe("small");
  });

  it("throws on malformed events", () => {
    expect(() => checkHistory([ev(1, read, 5, 4, absent)])).toThrow(/ret before call/);
    expect(() => checkHistory([ev(1, read, 5, null, absent)])).toThrow(/result without ret/);
  });
});

describe("HistoryRecorder and describeEvent", () => {
  it("records completed, abandoned and pending ops", () => {
    const h = new HistoryRecorder();
    const a = h.invoke("k", 1, write("a"), 0);
    const b = h.invoke("k", 2, write("b"), 1);
    const c = h.invoke("k", 3, read, 2);
    h.complete(a, ok(1), 3);
    h.unknown(b, 4);
    expect(() => h.complete(a, ok(1), 5)).toThrow(/already finished/);
    expect(() => h.complete(c, absent, 1)).toThrow(/before its call/);
    const events = h.events();
    expect(events).toEqual([
      ev(1, write("a"), 0, 3, ok(1)),
      ev(2, write("b"), 1, 4, null),
      ev(3, read, 2, null, null),
    ]);
    expect(checkHistory(events).ok).toBe(true);
  });

  it("pretty-prints events", () => {
    expect(describeEvent(ev(3, write("a"), 10, 12, ok(4)))).toBe('"k" c3 write("a") -> ok v4 [10, 12]');
    expect(describeEvent(ev(1, cas(2, "b"), 0, 1, refused(null)))).toBe('"k" c1 cas(expect=2, "b") -> refused: absent [0, 1]');
    expect(describeEvent(ev(1, inc(2), 0, 1, incOk(5, 3)))).toBe('"k" c1 increment(2) -> ok 5 v3 [0, 1]');
    expect(describeEvent(ev(1, del(3), 0, 7, null))).toBe('"k" c1 delete(expect=3) -> ? (unknown) [0, gave up 7)');
    expect(describeEvent(ev(1, read, 0, null, null))).toBe('"k" c1 read() -> ? (unknown) [0, ...)');
    expect(describeEvent(ev(1, read, 0, 1, found("x", 2)))).toBe('"k" c1 read() -> found "x" v2 [0, 1]');
  });
});

describe("randomized self-test", () => {
  // Every completed result can be replaced by one the model can never produce
  // for that op on this key (impossible version, unwritten value, fractional sum).
  function corrupt(e: Event, impossibleVersion: number): Result {
    const r = e.result!;
    if ("found" in r) return { found: true, value: NEVER_WRITTEN, version: r.found ? r.version : 1 };
    if (r.ok && "value" in r) return { ok: true, value: r.value + 0.5, version: r.version };
    if (r.ok) return { ok: true, version: impossibleVersion };
    return { ok: false, current: impossibleVersion };
  }

  it("accepts model-generated histories and rejects them once corrupted", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const keys = seed % 3 === 0 ? ["p", "q"] : ["k"];
      const events = simulate({ seed, ops: 20 + r.int(120), clients: 1 + (seed % 6), keys, unknownRate: 0.1 });
      const verdict = checkHistory(events);
      if (verdict.ok !== true) throw new Error(`seed ${seed}: expected ok\n${"reason" in verdict ? verdict.reason : ""}`);

      const completed = events.filter((e) => e.result !== null);
      const victim = r.pick(completed);
      const bad = events.map((e) => (e === victim ? { ...e, result: corrupt(e, events.length + 1) } : e));
      const broken = checkHistory(bad);
      expect(broken.ok, `seed ${seed}: corrupted ${describeEvent(victim)}`).toBe(false);
      expect(broken.ok === false && broken.key).toBe(victim.key);
    }
  });
});

describe("performance sanity", () => {
  it("checks 2,000 ops from 8 concurrent clients with unknown ops", () => {
    const events = simulate({ seed: 42, ops: 2000, clients: 8, unknownRate: 0.05 });
    expect(events.filter((e) => e.result === null).length).toBeGreaterThan(50);
    expect(checkHistory(events)).toEqual({ ok: true });
  });

  it("checks 3 keys x 2,000 ops with many lost replies", () => {
    const events = simulate({ seed: 43, ops: 6000, clients: 10, keys: ["a", "b", "c"], unknownRate: 0.15 });
    expect(checkHistory(events)).toEqual({ ok: true });
  });
});
