import type { BallotConfig } from "../config.js";
import type { Env } from "../env.js";
import type { AcceptorProbe } from "../http/health.js";
import { DurableObjectTransport } from "./durable-object-transport.js";
import { SHARD_COUNT, layoutOf } from "./placement.js";

/** How long a health ping waits before counting an acceptor as unreachable (or the round timeout, if longer). */
export const HEALTH_TIMEOUT_MS = 3000;

/** Health probes of the real acceptor objects: a read-only `ping()` RPC straight to each object (no fault table). */
export function createAcceptorProbe(env: Env, config: BallotConfig): AcceptorProbe {
  const acceptors = config.proposer.acceptors;
  const objects = new DurableObjectTransport(env.ACCEPTOR, config.cluster, acceptors, config.locationHints);
  return {
    acceptors,
    shards: SHARD_COUNT,
    layout: layoutOf(acceptors),
    locationHints: config.locationHints,
    // Generous: a ping may have to start a cold object (locally, 48 cold objects take over a second on one thread).
    timeoutMs: Math.max(config.proposer.roundTimeoutMs, HEALTH_TIMEOUT_MS),
    ping: async (shard, index) => (await objects.stub(shard, index).ping()) as { layout: string | null },
  };
}
