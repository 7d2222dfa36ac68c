import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { LayoutCache } from "../core/routing/layout-cache.js";
import { VSHARD_COUNT } from "../core/layout/vshard.js";
import { DurableObjectNamedTransport } from "./named-object-transport.js";
import { layoutOf } from "./placement.js";

/** How `/v1/health` (src/http/health.ts) reaches the acceptors: defined here, below the HTTP layer that uses it. */
export interface AcceptorProbe {
  readonly acceptors: number;
  /** Shard (group) ids are below this. */
  readonly shards: number;
  /** The ids to probe, when not 0 to shards - 1: the layout's groups. */
  readonly groupIds?: () => readonly number[];
  /** A group's acceptors' location hints, when not `acceptors` objects with `locationHints` (groups may differ). */
  readonly groupHints?: (group: number) => readonly (string | undefined)[];
  /** The layout string objects from before layouts were created with; one created for another N counts as failed. */
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
  readonly locationHints: readonly (DurableObjectLocationHint | undefined)[];
  readonly proposer: { readonly acceptors: number; readonly roundTimeoutMs: number };
}

/**
 * Health probes of the real acceptor objects of every group of the isolate's layout: a read-only `ping()` RPC
 * straight to each object (no fault table).
 */
export function createAcceptorProbe(env: ProbeBindings, config: ProbeConfig, layout: LayoutCache): AcceptorProbe {
  const acceptors = config.proposer.acceptors;
  const objects = new DurableObjectNamedTransport(env.ACCEPTOR);
  return {
    acceptors,
    shards: VSHARD_COUNT,
    groupIds: () => layout.current().groups.map((g) => g.id),
    groupHints: (group) => layout.current().groups.find((g) => g.id === group)?.acceptors.map((a) => a.locationHint) ?? [],
    layout: layoutOf(acceptors),
    locationHints: config.locationHints,
    // Generous: a ping may have to start a cold object (locally, 48 cold objects take over a second on one thread).
    timeoutMs: Math.max(config.proposer.roundTimeoutMs, HEALTH_TIMEOUT_MS),
    ping: async (group, index) => {
      const ref = layout.current().groups.find((g) => g.id === group)?.acceptors[index];
      if (ref === undefined) throw new Error(`group ${group} has no acceptor ${index}`);
      return (await objects.stub(ref).ping()) as { layout: string | null };
    },
  };
}
