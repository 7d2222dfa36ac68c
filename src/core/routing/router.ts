import type { AcceptorReply, KeyedRequest } from "../messages.js";
import type { Clock, Transport } from "../ports.js";
import { MajorityConfig } from "../quorum/majority.js";
import { acceptorIds, type AcceptorId, type QuorumConfig } from "../quorum/quorum-config.js";

/**
 * Where a key's rounds go: the quorum every round needs (a majority of one group, or of both groups of a joint pair)
 * and how to reach its members. A route is fixed for the whole round; the next round asks again, so a proposer that
 * reloaded its layout meanwhile uses the new one.
 */
export interface Route {
  /** The epoch messages carry; undefined for a proposer without a layout (its messages count as epoch 0). */
  readonly epoch: number | undefined;
  readonly quorum: QuorumConfig;
  send(id: AcceptorId, request: KeyedRequest): Promise<AcceptorReply>;
}

export interface Router {
  route(key: string): Route;
  /**
   * An acceptor refused a message as older than `servedEpoch`: load a newer layout before the next round. The
   * refusal changed nothing, so the round may simply be run again on the new route.
   */
  refresh(servedEpoch: number): Promise<void>;
}

export function isRouter(value: Transport | Router): value is Router {
  return "route" in value;
}

/**
 * The placement from before layouts: N acceptors reached by index through a transport that places the key itself
 * (src/cluster's 16 fixed shards), a majority of them for every round, no epoch on the messages. One route for every
 * key, made once: a proposer built this way behaves exactly as before epochs existed.
 */
export class FixedRouter implements Router {
  private readonly fixed: Route;

  constructor(acceptors: number, transport: Transport) {
    this.fixed = { epoch: undefined, quorum: new MajorityConfig(acceptorIds(acceptors)), send: (i, request) => transport.send(i, request) };
  }

  route(): Route {
    return this.fixed;
  }

  async refresh(): Promise<void> {}
}

/**
 * Refreshes the router, waiting no longer than the request's deadline: a reload is a read of the config register
 * with a deadline of its own, and a request must still end by its deadline (it then gives up as unavailable: the
 * refusal changed nothing).
 */
export async function refreshBy(router: Router, servedEpoch: number, clock: Clock, deadline: number): Promise<void> {
  const timer = clock.timer(Math.max(0, deadline - clock.now()));
  await Promise.race([router.refresh(servedEpoch), timer.fired]);
  timer.cancel();
}
