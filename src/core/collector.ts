import type { BallotIssuer } from "./ballot.js";
import type { Accepted, Forgotten, Promised } from "./messages.js";
import type { Clock, Transport } from "./ports.js";
import { MajorityConfig } from "./quorum/majority.js";
import { acceptorIds } from "./quorum/quorum-config.js";
import { UnanimousConfig } from "./quorum/unanimous.js";
import { isLive } from "./register.js";
import { highestAccepted, runRound } from "./round.js";

export interface CollectorDeps {
  /** N. */
  readonly acceptors: number;
  readonly transport: Transport;
  readonly clock: Clock;
  /** The collector's own ballots (its own proposer id), so they never collide with a proposer's. */
  readonly ballots: BallotIssuer;
  /** How long each of the three rounds waits for every acceptor. */
  readonly roundTimeoutMs: number;
}

export type CollectOutcome =
  /** Every acceptor forgot the key's row; only the floors of its bucket remain. */
  | { readonly kind: "collected" }
  /** The key holds a value (it was recreated) or changed during collection: nothing to collect now. */
  | { readonly kind: "live" }
  /** Not every acceptor answered or agreed; nothing unsafe was done. Try again later. */
  | { readonly kind: "retry"; readonly reason: string };

/**
 * Garbage collection of one deleted key (the paper's procedure, with the third step done by the acceptors):
 *
 * 1. Prepare, and if the key's state is not live (a tombstone, or nothing), accept that same state at this ballot on
 *    EVERY acceptor. Now no acceptor holds an older value that could come back once the others forget theirs.
 * 2. Ask every acceptor to forget the row if it still holds exactly that accept. Forgetting raises the acceptor's
 *    floor to the row's ballots and version: a delayed message from before (an old accept of the deleted value) is
 *    refused as it was refused while the row existed, and a recreated key's versions continue above the old ones.
 *
 * It never removes anything while an acceptor is unreachable: step 1 needs all N, and step 2 is repeatable (an
 * acceptor that answered nothing is asked again on the next try, after a fresh step 1).
 */
export async function collect(key: string, deps: CollectorDeps): Promise<CollectOutcome> {
  const everyone = new UnanimousConfig(acceptorIds(deps.acceptors));
  // Enough to know the key's current state; the other rounds need every acceptor.
  const majority = new MajorityConfig(everyone.members);
  const send = (i: number, request: Parameters<Transport["send"]>[1]) => deps.transport.send(i, request);

  // A refused prepare (a proposer's promise, often the piggybacked one of the delete itself) is retried at once
  // above the ballot it reported; anything else waits for the caller's next try.
  let ballot = deps.ballots.next();
  let promised = await runRound<Promised>(everyone, "promised", (i) => send(i, { type: "prepare", key, ballot }), deps.clock, deps.roundTimeoutMs);
  for (let retries = 0; promised.rejected.length > 0 && retries < 2; retries++) {
    deps.ballots.observe(promised.highestSeen);
    ballot = deps.ballots.next();
    promised = await runRound<Promised>(everyone, "promised", (i) => send(i, { type: "prepare", key, ballot }), deps.clock, deps.roundTimeoutMs);
  }
  deps.ballots.observe(promised.highestSeen);
  if (majority.voteResult(promised.votes) !== "won") return { kind: "retry", reason: "no majority promised" };
  const current = highestAccepted(promised.granted.map((g) => g.reply));
  // A tombstone holding a transaction's intent counts as live: the transaction may still create the key.
  if (isLive(current) || current?.intent !== undefined) return { kind: "live" };
  if (promised.result !== "won") return { kind: "retry", reason: "not every acceptor promised" };

  const accepted = await runRound<Accepted>(everyone, "accepted", (i) => send(i, { type: "accept", key, ballot, state: current }), deps.clock, deps.roundTimeoutMs);
  deps.ballots.observe(accepted.highestSeen);
  if (accepted.result !== "won") return { kind: "retry", reason: "not every acceptor took the tombstone" };

  const forgotten = await runRound<Forgotten>(everyone, "forgotten", (i) => send(i, { type: "forget", key, ballot }), deps.clock, deps.roundTimeoutMs);
  if (forgotten.result === "won") return { kind: "collected" };
  // A refusal means a newer accept reached that acceptor: the key changed after our tombstone, and a later delete
  // of it will be collected in its turn.
  if (forgotten.rejected.length > 0) return { kind: "live" };
  return { kind: "retry", reason: "not every acceptor forgot the key" };
}
