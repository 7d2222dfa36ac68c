import type { MajorityConfig } from "./majority.js";
import type { AcceptorId, QuorumConfig, Votes } from "./quorum-config.js";
import { inOrder } from "./quorum-config.js";
import type { VoteResult } from "./vote-result.js";

/**
 * A quorum of a joint epoch, while a vshard moves from group `outgoing` to group `incoming`: a majority of each.
 * Such a quorum contains a majority of the outgoing group, so it meets every quorum a proposer of the old epoch can
 * gather, and a majority of the incoming group, so it meets every quorum of the next epoch. The groups may share
 * acceptors (replacing one acceptor moves the vshard to a group that differs in one member).
 */
export class JointConfig implements QuorumConfig {
  readonly members: readonly AcceptorId[];

  constructor(
    readonly outgoing: MajorityConfig,
    readonly incoming: MajorityConfig,
  ) {
    this.members = [...new Set([...outgoing.members, ...incoming.members])];
  }

  voteResult(votes: Votes): VoteResult {
    const outgoing = this.outgoing.voteResult(votes);
    const incoming = this.incoming.voteResult(votes);
    if (outgoing === "lost" || incoming === "lost") return "lost";
    if (outgoing === "won" && incoming === "won") return "won";
    return "pending";
  }

  /**
   * A majority of each group, with as few acceptors as that takes: the outgoing group takes the shared acceptors
   * first (they count for both groups), then its own in `order`; the incoming group reuses what it can of those and
   * fills the rest in `order`.
   */
  bareQuorum(order: readonly AcceptorId[]): readonly AcceptorId[] {
    const incoming = new Set(this.incoming.members);
    const shared = inOrder(this.outgoing.members.filter((id) => incoming.has(id)), order);
    const fromOutgoing = this.outgoing.bareQuorum([...shared, ...order]);
    const fromIncoming = this.incoming.bareQuorum([...fromOutgoing, ...order]);
    return inOrder([...new Set([...fromOutgoing, ...fromIncoming])], order);
  }
}
