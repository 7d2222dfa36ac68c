import type { AcceptorId, QuorumConfig, Votes } from "./quorum-config.js";
import { inOrder } from "./quorum-config.js";
import type { VoteResult } from "./vote-result.js";

/**
 * Every member must grant: the garbage collector's rounds, which may only forget a key once no acceptor can still
 * hold an older state of it. One refusal or failed call loses the round. As for a majority, no members never wins.
 */
export class UnanimousConfig implements QuorumConfig {
  readonly members: readonly AcceptorId[];

  constructor(members: Iterable<AcceptorId>) {
    this.members = [...new Set(members)];
  }

  voteResult(votes: Votes): VoteResult {
    if (this.members.length === 0) return "lost";
    let silent = false;
    for (const id of this.members) {
      const vote = votes.get(id);
      if (vote === false) return "lost";
      if (vote === undefined) silent = true;
    }
    return silent ? "pending" : "won";
  }

  bareQuorum(order: readonly AcceptorId[]): readonly AcceptorId[] {
    return inOrder(this.members, order);
  }
}
