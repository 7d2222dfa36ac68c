import type { IntentSweeper, IntentSweeperSettings } from "./intent-sweeper-object.js";
import type { BallotConfig } from "../config.js";
import { ownerGroupIds, ownerOf, type Layout } from "../core/layout/layout.js";
import { vshardOf } from "../core/layout/vshard.js";
import type { Registers } from "../core/proposer.js";
import type { LayoutCache } from "../core/routing/layout-cache.js";
import { sweepLeaseMs, sweepPeriodMs } from "../core/txn/sweep-schedule.js";
import { armingSweeps, SweepLeases } from "../core/txn/sweep-trigger.js";
import { systemClock } from "../cluster/runtime.js";

/**
 * How far the Worker's clock and a sweeper's may be apart: a lease is trusted only until this long before it ends.
 * Cloudflare's machines keep time by NTP, well within it.
 */
const CLOCK_MARGIN_MS = 1000;
/** A failed wake is tried again after these pauses (in the background; then it is logged and given up). */
const WAKE_RETRY_MS = [100, 1000] as const;

/** The object name of a group's intent sweeper. */
export function intentSweeperObjectName(cluster: string, group: number): string {
  return `${cluster}/group-${group}/intent-sweeper`;
}

/** What the sweeper of a group needs to know of this Worker's configuration. */
export function intentSweeperSettings(config: BallotConfig, group: number): IntentSweeperSettings {
  return {
    cluster: config.cluster,
    acceptors: config.proposer.acceptors,
    locationHints: config.locationHints,
    proposer: config.proposer,
    group,
    staleMs: config.txn.staleMs,
  };
}

/** The sweeper object of a group, placed where the group's first acceptor is (by its hint). */
export function intentSweeperStub(namespace: DurableObjectNamespace<IntentSweeper>, config: BallotConfig, group: number, layout?: Layout): DurableObjectStub<IntentSweeper> {
  const id = namespace.idFromName(intentSweeperObjectName(config.cluster, group));
  const locationHint = layout?.groups.find((g) => g.id === group)?.acceptors[0]?.locationHint ?? config.locationHints[0];
  return locationHint === undefined ? namespace.get(id) : namespace.get(id, { locationHint });
}

/**
 * Registers that wake the intent sweeper of a key's group (both groups while a layout change moves the key) before
 * an intent is placed there and whenever an answer shows one (src/core/txn/sweep-trigger.ts). Wakes go to
 * `background` (the request's waitUntil), never on the request's path; a wake that a known lease covers is not sent,
 * so a Worker under steady transactions wakes each group about once per lease. A wake that fails is tried twice
 * more, then logged: the intents it was for are then left to whoever meets them next, or to the group's next wake.
 */
export function armingIntentSweeps(
  registers: Registers,
  namespace: DurableObjectNamespace<IntentSweeper>,
  config: BallotConfig,
  layout: LayoutCache,
  background: (work: Promise<unknown>) => void,
): Registers {
  const leases = new SweepLeases(CLOCK_MARGIN_MS);
  const opMs = config.proposer.deadlineMs + config.proposer.roundTimeoutMs;
  const leaseMs = sweepLeaseMs(sweepPeriodMs(config.txn.staleMs), opMs);
  const wake = async (group: number, current: Layout): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        leases.leased(group, await intentSweeperStub(namespace, config, group, current).wake(intentSweeperSettings(config, group)));
        return;
      } catch (error) {
        const pause = WAKE_RETRY_MS[attempt];
        if (pause === undefined) {
          leases.forget(group);
          console.error(JSON.stringify({ msg: "intent sweeper wake failed", group, error: String(error) }));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  };
  return armingSweeps(registers, systemClock, opMs, (key, chosenBy) => {
    const current = layout.current();
    for (const group of ownerGroupIds(ownerOf(current, vshardOf(key)).owner)) {
      if (!leases.needsWake(group, chosenBy)) continue;
      // Taken as granted at once (the sweeper's lease will start no earlier), so that a burst of transactions sends
      // one wake; if it fails, `forget` makes the next intent wake again.
      leases.leased(group, Date.now() + leaseMs);
      background(wake(group, current));
    }
  });
}
