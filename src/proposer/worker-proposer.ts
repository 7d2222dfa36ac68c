import type { BallotConfig } from "../config.js";
import { Proposer } from "../core/proposer.js";
import type { Transport } from "../core/ports.js";
import type { Env } from "../env.js";
import { DurableObjectTransport } from "../cluster/durable-object-transport.js";
import { systemClock, systemRandom } from "../cluster/runtime.js";

/**
 * A proposer wired to the real acceptors. `wrapTransport` lets tests put faults on the real call path.
 */
export function createWorkerProposer(
  env: Env,
  config: BallotConfig,
  wrapTransport: (transport: Transport) => Transport = (t) => t,
): Proposer {
  const transport = new DurableObjectTransport(env.ACCEPTOR, config.cluster, config.proposer.acceptors, config.locationHints);
  // 64 random bits tell proposers apart; short, because every state's lineage stores a few of them.
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  return new Proposer(id, config.proposer, wrapTransport(transport), systemClock, systemRandom);
}
