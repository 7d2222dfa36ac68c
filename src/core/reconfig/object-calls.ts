import type { AcceptorRef } from "../layout/layout.js";
import type { AcceptorRequest, Installed, Listed } from "../messages.js";
import type { Floor } from "../acceptor.js";
import { NO_FLOOR } from "../acceptor.js";
import { maxBallot } from "../ballot.js";
import type { Clock } from "../ports.js";
import { majority, MajorityConfig } from "../quorum/majority.js";
import type { AcceptorId, QuorumConfig, Votes } from "../quorum/quorum-config.js";
import type { VoteResult } from "../quorum/vote-result.js";
import { runRound, type RoundTally } from "../round.js";
import type { NamedTransport } from "../routing/named-transport.js";

/** What the reconfigurer needs to reach acceptor objects. */
export interface ObjectCalls {
  readonly objects: NamedTransport;
  readonly clock: Clock;
  readonly roundTimeoutMs: number;
}

/**
 * Sent to every object listed, decided by a majority of `needed` (a subset): a message that should reach all
 * reachable objects but is safe once a majority of one group has it.
 */
class MajorityOfSome implements QuorumConfig {
  readonly members: readonly AcceptorId[];
  private readonly needed: MajorityConfig;

  constructor(all: number, needed: readonly AcceptorId[]) {
    this.members = Array.from({ length: all }, (_, i) => i);
    this.needed = new MajorityConfig(needed);
  }

  voteResult(votes: Votes): VoteResult {
    return this.needed.voteResult(votes);
  }

  bareQuorum(): readonly AcceptorId[] {
    return this.members;
  }
}

/**
 * Installs `epoch` for `vshards` (and raises floors to `floor`) on every object of `targets`, and says whether a
 * majority of `needed` (a subset of `targets`) took it. The rule that makes an install enough: every quorum of the
 * previous epoch must contain an object that installed the new one; for a majority quorum of a group, a majority of
 * that group is exactly that.
 */
export async function installOn(
  calls: ObjectCalls,
  targets: readonly AcceptorRef[],
  needed: readonly AcceptorRef[],
  vshards: readonly number[],
  epoch: number,
  floor?: Floor,
): Promise<boolean> {
  const names = targets.map((t) => t.name);
  const neededIds = needed.map((n) => names.indexOf(n.name));
  if (neededIds.some((id) => id < 0)) throw new Error("installOn: every needed object must be a target");
  const request: AcceptorRequest = floor === undefined ? { type: "install", vshards, epoch } : { type: "install", vshards, epoch, floor };
  const tally = await runRound<Installed>(
    new MajorityOfSome(targets.length, neededIds),
    "installed",
    (i) => calls.objects.send(targets[i]!, request),
    calls.clock,
    calls.roundTimeoutMs,
  );
  return tally.result === "won";
}

/** Every key of `vshards` one object holds, page by page; null if some page did not come back in time. */
async function listAll(calls: ObjectCalls, object: AcceptorRef, vshards: readonly number[], pageSize: number): Promise<{ keys: string[]; floor: Floor } | null> {
  const keys: string[] = [];
  let floor = NO_FLOOR;
  let after: string | null = null;
  do {
    const request: AcceptorRequest = { type: "list", vshards, after, limit: pageSize };
    const tally: RoundTally<Listed> = await runRound<Listed>(new MajorityConfig([0]), "listed", () => calls.objects.send(object, request), calls.clock, calls.roundTimeoutMs);
    const page: Listed | undefined = tally.granted[0]?.reply;
    if (page === undefined) return null;
    keys.push(...page.keys);
    floor = { ballot: maxBallot(floor.ballot, page.floor.ballot), version: Math.max(floor.version, page.floor.version) };
    after = page.next;
  } while (after !== null);
  return { keys, floor };
}

/**
 * The keys to catch up for vshards moving out of `group`: the union of the complete listings of a majority of it
 * (a chosen state is on a majority, so on at least one of them), with the highest floor they report; null when fewer
 * than a majority could list.
 */
export async function keysOfMajority(
  calls: ObjectCalls,
  group: readonly AcceptorRef[],
  vshards: readonly number[],
  pageSize: number,
): Promise<{ keys: string[]; floor: Floor } | null> {
  const listings = await Promise.all(group.map((object) => listAll(calls, object, vshards, pageSize)));
  const complete = listings.filter((l): l is { keys: string[]; floor: Floor } => l !== null);
  if (complete.length < majority(group.length)) return null;
  const keys = new Set<string>();
  let floor = NO_FLOOR;
  for (const listing of complete) {
    for (const key of listing.keys) keys.add(key);
    floor = { ballot: maxBallot(floor.ballot, listing.floor.ballot), version: Math.max(floor.version, listing.floor.version) };
  }
  return { keys: [...keys].sort(), floor };
}

