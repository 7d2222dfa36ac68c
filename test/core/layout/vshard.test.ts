import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyHash } from "../../../src/core/key-hash.js";
import { adminView } from "../../../src/core/layout/admin-view.js";
import { movingVshards } from "../../../src/core/layout/catch-up.js";
import { groupById, ownerOf } from "../../../src/core/layout/layout.js";
import { legacyLayout } from "../../../src/core/layout/legacy.js";
import { planChange } from "../../../src/core/layout/plan.js";
import { LEGACY_SHARD_COUNT, positionOf, vshardAt, vshardOf, vshardOfHash, VSHARD_COUNT } from "../../../src/core/layout/vshard.js";
import { acceptorObjectName, SHARD_COUNT, shardOf } from "../../../src/cluster/placement.js";

// Existing data must stay where it is: a key's vshard lies in today's shard of the key, and the first layout puts
// that vshard on today's objects of that shard.
describe("vshards keep today's placement", () => {
  it("has 4096 vshards, a multiple of today's 16 shards", () => {
    expect(VSHARD_COUNT).toBe(4096);
    expect(LEGACY_SHARD_COUNT).toBe(SHARD_COUNT);
    expect(VSHARD_COUNT % SHARD_COUNT).toBe(0);
  });

  it("vshardOf(key) mod 16 is today's shard of the key, for every key", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" })), (key) => {
        expect(vshardOf(key) % 16).toBe(shardOf(key));
      }),
      { numRuns: 5000 },
    );
    for (let i = 0; i < 20_000; i++) expect(vshardOf(`key-${i}`) % 16).toBe(shardOf(`key-${i}`));
  });

  it("pins some keys' vshards", () => {
    // FNV-1a reference vectors: "a" = 0xe40c292c, "foobar" = 0xbf9cf968.
    expect(vshardOfHash(keyHash("a"))).toBe(0xe40c292c % 4096);
    expect(vshardOfHash(keyHash("foobar"))).toBe(0xbf9cf968 % 4096);
  });

  it("spreads keys over every vshard", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(vshardOfHash(keyHash(`k${i}`)));
    expect(seen.size).toBe(VSHARD_COUNT);
  });

  it("numbers positions one to one, today's shard g being [256g, 256g + 256)", () => {
    const positions = new Set<number>();
    for (let v = 0; v < VSHARD_COUNT; v++) {
      const p = positionOf(v);
      positions.add(p);
      expect(vshardAt(p)).toBe(v);
      expect(Math.floor(p / 256)).toBe(v % 16);
    }
    expect(positions.size).toBe(VSHARD_COUNT);
  });

  it("refuses a vshard number out of range rather than aliasing it", () => {
    const layout = legacyLayout("main", 3, []);
    for (const v of [-1, 4096, 5000, 1.5]) expect(() => ownerOf(layout, v)).toThrow(RangeError);
  });

  it("the legacy layout owns vshard v by group v mod 16, whose objects are today's objects of shard v mod 16", () => {
    const hints = ["wnam", undefined, "apac"] as const;
    const layout = legacyLayout("main", 3, hints);
    for (let v = 0; v < VSHARD_COUNT; v++) {
      const { owner, since } = ownerOf(layout, v);
      expect([owner, since]).toEqual([{ group: v % 16 }, 1]);
    }
    for (let shard = 0; shard < 16; shard++) {
      const group = groupById(layout, shard);
      expect(group.acceptors.map((a) => a.name)).toEqual([0, 1, 2].map((i) => acceptorObjectName("main", shard, i)));
      expect(group.acceptors.map((a) => a.locationHint)).toEqual(hints);
    }
  });
});

describe("the catch-up's vshards", () => {
  it("are the joint ones, in position order", () => {
    const plan = planChange(legacyLayout("main", 3, []), { groups: 32 });
    if (!plan.ok) throw new Error(plan.error.message);
    const moving = movingVshards(plan.value.joint);
    expect(moving.length).toBe(2048);
    expect(moving.slice(0, 3)).toEqual([vshardAt(128), vshardAt(129), vshardAt(130)]);
    expect(moving.map(positionOf)).toEqual([...moving.map(positionOf)].sort((a, b) => a - b));
    expect(movingVshards(plan.value.final)).toEqual([]);
  });
});

describe("the admin view", () => {
  it("is issue 19's GET /v1/admin/layout body", () => {
    const plan = planChange(legacyLayout("main", 3, ["wnam"]), { replace: { group: 2, index: 1, locationHint: "weur" } });
    if (!plan.ok) throw new Error(plan.error.message);
    const view = adminView(plan.value.joint);
    expect(view.epoch).toBe(2);
    expect(view.vshards).toBe(4096);
    expect(view.groups.map((g) => g.id)).toEqual([...Array(17).keys()]);
    expect(view.groups[0]!.acceptors[0]).toEqual({ name: "main/shard-0/acceptor-0", locationHint: "wnam" });
    expect(view.groups[0]!.acceptors[1]).toEqual({ name: "main/shard-0/acceptor-1", locationHint: null });
    expect(view.groups[16]!.acceptors[1]).toEqual({ name: "main/change-1/group-16/acceptor-1", locationHint: "weur" });
    expect(view.change).toEqual({
      id: 1,
      kind: "replace",
      state: "running",
      step: "joint",
      vshardsDone: 0,
      vshardsTotal: 256,
      keysCopied: 0,
    });
    expect(adminView(legacyLayout("main", 3, [])).change).toBeNull();
  });
});
