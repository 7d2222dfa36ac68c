import type { Collector, CollectorSettings } from "./collector-object.js";
import type { BallotConfig } from "../config.js";
import type { Registers } from "../core/proposer.js";
import { isLive } from "../core/register.js";
import { shardOf } from "../cluster/placement.js";

/** The object name of a shard's collector. */
export function collectorObjectName(cluster: string, shard: number): string {
  return `${cluster}/shard-${shard}/collector`;
}

/** What the collector of a shard needs to know of this Worker's configuration. */
export function collectorSettings(config: BallotConfig, shard: number): CollectorSettings {
  return {
    cluster: config.cluster,
    shard,
    acceptors: config.proposer.acceptors,
    locationHints: config.locationHints,
    roundTimeoutMs: config.proposer.roundTimeoutMs,
    delayMs: config.gcDelayMs,
  };
}

/** The collector object of a shard, placed next to acceptor 0 of the shard. */
export function collectorStub(namespace: DurableObjectNamespace<Collector>, config: BallotConfig, shard: number): DurableObjectStub<Collector> {
  const id = namespace.idFromName(collectorObjectName(config.cluster, shard));
  const locationHint = config.locationHints[0];
  return locationHint === undefined ? namespace.get(id) : namespace.get(id, { locationHint });
}

/**
 * Registers that wake the garbage collector of a key's shard whenever a change deleted the key (a delete, a lock
 * release, a compare-and-delete). The wake goes to `background` (the request's waitUntil): never on the request's
 * path, and a failed wake only leaves the tombstone for the next one.
 */
export function collectingDeletes(
  registers: Registers,
  namespace: DurableObjectNamespace<Collector>,
  config: BallotConfig,
  background: (work: Promise<unknown>) => void,
): Registers {
  return {
    read: (key) => registers.read(key),
    async change(key, change) {
      const outcome = await registers.change(key, change);
      if (outcome.kind === "applied" && isLive(outcome.previous) && !isLive(outcome.state)) {
        const shard = shardOf(key);
        background(collectorStub(namespace, config, shard).wake(collectorSettings(config, shard)).catch((error: unknown) => {
          console.error(JSON.stringify({ msg: "collector wake failed", shard, error: String(error) }));
        }));
      }
      return outcome;
    },
  };
}
