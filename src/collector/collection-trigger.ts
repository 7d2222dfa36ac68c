import type { Collector, CollectorSettings } from "./collector-object.js";
import type { BallotConfig } from "../config.js";
import { ownerOf, type Layout } from "../core/layout/layout.js";
import { LEGACY_SHARD_COUNT, vshardOf } from "../core/layout/vshard.js";
import type { Registers } from "../core/proposer.js";
import { isLive } from "../core/register.js";
import type { LayoutCache } from "../core/routing/layout-cache.js";

/**
 * The object name of a group's collector. The first layout's groups are the shards from before layouts, and keep
 * their collectors' names.
 */
export function collectorObjectName(cluster: string, group: number): string {
  return group < LEGACY_SHARD_COUNT ? `${cluster}/shard-${group}/collector` : `${cluster}/group-${group}/collector`;
}

/** What the collector of a group needs to know of this Worker's configuration. */
export function collectorSettings(config: BallotConfig, group: number): CollectorSettings {
  return {
    cluster: config.cluster,
    acceptors: config.proposer.acceptors,
    locationHints: config.locationHints,
    proposer: config.proposer,
    group,
    delayMs: config.gcDelayMs,
  };
}

/** The collector object of a group, placed where the group's first acceptor is (by its hint). */
export function collectorStub(namespace: DurableObjectNamespace<Collector>, config: BallotConfig, group: number, layout?: Layout): DurableObjectStub<Collector> {
  const id = namespace.idFromName(collectorObjectName(config.cluster, group));
  const locationHint = layout?.groups.find((g) => g.id === group)?.acceptors[0]?.locationHint ?? config.locationHints[0];
  return locationHint === undefined ? namespace.get(id) : namespace.get(id, { locationHint });
}

/**
 * Registers that wake the garbage collector of a key's group whenever a change deleted the key (a delete, a lock
 * release, a compare-and-delete). The wake goes to `background` (the request's waitUntil): never on the request's
 * path, and a failed wake only leaves the tombstone for the next one. A key whose vshard is moving (a layout change
 * runs) wakes nobody: the collector leaves moving keys alone, and the next delete after the move wakes the new group's.
 */
export function collectingDeletes(
  registers: Registers,
  namespace: DurableObjectNamespace<Collector>,
  config: BallotConfig,
  layout: LayoutCache,
  background: (work: Promise<unknown>) => void,
): Registers {
  return {
    read: (key) => registers.read(key),
    async change(key, change) {
      const outcome = await registers.change(key, change);
      if (outcome.kind === "applied" && isLive(outcome.previous) && !isLive(outcome.state)) {
        const current = layout.current();
        const owner = ownerOf(current, vshardOf(key)).owner;
        if ("group" in owner) {
          background(collectorStub(namespace, config, owner.group, current).wake(collectorSettings(config, owner.group)).catch((error: unknown) => {
            console.error(JSON.stringify({ msg: "collector wake failed", group: owner.group, error: String(error) }));
          }));
        }
      }
      return outcome;
    },
  };
}
