import { describe, expect, it } from "vitest";
import { handleRequest } from "../../src/core/acceptor.js";
import { create, remove, write } from "../../src/core/change.js";
import type { ChangeRequest } from "../../src/core/layout/change-request.js";
import { placementOf, type Layout } from "../../src/core/layout/layout.js";
import { legacyLayout } from "../../src/core/layout/legacy.js";
import { vshardOf } from "../../src/core/layout/vshard.js";
import { validateLayout } from "../../src/core/layout/validate.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { Transport } from "../../src/core/ports.js";
import { Proposer, type Outcome } from "../../src/core/proposer.js";
import { ConfigRegisterCache, readLayout } from "../../src/core/reconfig/config-register.js";
import { Reconfigurer } from "../../src/core/reconfig/reconfigurer.js";
import type { LayoutCache } from "../../src/core/routing/layout-cache.js";
import { LayoutRouter } from "../../src/core/routing/layout-router.js";
import { seededRandom, TEST_CONFIG } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import { MemoryStore } from "./memory-store.js";
import { Objects } from "./named-objects.js";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (o: Outcome) => (o.kind === "applied" && o.state !== null && o.state.value !== null ? new TextDecoder().decode(o.state.value) : null);
const KEYS = Array.from({ length: 40 }, (_, i) => `key-${i}`);

/** Data objects by name, a root group of three, proposers over both, and reconfigurers. */
class World {
  readonly clock = new ManualClock();
  readonly objects = new Objects();
  readonly rootStores = [new MemoryStore(), new MemoryStore(), new MemoryStore()];
  readonly initial = legacyLayout("c", 3, []);
  private proposers = 0;

  rootProposer(): Proposer {
    const stores = this.rootStores;
    const transport: Transport = { send: async (i, request: AcceptorRequest): Promise<AcceptorReply> => handleRequest(stores[i]!, request) };
    return new Proposer(`root-${++this.proposers}`, TEST_CONFIG, transport, this.clock, seededRandom(this.proposers));
  }

  /** A client proposer (a Worker isolate) whose layout cache starts at `cached` and reloads from the register. */
  client(cached: Layout = this.initial): { proposer: Proposer; cache: LayoutCache } {
    const cache = new ConfigRegisterCache(this.rootProposer(), this.initial, cached);
    return { proposer: this.keysProposer(cache), cache };
  }

  keysProposer(cache: LayoutCache): Proposer {
    return new Proposer(`p-${++this.proposers}`, TEST_CONFIG, new LayoutRouter(cache, this.objects), this.clock, seededRandom(this.proposers));
  }

  reconfigurer(): Reconfigurer {
    return new Reconfigurer({
      root: this.rootProposer(),
      initial: this.initial,
      objects: this.objects,
      clock: this.clock,
      roundTimeoutMs: 100,
      keysUnder: (cache) => this.keysProposer(cache),
      pageSize: 7,
      vshardsPerStep: 64,
      parallelKeys: 4,
    });
  }

  run<T>(p: Promise<T>): Promise<T> {
    return this.clock.runUntil(p, 600_000);
  }

  async layout(): Promise<Layout> {
    const read = await this.run(readLayout(this.rootProposer(), this.initial));
    if (!read.ok) throw new Error(read.reason);
    return read.value.layout;
  }

  /** Writes every key (and deletes every fifth) through a client of the legacy layout. */
  async fill(): Promise<Map<string, string | null>> {
    const { proposer } = this.client();
    const expected = new Map<string, string | null>();
    for (const key of KEYS) {
      expect((await this.run(proposer.change(key, write(enc(`v-${key}`), "t")))).kind).toBe("applied");
      expected.set(key, `v-${key}`);
    }
    for (const key of KEYS.filter((_, i) => i % 5 === 0)) {
      expect((await this.run(proposer.change(key, remove()))).kind).toBe("applied");
      expected.set(key, null);
    }
    return expected;
  }

  async expectReads(proposer: Proposer, expected: Map<string, string | null>): Promise<void> {
    for (const [key, value] of expected) expect(text(await this.run(proposer.read(key))), key).toBe(value);
  }
}

async function changeFully(world: World, request: ChangeRequest): Promise<Layout> {
  const reconfigurer = world.reconfigurer();
  expect(await world.run(reconfigurer.start(request))).toBeNull();
  const outcome = await world.run(reconfigurer.run());
  expect(outcome.kind, JSON.stringify(outcome)).toBe("idle");
  return world.layout();
}

describe("reconfigurer", () => {
  for (const request of [{ groups: 32 }, { replace: { group: 3, index: 1 } }, { acceptors: 5 }] satisfies ChangeRequest[]) {
    it(`${JSON.stringify(request)}: every key reads back the same after the move, through fresh and stale proposers`, async () => {
      const world = new World();
      const expected = await world.fill();
      const stale = world.client();
      const layout = await changeFully(world, request);
      expect(validateLayout(layout).ok).toBe(true);
      expect(layout.change).toMatchObject({ state: "done", step: "done" });
      expect(layout.epoch).toBe(3);
      await world.expectReads(world.client(layout).proposer, expected);
      // The stale proposer still routes by epoch 1: refused, it reloads and reads the same.
      await world.expectReads(stale.proposer, expected);
      expect(stale.cache.current().epoch).toBe(3);
    });
  }

  it("after the final epoch, the new group holds every key's state and refuses older epochs", async () => {
    const world = new World();
    await world.fill();
    const layout = await changeFully(world, { groups: 32 });
    for (const key of KEYS) {
      const placement = placementOf(layout, vshardOf(key));
      if (placement.kind !== "single") throw new Error("a final layout has no joint pair");
      const holders = placement.group.acceptors.filter((ref) => world.objects.store(ref.name).read(key)?.state != null);
      expect(holders.length, `${key} in group ${placement.group.id}: ${placement.group.acceptors.map((r) => r.name).join(",")}`).toBeGreaterThanOrEqual(2);
      // A moved key's new group fences every epoch before the final one.
      if (placement.group.id >= 16) for (const ref of placement.group.acceptors) expect(world.objects.store(ref.name).minEpoch(vshardOf(key))).toBe(3);
    }
  });

  it("moves floors: a key forgotten before the move continues above its old version afterwards", async () => {
    const world = new World();
    const layout0 = world.initial;
    const key = "forgotten";
    const placement = placementOf(layout0, vshardOf(key));
    if (placement.kind !== "single") throw new Error("legacy is single");
    // The key was written up to version 7 and collected: only the old group's floors remember it.
    for (const ref of placement.group.acceptors) world.objects.store(ref.name).floors.set("all", { ballot: { counter: 1, proposer: "gc" }, version: 7 });
    const layout = await changeFully(world, { replace: { group: placement.group.id, index: 0 } });
    const created = await world.run(world.client(layout).proposer.change(key, create(enc("again"), "t")));
    expect(created.kind === "applied" && created.state?.version).toBe(8);
  });

  it("resumes from the config register: a reconfigurer that stops after any step is finished by a fresh one", async () => {
    for (let steps = 1; steps <= 4; steps++) {
      const world = new World();
      const expected = await world.fill();
      const first = world.reconfigurer();
      expect(await world.run(first.start({ groups: 32 }))).toBeNull();
      await world.run(first.run(steps));
      expect(await world.run(world.reconfigurer().run())).toMatchObject({ kind: "idle" });
      const layout = await world.layout();
      expect(layout.change?.state).toBe("done");
      await world.expectReads(world.client(layout).proposer, expected);
    }
  });

  it("of two reconfigurers racing step by step, the CAS lets one write each step and the change still ends done", async () => {
    const world = new World();
    const expected = await world.fill();
    const [a, b] = [world.reconfigurer(), world.reconfigurer()];
    const starts = await world.run(Promise.all([a.start({ replace: { group: 0, index: 2 } }), b.start({ groups: 32 })]));
    expect(starts.filter((s) => s === null).length).toBe(1);
    let rounds = 0;
    for (; rounds < 200; rounds++) {
      const [x, y] = await world.run(Promise.all([a.step(), b.step()]));
      if (x.kind === "idle" && y.kind === "idle") break;
      // Each step is written by one of them at most: the other read the same layout and lost the CAS.
      expect(x.kind === "advanced" && y.kind === "advanced").toBe(false);
    }
    expect(rounds).toBeLessThan(200);
    const layout = await world.layout();
    expect(layout.change?.state).toBe("done");
    await world.expectReads(world.client(layout).proposer, expected);
  });

  it("refuses to start a change while one runs", async () => {
    const world = new World();
    const r = world.reconfigurer();
    expect(await world.run(r.start({ groups: 32 }))).toBeNull();
    expect(await world.run(world.reconfigurer().start({ acceptors: 5 }))).toMatch(/^change_in_progress/);
  });
});
