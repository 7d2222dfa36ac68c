/**
 * What a quorum configuration makes of the replies so far: `won` when the acceptors that granted form a quorum,
 * `lost` when so many refused or failed that no quorum can form any more, `pending` while it can still go either
 * way (a round keeps waiting for replies).
 */
export type VoteResult = "won" | "lost" | "pending";
