/**
 * Negative controls: deliberately broken pieces the simulator must catch. A checker or simulator that cannot fail
 * proves nothing, so tests assert each of these fails at least one seed of the CI budget.
 */
import { compareBallots } from "../../src/core/ballot.js";
import { EMPTY_SLOT, handleRequest, NO_FLOOR, type SlotStore } from "../../src/core/acceptor.js";
import type { CollectOutcome, CollectorDeps } from "../../src/core/collector.js";
import type { Accepted, Forgotten, Promised } from "../../src/core/messages.js";
import type { Outcome, RoundStats } from "../../src/core/proposer.js";
import { MajorityConfig } from "../../src/core/quorum/majority.js";
import { acceptorIds } from "../../src/core/quorum/quorum-config.js";
import { UnanimousConfig } from "../../src/core/quorum/unanimous.js";
import { isLive } from "../../src/core/register.js";
import { highestAccepted, runRound } from "../../src/core/round.js";
import type { AcceptorHandler } from "./acceptor-node.js";
import { leaveJoint, withStep } from "../../src/core/layout/leave-joint.js";
import type { AcceptorRef } from "../../src/core/layout/layout.js";
import type { Floor } from "../../src/core/acceptor.js";
import { Reconfigurer, type StepOutcome } from "../../src/core/reconfig/reconfigurer.js";
import type { VersionedLayout } from "../../src/core/reconfig/config-register.js";
import type { ProposerNode } from "./cluster.js";
import type { Rng } from "./rng.js";

export type Bug =
  /** The proposer believes N = 1; the sim routes its one acceptor to a random one of 3 per message. */
  | "quorum-1-of-3"
  /** Reads trust one acceptor: peek a random one and return its state. */
  | "single-acceptor-read"
  /** Acceptors only check the promise, so they overwrite the accepted state at an equal or lower ballot. */
  | "overwrite-accept"
  /** Garbage collection: forget removes the row without raising the floor (a forgotten key reads as never written). */
  | "gc-no-floor"
  /** Garbage collection: the collector forgets once the tombstone reached a majority, not all N acceptors. */
  | "gc-majority-tombstone"
  /** Layouts: each epoch is installed on one object only (a minority), and the reconfigurer goes on as if a majority had it. */
  | "layout-minority-install"
  /** Layouts: every vshard is recorded as caught up without its keys being visited. */
  | "layout-skip-catch-up"
  /** Layouts: the final epoch is written after the first catch-up step, before the others. */
  | "layout-early-final"
  /**
   * Layouts: acceptors ignore epochs, so a proposer of an old layout is never refused and goes on serving a moved
   * vshard from its old group after the final epoch.
   */
  | "layout-no-fencing";

/**
 * The classic acceptor bug: accepting a different state at a ballot at or below the accepted one. src/core rejects
 * `ballot < accepted` and treats `ballot == accepted` as a repeat; this one stores whatever arrives as long as the
 * promise allows it. Since an accept clears the promise, a stale accept can then roll a chosen state back.
 */
export const overwritingAcceptor: AcceptorHandler = (store, request) => {
  if (request.type !== "accept") return handleRequest(store, request);
  const slot = store.read(request.key) ?? EMPTY_SLOT;
  if (compareBallots(request.ballot, slot.promised) < 0) return { type: "rejected", promised: slot.promised, accepted: slot.accepted };
  store.write(request.key, { promised: null, accepted: request.ballot, state: request.state });
  return { type: "accepted" };
};

/** Routing for the quorum-of-1 control: whatever index the proposer sends to, a random acceptor gets it. */
export const randomRoute =
  (rng: Rng, acceptors: number) =>
  (_index: number): number =>
    rng.int(acceptors);

/** A read that peeks one random acceptor and returns its state: not linearizable (a lagging or ahead acceptor). */
export async function singleAcceptorRead(node: ProposerNode, key: string, acceptors: number, rng: Rng, timeoutMs: number): Promise<Outcome> {
  const stats: RoundStats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: "peek" };
  const timer = node.clock.timer(timeoutMs);
  const reply = await Promise.race([
    node.transport.send(rng.int(acceptors), { type: "peek", key }).catch(() => null),
    timer.fired.then(() => null),
  ]);
  timer.cancel();
  if (reply === null || reply.type !== "peeked") return { kind: "unavailable", reason: "peek failed", stats };
  return { kind: "applied", state: reply.state, previous: reply.state, stats };
}

/**
 * An acceptor whose forget drops the row but keeps no floor: a forgotten key reads as EMPTY_SLOT (promised nothing,
 * version 0). A delayed accept from before the collection is then taken, so the deleted value can come back, and a
 * recreated key starts again at version 1.
 */
export const noFloorAcceptor: AcceptorHandler = (store, request) => {
  if (request.type !== "forget") return handleRequest(store, request);
  const forgetful: SlotStore = {
    read: (key) => store.read(key),
    write: (key, slot) => store.write(key, slot),
    floor: (key) => store.floor(key),
    remove: (key) => store.remove(key, NO_FLOOR),
    minEpoch: (vshard) => store.minEpoch(vshard),
    install: (vshards, epoch, floor) => store.install(vshards, epoch, floor),
    keysAfter: (after, limit) => store.keysAfter(after, limit),
    keysUnder: (prefix, after, limit) => store.keysUnder(prefix, after, limit),
    highestEpoch: () => store.highestEpoch(),
    keysWithIntents: (after, limit) => store.keysWithIntents(after, limit),
    highestFloor: () => store.highestFloor(),
  };
  return handleRequest(forgetful, request);
};

/**
 * The collector's classic mistake: it proceeds with a majority at every step, so the tombstone reaches only the
 * acceptors that promised first, and the others keep their older row. Once the majority forgot theirs, an acceptor
 * still holding the deleted value outranks the forgotten rows (which accepted nothing) and the value comes back.
 */
export async function collectMajorityOnly(key: string, deps: CollectorDeps): Promise<CollectOutcome> {
  const majority = new MajorityConfig(acceptorIds(deps.acceptors));
  // As src/core's collect: a refused prepare is retried at once above the ballot it reported.
  let ballot = deps.ballots.next();
  const prepare = () => runRound<Promised>(majority, "promised", (i) => deps.transport.send(i, { type: "prepare", key, ballot }), deps.clock, deps.roundTimeoutMs);
  let promised = await prepare();
  for (let retries = 0; promised.result !== "won" && promised.rejected.length > 0 && retries < 2; retries++) {
    deps.ballots.observe(promised.highestSeen);
    ballot = deps.ballots.next();
    promised = await prepare();
  }
  deps.ballots.observe(promised.highestSeen);
  if (promised.result !== "won") return { kind: "retry", reason: "no majority promised" };
  const current = highestAccepted(promised.granted.map((g) => g.reply));
  if (isLive(current)) return { kind: "live" };
  // The tombstone goes only to those that promised (all of them), and the forget to every acceptor.
  const promisers = new UnanimousConfig(promised.granted.map((g) => g.index));
  const accepted = await runRound<Accepted>(promisers, "accepted", (i) => deps.transport.send(i, { type: "accept", key, ballot, state: current }), deps.clock, deps.roundTimeoutMs);
  deps.ballots.observe(accepted.highestSeen);
  if (majority.voteResult(accepted.votes) !== "won") return { kind: "retry", reason: "no majority took the tombstone" };
  const everyone = new UnanimousConfig(majority.members);
  const forgotten = await runRound<Forgotten>(everyone, "forgotten", (i) => deps.transport.send(i, { type: "forget", key, ballot }), deps.clock, deps.roundTimeoutMs);
  return majority.voteResult(forgotten.votes) === "won" ? { kind: "collected" } : { kind: "retry", reason: "not forgotten" };
}

/** An acceptor that serves every epoch: what fencing prevents is then free to happen. */
export const noFencingAcceptor: AcceptorHandler = (store, request) =>
  "key" in request ? handleRequest(store, { ...request, epoch: Number.MAX_SAFE_INTEGER }) : handleRequest(store, request);

/** Installs on the first needed object only: a minority, which leaves quorums of the previous epoch unfenced. */
export class MinorityInstallReconfigurer extends Reconfigurer {
  protected override install(_targets: readonly AcceptorRef[], needed: readonly AcceptorRef[], vshards: readonly number[], epoch: number, floor?: Floor): Promise<boolean> {
    return super.install(needed.slice(0, 1), needed.slice(0, 1), vshards, epoch, floor);
  }
}

/** Claims every key caught up without visiting any. */
export class SkipCatchUpReconfigurer extends Reconfigurer {
  protected override async catchUpKeys(): Promise<boolean> {
    return true;
  }
}

/** After the first recorded catch-up step, writes the final epoch with the other vshards not caught up. */
export class EarlyFinalReconfigurer extends Reconfigurer {
  protected override async catchUp(current: VersionedLayout): Promise<StepOutcome> {
    const change = current.layout.change!;
    if (change.vshardsDone === 0) return super.catchUp(current);
    // The record claims all done, as a bug that lost count would: the layout stays valid, only the data is missing.
    return this.write(current, leaveJoint(current.layout, "new", withStep(change, "final", { vshardsDone: change.vshardsTotal }), current.layout));
  }
}
