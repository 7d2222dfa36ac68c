/**
 * Properties of the layout over random sequences of changes, each run to done or failed at a random step: the
 * invariants hold at every step (validate.ts), epochs grow, ownership only ever goes G → (G, H) → H or back to G, the
 * codec round-trips, a change ends where its plan said, and a split balances the vshards.
 */
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { advance, type ChangeEvent } from "../../../src/core/layout/advance.js";
import type { ChangeRequest } from "../../../src/core/layout/change-request.js";
import { decodeLayout, encodeLayout } from "../../../src/core/layout/codec.js";
import { isJoint, ownerOf, placementOf, type Layout, type Owner } from "../../../src/core/layout/layout.js";
import { legacyLayout } from "../../../src/core/layout/legacy.js";
import { LOCATION_HINTS, type LocationHint } from "../../../src/core/layout/location-hint.js";
import { planChange } from "../../../src/core/layout/plan.js";
import { validateLayout } from "../../../src/core/layout/validate.js";
import { positionOf, VSHARD_COUNT } from "../../../src/core/layout/vshard.js";

const hint = fc.constantFrom<LocationHint | null>(...LOCATION_HINTS, null);

/** A change in the abstract, made concrete against whatever layout it meets. */
const operation = fc.record({
  kind: fc.constantFrom("groups", "acceptors", "replace"),
  a: fc.nat(),
  b: fc.nat(),
  hints: fc.array(hint, { minLength: 7, maxLength: 7 }),
  /** 0: run to done; 1: fail in the joint step; 2: fail during the catch-up. */
  failAt: fc.constantFrom(0, 0, 0, 1, 2),
  /** How many progress reports the catch-up makes. */
  reports: fc.integer({ min: 1, max: 4 }),
});
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

const start = fc.record({
  acceptors: fc.constantFrom(3, 5, 7),
  hints: fc.array(fc.option(fc.constantFrom(...LOCATION_HINTS), { nil: undefined }), { maxLength: 7 }),
});

function requestFor(op: Operation, layout: Layout): ChangeRequest {
  if (op.kind === "groups") return { groups: 1 + (op.a % 64) };
  if (op.kind === "acceptors") {
    const n = [3, 5, 7][op.a % 3]!;
    return op.b % 2 === 0 ? { acceptors: n, locationHints: op.hints.slice(0, n) } : { acceptors: n };
  }
  const group = layout.groups[op.a % layout.groups.length]!;
  const index = op.b % group.acceptors.length;
  const h = op.hints[0];
  return { replace: h === null || h === undefined ? { group: group.id, index } : { group: group.id, index, locationHint: h } };
}

const ownerAt = (layout: Layout, position: number): Owner => ownerOf(layout, vshardAtPosition(position)).owner;
const vshardAtPosition = (position: number) => {
  // positionOf is a bijection (tested below); invert it by table once.
  return POSITION_TO_VSHARD[position]!;
};
const POSITION_TO_VSHARD: number[] = [];
for (let v = 0; v < VSHARD_COUNT; v++) POSITION_TO_VSHARD[positionOf(v)] = v;

function ownerText(owner: Owner): string {
  return isJoint(owner) ? `${owner.old}->${owner.new}` : `${owner.group}`;
}

/**
 * Every position's owner before and after one step: unchanged, G → (G,H), (G,H) → H, or (G,H) → G; and its `since`
 * unchanged with it, or the new epoch when it changed.
 */
function checkTransition(before: Layout, after: Layout): void {
  const wrong: string[] = [];
  for (const range of after.owners) {
    for (const position of [range.from, range.to - 1]) {
      const was = ownerAt(before, position);
      const is = ownerAt(after, position);
      const ok =
        ownerText(was) === ownerText(is) ||
        (!isJoint(was) && isJoint(is) && is.old === was.group) ||
        (isJoint(was) && !isJoint(is) && (is.group === was.new || is.group === was.old));
      if (!ok) wrong.push(`position ${position}: ${ownerText(was)} then ${ownerText(is)}`);
      // `since` is the epoch of the last change of owner: what acceptors fence by.
      const sinceWas = ownerOf(before, vshardAtPosition(position)).since;
      const sinceIs = range.since;
      const expected = ownerText(was) === ownerText(is) ? sinceWas : after.epoch;
      if (sinceIs !== expected) wrong.push(`position ${position}: since ${sinceWas} then ${sinceIs}, expected ${expected}`);
    }
  }
  expect(wrong).toEqual([]);
}

function checkLayout(layout: Layout): void {
  const valid = validateLayout(layout);
  expect(valid.ok ? "valid" : valid.error.message).toBe("valid");
  const decoded = decodeLayout(encodeLayout(layout));
  // isDeepStrictEqual, not toEqual: as fast on big layouts, and strict about undefined fields too.
  if (!decoded.ok || !isDeepStrictEqual(decoded.value, layout)) expect(decoded.ok && decoded.value).toEqual(layout);
}

/** Applies one event, checking everything a step must keep. */
function step(layout: Layout, event: ChangeEvent): Layout {
  const next = advance(layout, event);
  if (!next.ok) throw new Error(`${event.kind}: ${next.error.message}`);
  checkLayout(next.value);
  checkTransition(layout, next.value);
  const ownershipChanged = event.kind === "caught-up" || event.kind === "fail";
  if (ownershipChanged) expect(next.value.epoch).toBe(layout.epoch + 1);
  else expect(next.value.epoch).toBe(layout.epoch);
  return next.value;
}

/** Runs one change to its end; returns the layout after, or the same layout if the request was refused. */
function runChange(layout: Layout, op: Operation, request: ChangeRequest = requestFor(op, layout)): Layout {
  const plan = planChange(layout, request);
  if (!plan.ok) {
    expect(plan.error.code).toBe("invalid_request");
    return layout;
  }
  let now = plan.value.joint;
  checkLayout(now);
  checkTransition(layout, now);
  expect(now.epoch).toBe(layout.epoch + 1);
  if (op.failAt === 1) return step(now, { kind: "fail", error: "failed in joint" });
  now = step(now, { kind: "joint-installed" });
  const total = plan.value.change.vshardsTotal;
  for (let r = 1; r <= op.reports; r++) {
    now = step(now, { kind: "progress", vshardsDone: Math.floor((total * r) / op.reports), keysCopied: r * 10 });
    if (op.failAt === 2 && r === 1) return step(now, { kind: "fail", error: "failed in catch-up" });
  }
  now = step(now, { kind: "caught-up" });
  // The final epoch is the one the plan showed up front.
  expect(isDeepStrictEqual({ ...now, change: null }, { ...plan.value.final, change: null }), "final epoch as planned").toBe(true);
  now = step(now, { kind: "final-installed" });
  return now;
}

/** Run to done in one progress report. */
const DONE: Operation = { kind: "groups", a: 0, b: 0, hints: [], failAt: 0, reports: 1 };

function ownsExactlyOnce(layout: Layout): void {
  expect(layout.owners.every((r) => !isJoint(r.owner))).toBe(true);
  const covered = layout.owners.reduce((sum, r) => sum + r.to - r.from, 0);
  expect(covered).toBe(VSHARD_COUNT);
}

describe("layout changes", () => {
  it("after any sequence of changes, each run to done or failed, every vshard has exactly one owner", () => {
    fc.assert(
      fc.property(start, fc.array(operation, { minLength: 1, maxLength: 6 }), (s, ops) => {
        let layout = legacyLayout("prop", s.acceptors, s.hints);
        checkLayout(layout);
        for (const op of ops) {
          const before = layout;
          layout = runChange(layout, op);
          ownsExactlyOnce(layout);
          if (layout !== before) {
            expect(layout.epoch).toBeGreaterThan(before.epoch);
            expect(layout.change?.id).toBe((before.change?.id ?? 0) + 1);
          }
        }
      }),
      { numRuns: 100 },
    );
  }, 30_000);

  it("a split to k groups gives every group floor(V/k) or ceil(V/k) vshards", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 3 }), (ks) => {
        let layout = legacyLayout("prop", 3, []);
        for (const k of ks) {
          layout = runChange(layout, DONE, { groups: k });
          const counts = new Map<number, number>();
          for (const r of layout.owners) {
            if (!isJoint(r.owner)) counts.set(r.owner.group, (counts.get(r.owner.group) ?? 0) + r.to - r.from);
          }
          expect(layout.groups.length).toBe(k);
          for (const n of counts.values()) {
            expect(n === Math.floor(VSHARD_COUNT / k) || n === Math.ceil(VSHARD_COUNT / k), `${n} vshards of ${k} groups`).toBe(true);
          }
        }
      }),
      { numRuns: 50 },
    );
  }, 30_000);

  it("a split moves no more vshards than the new groups must receive when the counts divide", () => {
    let layout = legacyLayout("prop", 3, []);
    for (const k of [32, 64, 128]) {
      const plan = planChange(layout, { groups: k });
      if (!plan.ok) throw new Error(plan.error.message);
      expect(plan.value.change.vshardsTotal).toBe(VSHARD_COUNT / 2);
      layout = runChange(layout, DONE, { groups: k });
    }
  });

  it("places a joint vshard on both groups, others on their one group, with the layout's epoch", () => {
    const plan = planChange(legacyLayout("p", 3, []), { groups: 32 });
    if (!plan.ok) throw new Error(plan.error.message);
    const joint = plan.value.joint;
    const moving = placementOf(joint, 2048); // position 128: the second half of shard 0
    expect(moving.kind).toBe("joint");
    if (moving.kind === "joint") expect([moving.old.id, moving.new.id, moving.epoch]).toEqual([0, 16, 2]);
    const staying = placementOf(joint, 0);
    expect(staying.kind === "single" && [staying.group.id, staying.epoch]).toEqual([0, 2]);
  });
});

describe("the layout codec", () => {
  it("round-trips every layout a change passes through", () => {
    // Covered step by step above; here the fixed points: legacy layouts of every N.
    for (const n of [3, 5, 7]) checkLayout(legacyLayout("main", n, ["wnam", undefined, "apac"]));
  });

  it("never throws on arbitrary input: a stored value is a layout or an error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        const decoded = decodeLayout(text);
        if (decoded.ok) expect(validateLayout(decoded.value).ok).toBe(true);
        else expect(decoded.error.code).toBe("malformed_layout");
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses or accepts as valid every one-field mutation of a real encoding", () => {
    const plan = planChange(legacyLayout("main", 3, ["wnam"]), { groups: 20 });
    if (!plan.ok) throw new Error(plan.error.message);
    const encoded = JSON.parse(encodeLayout(plan.value.joint)) as Record<string, unknown>;
    const leaves: { parent: Record<string, unknown>; key: string }[] = [];
    const walk = (node: unknown) => {
      if (typeof node !== "object" || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        leaves.push({ parent: node as Record<string, unknown>, key });
        walk(value);
      }
    };
    walk(encoded);
    fc.assert(
      fc.property(fc.nat({ max: leaves.length - 1 }), fc.jsonValue(), (at, value) => {
        const { parent, key } = leaves[at]!;
        const saved = parent[key];
        parent[key] = value;
        try {
          const decoded = decodeLayout(JSON.stringify(encoded));
          if (decoded.ok) expect(validateLayout(decoded.value).ok).toBe(true);
          else expect(decoded.error.code).toBe("malformed_layout");
        } finally {
          parent[key] = saved;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
