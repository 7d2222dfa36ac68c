import type { Acceptor } from "../acceptor/acceptor-object.js";
import { DurableObjectTransport } from "./durable-object-transport.js";
import { SHARD_COUNT, layoutOf } from "./placement.js";

/** How `/v1/health` (src/http/health.ts) reaches the acceptors: defined here, below the HTTP layer that uses it. */
export interface AcceptorProbe {
  readonly acceptors: number;
  readonly shards: number;
  /** The layout the proposer uses; an acceptor created for another one counts as failed. */
  readonly layout: string;
  readonly locationHints: readonly (string | undefined)[];
  /** How long one ping may take before the acceptor counts as unreachable. */
  readonly timeoutMs: number;
  ping(shard: number, index: number): Promise<{ layout: string | null }>;
}

/** How long a health ping waits before counting an acceptor as unreachable (or the round timeout, if longer). */
export const HEALTH_TIMEOUT_MS = 3000;

/** What the probe needs of the Worker's bindings (`Env`), stated here so that src/cluster needs no env.ts. */
export interface ProbeBindings {
  readonly ACCEPTOR: DurableObjectNamespace<Acceptor>;
}

/** What the probe needs of the Worker's configuration (`BallotConfig`), stated here so that src/cluster needs no config.ts. */
export interface ProbeConfig {
  readonly cluster: string;
  readonly locationHints: readonly (DurableObjectLocationHint | undefined)[];
  readonly proposer: { readonly acceptors: number; readonly roundTimeoutMs: number };
}

/** Health probes of the real acceptor objects: a read-only `ping()` RPC straight to each object (no fault table). */
export function createAcceptorProbe(env: ProbeBindings, config: ProbeConfig): AcceptorProbe {
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
