import type { AcceptorId, QuorumConfig, Votes } from "./quorum-config.js";
import { inOrder } from "./quorum-config.js";
import type { VoteResult } from "./vote-result.js";

/** The majority of N acceptors: any two such sets share an acceptor. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * A quorum is more than half of the members: what every round of a group needs.
 *
 * Unlike etcd's raft, the empty config never wins. Raft lets it win so that one joint type can stand for a plain
 * config (an empty outgoing half); here a plain config is this type, and a quorum is what makes a state chosen: two
 * empty "quorums" share no acceptor, and a state stored on no acceptor is not stored. An empty group (a layout bug)
 * thus fails safe: every round over it is lost and no answer claims a state was chosen.
 */
export class MajorityConfig implements QuorumConfig {
  readonly members: readonly AcceptorId[];

  constructor(members: Iterable<AcceptorId>) {
    this.members = [...new Set(members)];
  }

  voteResult(votes: Votes): VoteResult {
    const needed = majority(this.members.length);
    let granted = 0;
    let silent = 0;
    for (const id of this.members) {
      const vote = votes.get(id);
      if (vote === undefined) silent++;
      else if (vote) granted++;
    }
    if (granted >= needed) return "won";
    // Even if every silent member granted, too few (always so for no members): no majority can form any more.
    if (granted + silent < needed) return "lost";
    return "pending";
  }

  bareQuorum(order: readonly AcceptorId[]): readonly AcceptorId[] {
    if (this.members.length === 0) return [];
    return inOrder(this.members, order).slice(0, majority(this.members.length));
  }
}
