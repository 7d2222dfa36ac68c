import { describe, expect, it } from "vitest";
import { write } from "../../src/core/change.js";
import { placementOf, type AcceptorRef, type Layout } from "../../src/core/layout/layout.js";
import { legacyLayout } from "../../src/core/layout/legacy.js";
import { planChange } from "../../src/core/layout/plan.js";
import { vshardOf } from "../../src/core/layout/vshard.js";
import { Proposer, type Outcome } from "../../src/core/proposer.js";
import type { LayoutCache } from "../../src/core/routing/layout-cache.js";
import { LayoutRouter } from "../../src/core/routing/layout-router.js";
import { seededRandom, TEST_CONFIG } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import { Objects } from "./named-objects.js";

const K = "key";
const V = vshardOf(K);
const enc = (s: string) => new TextEncoder().encode(s);

const legacy = legacyLayout("c", 3, []);
const group = V % 16;
/** Acceptor 1 of the key's group is replaced by a fresh object: joint epoch 2, final epoch 3. */
const plan = (() => {
  const planned = planChange(legacy, { replace: { group, index: 1 } });
  if (!planned.ok) throw new Error(planned.error.message);
  return planned.value;
})();
const joint = plan.joint;

/** A layout cache whose reload reads `published` (the config register). */
class TestCache implements LayoutCache {
  reloads = 0;
  constructor(
    private layout: Layout,
    public published: Layout = layout,
  ) {}
  current(): Layout {
    return this.layout;
  }
  async reload(): Promise<void> {
    this.reloads++;
    this.layout = this.published;
  }
}

function setup(cached: Layout, published: Layout = cached) {
  const clock = new ManualClock();
  const objects = new Objects();
  const cache = new TestCache(cached, published);
  const proposer = new Proposer("p", TEST_CONFIG, new LayoutRouter(cache, objects), clock, seededRandom());
  return { clock, objects, cache, proposer };
}

function expectApplied(outcome: Outcome): Extract<Outcome, { kind: "applied" }> {
  if (outcome.kind !== "applied") throw new Error(`expected applied, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const names = (refs: readonly AcceptorRef[]) => refs.map((r) => r.name);
const placed = placementOf(joint, V);
if (placed.kind !== "joint") throw new Error("the key's vshard must move");
const G = names(placed.old.acceptors);
const H = names(placed.new.acceptors);
const fresh = H.find((n) => !G.includes(n))!;

describe("proposer with a layout", () => {
  it("in the legacy layout sends today's messages to today's objects, stamped with epoch 1, and no more of them", async () => {
    const { clock, objects, proposer } = setup(legacy);
    expectApplied(await clock.runUntil(proposer.change(K, write(enc("a"), "t"))));
    expectApplied(await clock.runUntil(proposer.change(K, write(enc("b"), "t"))));
    expectApplied(await clock.runUntil(proposer.read(K)));
    // One prepare round, two accept rounds (the second change used the piggybacked promise), one peek at a bare majority.
    expect([objects.count("prepare"), objects.count("accept"), objects.count("peek")]).toEqual([3, 6, 2]);
    expect(new Set(objects.sent.map((s) => s.name))).toEqual(new Set(G));
    expect(G).toEqual([0, 1, 2].map((i) => `c/shard-${group}/acceptor-${i}`));
    expect(objects.sent.every((s) => "epoch" in s.request && s.request.epoch === 1)).toBe(true);
  });

  it("refused as stale, reloads the layout and completes under the joint epoch on a majority of both groups", async () => {
    const { clock, objects, cache, proposer } = setup(legacy, joint);
    objects.install(G, [V], 2);
    const outcome = expectApplied(await clock.runUntil(proposer.change(K, write(enc("a"), "t"))));
    expect(outcome.state?.version).toBe(1);
    expect(cache.reloads).toBe(1);
    const holding = [...objects.stores].filter(([, s]) => s.read(K)?.state?.version === 1).map(([n]) => n);
    expect(holding.filter((n) => G.includes(n)).length).toBeGreaterThanOrEqual(2);
    expect(holding.filter((n) => H.includes(n)).length).toBeGreaterThanOrEqual(2);
  });

  it("in a joint epoch, a majority of the old group alone is not enough", async () => {
    const { clock, objects, proposer } = setup(joint);
    // G keeps a majority (its own member and one shared); H is left with one of three.
    const shared = G.filter((n) => H.includes(n));
    objects.down = new Set([shared[0]!, fresh]);
    const outcome = await clock.runUntil(proposer.change(K, write(enc("a"), "t")));
    expect(outcome.kind).toBe("unavailable");
  });

  it("in a joint epoch, a peek answers only when a majority of each group agrees", async () => {
    const { clock, objects, proposer } = setup(joint);
    expectApplied(await clock.runUntil(proposer.change(K, write(enc("a"), "t"))));
    objects.sent.length = 0;
    expect(expectApplied(await clock.runUntil(proposer.read(K))).stats.fastPath).toBe("peek");
    // The fresh member lost the write and a shared one is down: the old group's majority still agrees, but the new
    // group's answering members do not, so the read falls back to a full round that writes the state back to them.
    objects.store(fresh).slots.delete(K);
    objects.down.add(G.filter((n) => H.includes(n))[1]!);
    const outcome = expectApplied(await clock.runUntil(proposer.read(K)));
    expect(outcome.state?.version).toBe(1);
    expect(outcome.stats.fastPath).not.toBe("peek");
    expect(objects.store(fresh).read(K)?.state?.version).toBe(1);
  });

  it("drops its piggybacked promise when the epoch changes: the next change prepares again", async () => {
    const { clock, objects, cache, proposer } = setup(legacy, joint);
    expectApplied(await clock.runUntil(proposer.change(K, write(enc("a"), "t"))));
    expect(objects.count("prepare")).toBe(3);
    objects.install(G, [V], 2);
    await cache.reload();
    expectApplied(await clock.runUntil(proposer.change(K, write(enc("b"), "t"))));
    // A prepare to the members of both groups (the fresh one included): the promise of epoch 1 was not used.
    expect(objects.sent.filter((s) => s.request.type === "prepare" && s.name === fresh).length).toBe(1);
  });

  it("reads through a stale layout: the peek is refused, the layout reloaded, the read answered from the new route", async () => {
    const { clock, objects, cache, proposer } = setup(joint);
    expectApplied(await clock.runUntil(proposer.change(K, write(enc("a"), "t"))));
    const stale = setup(legacy, joint);
    stale.objects.stores.clear();
    for (const [name, store] of objects.stores) stale.objects.stores.set(name, store);
    stale.objects.install(G, [V], 2);
    const outcome = expectApplied(await stale.clock.runUntil(stale.proposer.read(K)));
    expect(outcome.state?.version).toBe(1);
    expect(stale.cache.reloads).toBe(1);
    expect(cache.reloads).toBe(0);
  });
});
