import type { Cluster, KillMode } from "./cluster.js";
import { CLEAN_LINKS, type LinkFaults } from "./network.js";
import type { Rng } from "./rng.js";

/** The faults of one scenario's faulty phase; everything is healed when it ends. */
export interface FaultSpec {
  /** Message faults in both directions while the faulty phase lasts. */
  readonly links: LinkFaults;
  /** Crash and restart episodes: in-flight messages to and from the acceptor are lost, its storage is kept. */
  readonly crashes: number;
  /** Episodes of an acceptor being down (alive but silent; it works off what queued up when it resumes). */
  readonly stalls: number;
  readonly downMs: readonly [number, number];
  /** Partitions cutting off a minority of acceptors (with, sometimes, a proposer on their side). */
  readonly minorityPartitions: number;
  /** Partitions cutting off a majority: nothing can be chosen on either side while they last. */
  readonly majorityPartitions: number;
  readonly partitionMs: readonly [number, number];
  /** Proposers armed to die at their next accept round; a fresh proposer takes over their slot. */
  readonly proposerKills: number;
  readonly killModes: readonly KillMode[];
}

export const NO_FAULTS: FaultSpec = {
  links: CLEAN_LINKS,
  crashes: 0,
  stalls: 0,
  downMs: [0, 0],
  minorityPartitions: 0,
  majorityPartitions: 0,
  partitionMs: [0, 0],
  proposerKills: 0,
  killModes: ["before-accept", "after-one-accept"],
};

/**
 * Schedules the scenario's fault episodes at random times of the faulty phase [0, faultyMs). Returns a function
 * that stops any episode from starting later (the faulty phase may end early; healing must be final).
 */
export function scheduleFaults(cluster: Cluster, spec: FaultSpec, rng: Rng, faultyMs: number): () => void {
  const { network, acceptors } = cluster;
  const n = acceptors.length;
  const minority = Math.floor((n - 1) / 2);
  let active = true;
  const scheduler = {
    at: (time: number, start: () => void) => cluster.scheduler.at(time, () => active && start()),
    after: (delay: number, end: () => void) => cluster.scheduler.after(delay, end),
  };
  const when = () => rng.between(0, faultyMs * 0.9);
  network.links = spec.links;

  for (let i = 0; i < spec.crashes; i++) {
    const a = acceptors[rng.int(n)]!;
    const down = rng.between(...spec.downMs);
    scheduler.at(when(), () => {
      if (a.crashed) return;
      a.crash();
      scheduler.after(down, () => a.restart());
    });
  }
  for (let i = 0; i < spec.stalls; i++) {
    const a = acceptors[rng.int(n)]!;
    const down = rng.between(...spec.downMs);
    scheduler.at(when(), () => {
      if (a.stalled || a.crashed) return;
      a.stall();
      scheduler.after(down, () => a.resume());
    });
  }
  const partitions = [
    ...Array.from({ length: spec.minorityPartitions }, () => minority),
    ...Array.from({ length: spec.majorityPartitions }, () => n - minority),
  ];
  for (const size of partitions) {
    const length = rng.between(...spec.partitionMs);
    scheduler.at(when(), () => {
      if (network.partition !== null) return;
      const side = new Set(rng.sample(n, size));
      // Sometimes a proposer ends up on the cut-off side, so it sees only those acceptors.
      const proposers = new Set<string>();
      if (rng.chance(0.5)) proposers.add(cluster.node(rng.int(cluster.proposerSlots)).id);
      const partition = { acceptors: side, proposers };
      network.partition = partition;
      scheduler.after(length, () => {
        if (network.partition === partition) network.partition = null;
      });
    });
  }
  for (let i = 0; i < spec.proposerKills; i++) {
    const mode = rng.pick(spec.killModes);
    const slot = rng.int(cluster.proposerSlots);
    scheduler.at(when(), () => {
      cluster.node(slot).killOnAccept ??= mode;
    });
  }
  return () => void (active = false);
}
