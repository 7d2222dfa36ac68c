import type { VoteResult } from "./vote-result.js";

/** An acceptor, by its index in the transport (`Transport.send`). */
export type AcceptorId = number;

/** The replies so far: true for a grant, false for a refusal or a failed call; absent while an acceptor is silent. */
export type Votes = ReadonlyMap<AcceptorId, boolean>;

/**
 * Which sets of acceptors make a quorum. A round contacts the members and asks `voteResult` after every reply; the
 * same question serves prepares, accepts, peeks (the acceptors that agree on a ballot) and the collector's rounds.
 * Implementations are pure values: no I/O, no clock.
 */
export interface QuorumConfig {
  /** Every acceptor whose vote counts, each once. */
  readonly members: readonly AcceptorId[];
  voteResult(votes: Votes): VoteResult;
  /**
   * Members whose grants alone would win, taken as early in `order` as possible: whom to ask first when asking
   * fewer saves calls (peeks). Members missing from `order` come after it.
   */
  bareQuorum(order: readonly AcceptorId[]): readonly AcceptorId[];
}

/** Acceptors 0..n-1: the N acceptors of one shard in today's fixed layout. */
export function acceptorIds(n: number): AcceptorId[] {
  const ids: AcceptorId[] = [];
  for (let i = 0; i < n; i++) ids.push(i);
  return ids;
}

/** `members` in the order of preference: those listed in `order` first, as listed, then the others as they were. */
export function inOrder(members: readonly AcceptorId[], order: readonly AcceptorId[]): AcceptorId[] {
  const isMember = new Set(members);
  const listed = new Set<AcceptorId>();
  const sorted: AcceptorId[] = [];
  for (const id of order) {
    if (isMember.has(id) && !listed.has(id)) {
      listed.add(id);
      sorted.push(id);
    }
  }
  for (const id of members) if (!listed.has(id)) sorted.push(id);
  return sorted;
}
