import { describe, expect, it } from "vitest";
import { checkHistory, describeEvent, type CheckResult } from "./checker.js";
import { bruteForceLinearizable } from "./brute.js";
import { NEVER_WRITTEN, randomOp, simulate } from "./gen.js";
import { HistoryRecorder, type Event, type Op, type Result } from "./history.js";
import { initialState, step } from "./model.js";
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

/** Expects the full checker, and the search alone, to accept. */
function expectOk(events: Event[]): void {
  for (const precheck of [true, false]) {
    const verdict = checkHistory(events, { precheck });
    if (verdict.ok !== true) throw new Error(`expected linearizable, got:\n${"reason" in verdict ? verdict.reason : ""}`);
  }
}

/** Expects a violation from the full checker, and from the search alone (without the pre-check). */
function expectViolation(events: Event[], key = "k"): Extract<CheckResult, { ok: false }> {
  const searchOnly = checkHistory(events, { precheck: false });
  expect(searchOnly.ok).toBe(false);
  expect(searchOnly.ok === false && searchOnly.key).toBe(key);
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

  it("rejects an unknown op that would have to take effect twice", () => {
    // Passes the pre-check and the relaxed search (which may reuse the increment); only the exact search refutes it.
    const r = expectViolation([
      ev(1, write("0"), 0, 1, ok(1)),
      ev(2, inc(1), 2, null, null),
      ev(3, write("z"), 2, null, null),
      ev(1, read, 3, 4, found("1", 2)),
      ev(1, read, 5, 6, found("2", 3)),
    ]);
    expect(r.reason).toContain("no order fits more than 2 of its 3 completed ops (5 events).");
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

  it("says when even the relaxed search fails", () => {
    const r = expectViolation([ev(1, write("a"), 0, null, null), ev(2, read, 1, 2, found("a", 1)), ev(2, read, 3, 4, absent)]);
    expect(r.reason).toContain("even letting unknown ops take effect more than once");
  });

  it("explains a search failure with the deepest partial linearization", () => {
    // No version contradicts real time here; only the search sees that nothing deletes "a".
    const absentAgain = ev(3, read, 6, 7, absent);
    const r = expectViolation([
      ev(1, write("a"), 0, 10, ok(1)),
      ev(2, read, 2, 3, absent),
      ev(2, read, 4, 5, found("a", 1)),
      absentAgain,
    ]);
    expect(r.reason).toContain("no order fits more than 3 of its 4 completed ops");
    expect(r.reason).toContain('state v1 "a"');
    expect(r.reason).toContain(`#3 ${describeEvent(absentAgain)}   <- model here: found "a" v1`);
    expect(r.events).toContain(absentAgain);
  });
});

describe("pre-check (necessary conditions, explained)", () => {
  it("an op whose result no state could produce", () => {
    const r = expectViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, cas(1, "b"), 2, 3, refused(1))]);
    expect(r.reason).toMatch(/#1 .*cas\(expect=1, "b"\) -> refused: current v1 .* is impossible in any state/);
  });

  it("two applied ops producing the same version", () => {
    const r = expectViolation([ev(1, cas(0, "b"), 0, 10, refused(null)), ev(1, write("a"), 0, 10, ok(1)), ev(2, write("b"), 0, 10, ok(1))]);
    expect(r.reason).toContain("both produced v1");
    expect(r.events.map((e) => e.client)).toEqual([1, 2]);
  });

  it("two observations of one version that disagree", () => {
    const r = expectViolation([ev(1, write("a"), 0, 10, ok(1)), ev(2, read, 0, 10, found("b", 1))]);
    expect(r.reason).toMatch(/says v1 is "a", but .* says it is "b"/);
  });

  it("a version older than one already reached before the call", () => {
    const r = expectViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, write("b"), 2, 3, ok(2)), ev(2, read, 4, 5, found("a", 1))]);
    expect(r.reason).toMatch(/#2 .* took effect at v1, but #1 .* had reached v2 before #2 was called/);
  });

  it("a version that not enough ops could have produced", () => {
    const r = expectViolation([ev(1, write("a"), 0, 1, ok(1)), ev(2, write("b"), 0, 5, null), ev(1, read, 6, 7, found("c", 3))]);
    expect(r.reason).toContain("reports v3, but only 2 ops that could change the register were called before it returned");
  });

  it("a value that nothing stored", () => {
    const r = expectViolation([ev(1, write("a"), 0, null, null), ev(2, read, 1, 2, found("b", 1))]);
    expect(r.reason).toContain("returns a value that no op called before it returned could have stored");
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
      for (const precheck of [true, false]) {
        const broken = checkHistory(bad, { precheck });
        expect(broken.ok, `seed ${seed} (precheck ${precheck}): corrupted ${describeEvent(victim)}`).toBe(false);
        expect(broken.ok === false && broken.key).toBe(victim.key);
      }
    }
  });
});

describe("cross-check against exhaustive search", () => {
  // Tiny histories with random intervals whose results come from running the
  // model in a random order (so often not linearizable), then partly perturbed.
  function tinyHistory(seed: number): Event[] {
    const r = rng(seed);
    let unique = 0;
    const events = Array.from({ length: 2 + r.int(6) }, (_, i): Event => {
      const call = r.int(10);
      const op = randomOp(r, { version: r.int(4), value: "a" }, () => `w${unique++}`);
      return ev(i, op, call, call + r.int(6), null);
    });
    const order = [...events];
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let state = initialState;
    for (const e of order) {
      const out = step(state, e.op);
      state = out.state;
      e.result = out.result;
    }
    for (const e of events) {
      const roll = r.int(100);
      if (roll < 15) [e.result, e.ret] = [null, r.chance(0.5) ? e.ret : null];
      else if (roll < 30 && e.result !== null && "version" in e.result) e.result = { ...e.result, version: e.result.version + r.pick([-1, 1]) };
    }
    return events;
  }

  it("gives the same verdict as brute force on 3,000 tiny histories", () => {
    let violations = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const events = tinyHistory(seed);
      const expected = bruteForceLinearizable(events);
      for (const precheck of [true, false]) {
        const verdict = checkHistory(events, { precheck });
        if (verdict.ok !== expected) {
          const history = events.map(describeEvent).join("\n");
          throw new Error(`seed ${seed}: brute force says ${expected}, checker (precheck ${precheck}) ${JSON.stringify(verdict)}\n${history}`);
        }
      }
      if (!expected) violations++;
    }
    // Both verdicts must be well represented for the cross-check to mean anything.
    expect(violations).toBeGreaterThan(500);
    expect(violations).toBeLessThan(2500);
  });
});

describe("performance sanity", () => {
  it("checks 2,000 ops from 8 concurrent clients with unknown ops", () => {
    const events = simulate({ seed: 42, ops: 2000, clients: 8, unknownRate: 0.05 });
    expect(events.filter((e) => e.result === null).length).toBeGreaterThan(50);
    expect(checkHistory(events)).toEqual({ ok: true });
  });

  it("finds a late violation in 2,000 ops with the search alone", () => {
    const events = simulate({ seed: 44, ops: 2000, clients: 8, unknownRate: 0.05 });
    const victim = [...events].reverse().find((e) => e.result !== null && "found" in e.result && e.result.found)!;
    const bad = events.map((e) => (e === victim ? { ...e, result: { ...victim.result!, value: NEVER_WRITTEN } } : e));
    const verdict = checkHistory(bad, { precheck: false });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.events).toContain(bad[events.indexOf(victim)]);
  });

  it("checks 3 keys x 2,000 ops with many lost replies", () => {
    const events = simulate({ seed: 43, ops: 6000, clients: 10, keys: ["a", "b", "c"], unknownRate: 0.15 });
    expect(checkHistory(events)).toEqual({ ok: true });
  });
});

describe("version jumps (garbage collection of deleted keys)", () => {
  const jumps = { jumps: true } as const;
  function verdicts(events: Event[]): CheckResult[] {
    return [true, false].map((precheck) => checkHistory(events, { ...jumps, precheck }));
  }
  function expectJumpOk(events: Event[]): void {
    for (const v of verdicts(events)) if (v.ok !== true) throw new Error(`expected linearizable, got:\n${"reason" in v ? v.reason : ""}`);
  }
  function expectJumpViolation(events: Event[]): void {
    for (const v of verdicts(events)) expect(v.ok).toBe(false);
  }

  it("accepts a recreate after a delete that jumps versions", () => {
    const events = [ev(1, write("a"), 0, 1, ok(1)), ev(1, del(), 2, 3, ok(2)), ev(1, create("b"), 4, 5, ok(9)), ev(1, read, 6, 7, found("b", 9))];
    expectJumpOk(events);
    expect(checkHistory(events).ok).toBe(false); // without the allowance it is a skipped version
  });

  it("accepts a first write, an increment and a write from a never-written key that jump", () => {
    expectJumpOk([ev(1, inc(2), 0, 1, incOk(2, 4)), ev(1, write("x"), 2, 3, ok(5))]);
    expectJumpOk([ev(1, write("x"), 0, 1, ok(3)), ev(2, read, 2, 3, found("x", 3))]);
  });

  it("accepts an unknown recreate whose jump is seen only through later versions", () => {
    expectJumpOk([
      ev(1, write("a"), 0, 1, ok(1)),
      ev(1, del(), 2, 3, ok(2)),
      ev(2, create("b"), 4, null, null),
      ev(3, write("c"), 10, 11, ok(8)),
      ev(3, read, 12, 13, found("c", 8)),
    ]);
    // The same with the create's jump revealed by a refusal.
    expectJumpOk([ev(1, del(), 0, 1, refused(null)), ev(2, create("b"), 2, null, null), ev(3, cas(1, "c"), 10, 11, refused(6))]);
  });

  it("rejects a recreate that reuses or lowers a version", () => {
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, del(), 2, 3, ok(2)), ev(1, create("b"), 4, 5, ok(2))]);
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(3)), ev(1, del(), 2, 3, ok(4)), ev(1, create("b"), 4, 5, ok(3))]);
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(5)), ev(1, del(), 2, 3, ok(6)), ev(1, write("b"), 4, 5, ok(1))]);
  });

  it("still rejects a jump from a live state", () => {
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, write("b"), 2, 3, ok(3))]);
    expectJumpViolation([ev(1, create("a"), 0, 1, ok(4)), ev(1, inc(1), 2, 3, incOk(1, 7))]);
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(1)), ev(2, read, 2, 3, found("a", 1)), ev(1, write("b"), 4, 5, ok(3))]);
    // ... unless an unknown delete may have made it absent in between.
    expectJumpOk([ev(1, write("a"), 0, 1, ok(1)), ev(2, del(), 2, null, null), ev(1, write("b"), 4, 5, ok(3))]);
  });

  it("rejects a read of a value at a version below one already acknowledged", () => {
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, del(), 2, 3, ok(2)), ev(1, create("b"), 4, 5, ok(7)), ev(2, read, 6, 7, found("a", 1))]);
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(5)), ev(2, read, 2, 3, found("a", 5)), ev(1, write("b"), 4, 5, ok(6)), ev(2, read, 6, 7, found("a", 5))]);
  });

  it("rejects a deleted value coming back (resurrection)", () => {
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, del(), 2, 3, ok(2)), ev(2, read, 4, 5, absent), ev(2, read, 6, 7, found("a", 1))]);
    expectJumpViolation([ev(1, write("a"), 0, 1, ok(1)), ev(1, del(), 2, 3, ok(2)), ev(2, read, 6, 7, found("a", 9))]);
  });

  it("accepts generated histories with jumps and rejects them once corrupted", () => {
    for (let seed = 1; seed <= Number(process.env.LIN_JUMP_SEEDS ?? 200); seed++) {
      const r = rng(seed);
      const keys = seed % 3 === 0 ? ["p", "q"] : ["k"];
      const events = simulate({ seed, ops: 20 + r.int(100), clients: 1 + (seed % 6), keys, unknownRate: 0.1, jumps: 3 });
      const verdict = checkHistory(events, jumps);
      if (verdict.ok !== true) throw new Error(`seed ${seed}: expected ok\n${"reason" in verdict ? verdict.reason : ""}`);
    }
  });

  // Tiny histories run on the model in a random order with random jumps from absent states, then perturbed.
  function tinyJumpHistory(seed: number): Event[] {
    const r = rng(seed);
    let unique = 0;
    const events = Array.from({ length: 2 + r.int(5) }, (_, i): Event => {
      const call = r.int(10);
      const op = randomOp(r, { version: r.int(4), value: r.chance(0.5) ? "a" : null }, () => `w${unique++}`);
      return ev(i, op, call, call + r.int(6), null);
    });
    const order = [...events];
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let state = initialState;
    for (const e of order) {
      const out = step(state, e.op);
      const skip = state.value === null && out.state !== state ? r.int(3) : 0;
      state = { ...out.state, version: out.state.version + skip };
      e.result = skip > 0 ? ({ ...out.result, version: state.version } as Result) : out.result;
    }
    for (const e of events) {
      const roll = r.int(100);
      if (roll < 20) [e.result, e.ret] = [null, r.chance(0.5) ? e.ret : null];
      else if (roll < 35 && e.result !== null && "version" in e.result) e.result = { ...e.result, version: e.result.version + r.pick([-2, -1, 1, 2]) };
    }
    return events;
  }

  it("gives the same verdict as brute force on 2,000 tiny histories with jumps", () => {
    let violations = 0;
    for (let seed = 1; seed <= Number(process.env.LIN_JUMP_TINY ?? 2000); seed++) {
      const events = tinyJumpHistory(seed);
      const expected = bruteForceLinearizable(events, true);
      for (const precheck of [true, false]) {
        const verdict = checkHistory(events, { ...jumps, precheck });
        if (verdict.ok !== expected) {
          const history = events.map(describeEvent).join("\n");
          throw new Error(`seed ${seed}: brute force says ${expected}, checker (precheck ${precheck}) ${JSON.stringify(verdict)}\n${history}`);
        }
      }
      if (!expected) violations++;
    }
    expect(violations).toBeGreaterThan(300);
    expect(violations).toBeLessThan(1700);
  });
});
