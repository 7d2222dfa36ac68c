/**
 * Negative controls: deliberately broken pieces the simulator must catch. A checker or simulator that cannot fail
 * proves nothing, so tests assert each of these fails at least one seed of the CI budget.
 */
import { compareBallots } from "../../src/core/ballot.js";
import { EMPTY_SLOT, handleRequest } from "../../src/core/acceptor.js";
import type { Outcome, RoundStats } from "../../src/core/proposer.js";
import type { AcceptorHandler } from "./acceptor-node.js";
import type { ProposerNode } from "./cluster.js";
import type { Rng } from "./rng.js";

export type Bug =
  /** The proposer believes N = 1; the sim routes its one acceptor to a random one of 3 per message. */
  | "quorum-1-of-3"
  /** Reads trust one acceptor: peek a random one and return its state. */
  | "single-acceptor-read"
  /** Acceptors only check the promise, so they overwrite the accepted state at an equal or lower ballot. */
  | "overwrite-accept";

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
  const stats: RoundStats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, fastPath: "peek" };
  const timer = node.clock.timer(timeoutMs);
  const reply = await Promise.race([
    node.transport.send(rng.int(acceptors), { type: "peek", key }).catch(() => null),
    timer.fired.then(() => null),
  ]);
  timer.cancel();
  if (reply === null || reply.type !== "peeked") return { kind: "unavailable", reason: "peek failed", stats };
  return { kind: "applied", state: reply.state, previous: reply.state, stats };
}
