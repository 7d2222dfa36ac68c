import { read } from "../change.js";
import { advance, type ChangeEvent } from "../layout/advance.js";
import { movingVshards } from "../layout/catch-up.js";
import type { ChangeRequest } from "../layout/change-request.js";
import { isRunning } from "../layout/change-record.js";
import { groupById, isJoint, ownerOf, type AcceptorRef, type Group, type Layout } from "../layout/layout.js";
import { planChange } from "../layout/plan.js";
import type { Result } from "../layout/result.js";
import { vshardAt } from "../layout/vshard.js";
import type { Floor } from "../acceptor.js";
import type { Registers } from "../proposer.js";
import { casLayout, ConfigRegisterCache, readLayout, type VersionedLayout } from "./config-register.js";
import { installOn, keysOfMajority, type ObjectCalls } from "./object-calls.js";

export interface ReconfigurerDeps extends ObjectCalls {
  /** The root group's proposer: the config register is read and changed through it. */
  readonly root: Registers;
  /** The layout of a cluster whose config register was never written (legacyLayout). */
  readonly initial: Layout;
  /**
   * A proposer routed by the layout this cache holds: the catch-up's identity changes run through it under the joint
   * epoch (it reloads, as any proposer, if an acceptor refuses that epoch).
   */
  readonly keysUnder: (cache: ConfigRegisterCache) => Registers;
  /** Keys listed per page. */
  readonly pageSize: number;
  /** Moving vshards caught up between two progress records in the config register. */
  readonly vshardsPerStep: number;
  /** Keys caught up at once. */
  readonly parallelKeys: number;
}

export type StepOutcome =
  /** No change is running (`layout` is the register's). */
  | { readonly kind: "idle"; readonly layout: Layout }
  /** One step done and recorded in the config register. */
  | { readonly kind: "advanced"; readonly layout: Layout }
  /** Nothing recorded (an object or the root unreachable, or another reconfigurer wrote first): run again later. */
  | { readonly kind: "retry"; readonly reason: string };

export type StartOutcome =
  /** The joint epoch is written: the change runs (its id is `layout.change.id`). */
  | { readonly kind: "started"; readonly layout: Layout }
  /** Planned and refused: a running change (`change_in_progress`) or a request that does not fit (`invalid_request`). */
  | { readonly kind: "refused"; readonly code: string; readonly message: string }
  /** Nothing written (the root unreachable, or another writer first): may be asked again. */
  | { readonly kind: "retry"; readonly reason: string };

/** The old and the new group of some moving vshards, with those vshards. */
interface Pair {
  readonly old: Group;
  readonly new: Group;
  readonly vshards: number[];
}

/**
 * Moves vshards between groups, one recorded step at a time (the design note's steps; layout/advance.ts says what
 * may follow what). Every step starts from a fresh read of the config register and ends with a CAS of it, so a
 * reconfigurer that dies anywhere leaves a layout that is safe as it stands, a fresh one carries on from it, and of
 * two racing ones the CAS lets one win. Every step is idempotent: installs only raise, and an identity change of a
 * key already caught up changes nothing that matters.
 *
 * - `joint`: install the joint epoch on every reachable object of both groups, and require a majority of the old
 *   group: every quorum of the previous epoch (a majority of the old group) then holds an object that refuses it.
 * - `catch-up`: for the next vshards, list the keys of a majority of the old group and run the identity change on
 *   each under the joint epoch, so every state chosen before the joint epoch is on a majority of the new group; raise
 *   the new group's floors to the old one's (versions never go back); record progress.
 * - then write the final epoch (advance.ts refuses it before every vshard is caught up) and install it on a majority
 *   of the new group (every joint quorum holds one) and on every reachable object of the old group.
 *
 * Floors of the old group must not rise during the move: the collector must leave keys of moving vshards alone.
 */
export class Reconfigurer {
  private readonly cache: ConfigRegisterCache;
  private readonly keys: Registers;
  /** The joint layout this reconfigurer saw before writing the final epoch: it names the old groups. */
  private lastJoint: Layout | null = null;

  constructor(protected readonly deps: ReconfigurerDeps) {
    this.cache = new ConfigRegisterCache(deps.root, deps.initial);
    this.keys = deps.keysUnder(this.cache);
  }

  /** Plans a change and writes its joint epoch; null on success, else why not (a running change, a bad request). */
  async start(request: ChangeRequest): Promise<string | null> {
    const begun = await this.begin(request);
    if (begun.kind === "started") return null;
    return begun.kind === "refused" ? `${begun.code}: ${begun.message}` : begun.reason;
  }

  /** `start`, saying what happened in a form an API can answer with. */
  async begin(request: ChangeRequest): Promise<StartOutcome> {
    const current = await readLayout(this.deps.root, this.deps.initial);
    if (!current.ok) return { kind: "retry", reason: current.reason };
    const plan = planChange(current.value.layout, request);
    if (!plan.ok) return { kind: "refused", code: plan.error.code, message: plan.error.message };
    const written = await casLayout(this.deps.root, current.value, plan.value.joint);
    if (written !== "written") return { kind: "retry", reason: `the config register changed meanwhile (${written})` };
    this.cache.update(plan.value.joint);
    return { kind: "started", layout: plan.value.joint };
  }

  /** Runs steps until no change runs or a step must be retried later. */
  async run(maxSteps = Infinity): Promise<StepOutcome> {
    let outcome: StepOutcome = { kind: "retry", reason: "no step run" };
    for (let i = 0; i < maxSteps; i++) {
      outcome = await this.step();
      if (outcome.kind !== "advanced") break;
    }
    return outcome;
  }

  /** Reads the config register and does the running change's next step. */
  async step(): Promise<StepOutcome> {
    const current = await readLayout(this.deps.root, this.deps.initial);
    if (!current.ok) return { kind: "retry", reason: current.reason };
    const { layout } = current.value;
    const change = layout.change;
    if (!isRunning(change)) return { kind: "idle", layout };
    this.cache.update(layout);
    switch (change.step) {
      case "joint":
        return this.installJoint(current.value);
      case "catch-up":
        return change.vshardsDone < change.vshardsTotal ? this.catchUp(current.value) : this.finish(current.value);
      case "final":
        return this.installFinal(current.value);
      case "done":
        return { kind: "idle", layout };
    }
  }

  private async installJoint(current: VersionedLayout): Promise<StepOutcome> {
    const { layout } = current;
    const pairs = pairsOf(layout, movingVshards(layout));
    const installed = await Promise.all(pairs.map((p) => this.install(union(p.old, p.new), p.old.acceptors, p.vshards, layout.epoch)));
    if (installed.includes(false)) return { kind: "retry", reason: "the joint epoch did not reach a majority of an old group" };
    return this.record(current, { kind: "joint-installed" });
  }

  protected async catchUp(current: VersionedLayout): Promise<StepOutcome> {
    const { layout } = current;
    const change = layout.change!;
    const chunk = movingVshards(layout).slice(change.vshardsDone, change.vshardsDone + this.deps.vshardsPerStep);
    let copied = 0;
    for (const pair of pairsOf(layout, chunk)) {
      const listed = await keysOfMajority(this.deps, pair.old.acceptors, pair.vshards, this.deps.pageSize);
      if (listed === null) return { kind: "retry", reason: "fewer than a majority of an old group listed their keys" };
      if (!(await this.catchUpKeys(listed.keys))) return { kind: "retry", reason: "a key could not be caught up" };
      if (!(await this.moveFloor(pair, layout.epoch, listed.floor))) return { kind: "retry", reason: "the floors did not reach a majority of a new group" };
      copied += listed.keys.length;
    }
    return this.record(current, { kind: "progress", vshardsDone: change.vshardsDone + chunk.length, keysCopied: change.keysCopied + copied });
  }

  /** The identity change on every key, under the joint epoch: afterwards each one's chosen state is on a majority of both groups. */
  protected async catchUpKeys(keys: readonly string[]): Promise<boolean> {
    for (let i = 0; i < keys.length; i += this.deps.parallelKeys) {
      const outcomes = await Promise.all(keys.slice(i, i + this.deps.parallelKeys).map((key) => this.keys.change(key, read())));
      if (outcomes.some((o) => o.kind !== "applied" && o.kind !== "refused")) return false;
    }
    return true;
  }

  private moveFloor(pair: Pair, epoch: number, floor: Floor): Promise<boolean> {
    return this.install(pair.new.acceptors, pair.new.acceptors, pair.vshards, epoch, floor);
  }

  /** Every moving vshard is caught up: write the final epoch (remembering the joint layout: it names the old groups). */
  private finish(current: VersionedLayout): Promise<StepOutcome> {
    this.lastJoint = current.layout;
    return this.record(current, { kind: "caught-up" });
  }

  private async installFinal(current: VersionedLayout): Promise<StepOutcome> {
    const { layout } = current;
    // The vshards this change moved are those whose owner changed in this very epoch.
    const moved: number[] = [];
    for (const range of layout.owners) if (range.since === layout.epoch) for (let p = range.from; p < range.to; p++) moved.push(vshardAt(p));
    const joint = this.lastJoint !== null && this.lastJoint.epoch === layout.epoch - 1 ? this.lastJoint : null;
    const byGroup = new Map<number, { group: Group; old: Map<string, AcceptorRef>; vshards: number[] }>();
    for (const v of moved) {
      const owner = ownerOf(layout, v).owner;
      if (isJoint(owner)) continue;
      let entry = byGroup.get(owner.group);
      if (entry === undefined) byGroup.set(owner.group, (entry = { group: groupById(layout, owner.group), old: new Map(), vshards: [] }));
      entry.vshards.push(v);
      // Objects of the old group are told too when known (a resumed reconfigurer does not know them): they then
      // refuse proposers of the joint epoch at once, and hold nothing of the vshard that anyone still reads.
      const before = joint === null ? null : ownerOf(joint, v).owner;
      if (joint !== null && before !== null && isJoint(before)) for (const ref of groupById(joint, before.old).acceptors) entry.old.set(ref.name, ref);
    }
    const installed = await Promise.all(
      [...byGroup.values()].map(({ group, old, vshards }) => {
        const targets = [...group.acceptors, ...[...old.values()].filter((ref) => !group.acceptors.some((a) => a.name === ref.name))];
        return this.install(targets, group.acceptors, vshards, layout.epoch);
      }),
    );
    if (installed.includes(false)) return { kind: "retry", reason: "the final epoch did not reach a majority of a new group" };
    return this.record(current, { kind: "final-installed" });
  }

  /** Installs on `targets`; true once a majority of `needed` took it (see object-calls.ts for why that is the rule). */
  protected install(targets: readonly AcceptorRef[], needed: readonly AcceptorRef[], vshards: readonly number[], epoch: number, floor?: Floor): Promise<boolean> {
    return installOn(this.deps, targets, needed, vshards, epoch, floor);
  }

  /** Writes the layout after `event` over the one read, if the register still holds it. */
  protected async record(current: VersionedLayout, event: ChangeEvent): Promise<StepOutcome> {
    const next: Result<Layout> = advance(current.layout, event);
    if (!next.ok) return { kind: "retry", reason: `${next.error.code}: ${next.error.message}` };
    return this.write(current, next.value);
  }

  protected async write(current: VersionedLayout, next: Layout): Promise<StepOutcome> {
    const written = await casLayout(this.deps.root, current, next);
    if (written !== "written") return { kind: "retry", reason: `the config register was not written (${written})` };
    this.cache.update(next);
    return { kind: "advanced", layout: next };
  }
}

/** The moving vshards among `vshards`, by the pair of groups they move between. */
export function pairsOf(layout: Layout, vshards: readonly number[]): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const v of vshards) {
    const owner = ownerOf(layout, v).owner;
    if (!isJoint(owner)) continue;
    const id = `${owner.old}>${owner.new}`;
    let pair = pairs.get(id);
    if (pair === undefined) pairs.set(id, (pair = { old: groupById(layout, owner.old), new: groupById(layout, owner.new), vshards: [] }));
    pair.vshards.push(v);
  }
  return [...pairs.values()];
}

/** The objects of both groups, each once (they may share objects). */
function union(a: Group, b: Group): AcceptorRef[] {
  const names = new Set(a.acceptors.map((r) => r.name));
  return [...a.acceptors, ...b.acceptors.filter((r) => !names.has(r.name))];
}
