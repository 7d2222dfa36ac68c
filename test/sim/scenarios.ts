import type { ProposerConfig } from "../../src/core/proposer.js";
import type { Bug } from "./bugs.js";
import type { GcSpec } from "./collector.js";
import type { LayoutSpec } from "./layout.js";
import { NO_FAULTS, type FaultSpec } from "./faults.js";
import { CLEAN_LINKS, type LinkFaults } from "./network.js";
import type { WorkloadSpec } from "./workload.js";

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly acceptors: 3 | 5 | 7;
  /** Proposers serving clients at once. */
  readonly proposers: number;
  /** `acceptors` is filled in from the scenario. Times are virtual ms. */
  readonly config: Omit<ProposerConfig, "acceptors">;
  readonly workload: WorkloadSpec;
  readonly faults: FaultSpec;
  /** Length of the faulty phase, after which every fault is healed. */
  readonly faultyMs: number;
  readonly clockSkewMs: number;
  /** A negative control: the scenario runs a deliberately broken piece and MUST be caught. */
  readonly bug: Bug | null;
  /** A garbage collector of deleted keys running alongside the clients (null: none). */
  readonly gc: GcSpec | null;
  /** Layout changes (issue 19) run by a reconfigurer during the faulty phase; proposers then route by layouts. */
  readonly layout: LayoutSpec | null;
  /**
   * Every proposer call must end by its deadline plus one round time-out (and a poll), not the looser default bound:
   * for the overload scenarios, where the deadline is what keeps waits bounded.
   */
  readonly strictDeadline?: boolean;
}

// Round time-outs well above the usual delay (1-15 ms) but below the slow tail, so stale messages arrive late.
const CONFIG: Scenario["config"] = {
  roundTimeoutMs: 40,
  deadlineMs: 400,
  backoff: { baseMs: 2, maxMs: 40 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 1000,
  maxBatch: 16,
  pollMs: 1,
  // Piggybacked promises older than 100 virtual ms (about ten rounds here; production: 1 s) are checked with a peek
  // before use, so the stale ones that would end "unknown" are both exercised and avoided.
  promiseTtlMs: 100,
};

const WORKLOAD: WorkloadSpec = {
  clients: 5,
  keys: 3,
  maxOpsPerClient: 80,
  mix: { read: 3, write: 2, cas: 3, create: 1, delete: 0.5, deleteExpect: 0.5, increment: 1 },
  integerValues: 0.3,
  thinkMs: [0, 25],
  clientTimeoutMs: null,
  cancelOnTimeout: 0,
  sticky: 0.6,
};

const LOSSY: LinkFaults = {
  loss: 0.08,
  lossAsError: 0.3,
  duplicate: 0.1,
  delayMs: [1, 15],
  slow: 0.04,
  slowDelayMs: [40, 400],
};

const LIGHT_LOSS: LinkFaults = { ...LOSSY, loss: 0.02, duplicate: 0.05, slow: 0.02 };

/** The garbage collector of the GC scenarios: collections back to back, a tenth of them dying mid-procedure. */
const GC: GcSpec = {
  pauseMs: [2, 20],
  deletedKeys: 0.7,
  retries: 4,
  crash: 0.1,
  restartMs: [10, 100],
  roundTimeoutMs: 60,
  clockSkewMs: 2000,
};

/** Deletes and recreates over few keys, so collected keys come back to life (at jumped versions). */
const GC_MIX: WorkloadSpec["mix"] = { read: 2, write: 1.5, cas: 1.5, create: 2.5, delete: 2, deleteExpect: 1, increment: 1.5 };

/**
 * Old messages arrive very late (a slow tail of up to 0.6 s) and are often duplicated; less loss than LOSSY, so that
 * collections (three rounds that need every acceptor) get through now and then.
 */
const STALE: LinkFaults = { ...LOSSY, loss: 0.03, duplicate: 0.15, slow: 0.04, slowDelayMs: [100, 600] };

const BASE: Scenario = {
  name: "base",
  summary: "",
  acceptors: 3,
  proposers: 3,
  config: CONFIG,
  workload: WORKLOAD,
  faults: NO_FAULTS,
  faultyMs: 1500,
  clockSkewMs: 2000,
  bug: null,
  gc: null,
  layout: null,
};

/**
 * A layout change during the faulty phase: it starts early, steps every few ms, the reconfigurer dies in a tenth of
 * its steps, and a third of the catch-up steps crash an object of a moving group. 512 vshards per catch-up step: a
 * split records four steps, a membership change eight.
 */
const LAYOUT: LayoutSpec = {
  changes: [{ groups: 2 }],
  startMs: [100, 700],
  pauseMs: [2, 20],
  crash: 0.1,
  restartMs: [10, 100],
  crashDuringCatchUp: 0.3,
  downMs: [20, 200],
  roundTimeoutMs: 40,
  vshardsPerStep: 512,
};

/** Eight keys over a layout of one group at first: a split moves three of them (key-0, key-6, key-7), the others all. */
const LAYOUT_WORKLOAD: Partial<WorkloadSpec> = { keys: 8, sticky: 0.8, mix: { ...WORKLOAD.mix, delete: 1, deleteExpect: 0.5 } };

const LAYOUT_FAULTS: Partial<FaultSpec> = { links: LOSSY, crashes: 3, stalls: 2, downMs: [20, 250], proposerKills: 4 };

type Tweaks = Partial<Omit<Scenario, "config" | "workload" | "faults">> & {
  readonly config?: Partial<Scenario["config"]>;
  readonly workload?: Partial<WorkloadSpec>;
  readonly faults?: Partial<FaultSpec>;
};

function scenario(name: string, summary: string, tweaks: Tweaks): Scenario {
  return {
    ...BASE,
    ...tweaks,
    name,
    summary,
    config: { ...BASE.config, ...tweaks.config },
    workload: { ...BASE.workload, ...tweaks.workload },
    faults: { ...BASE.faults, ...tweaks.faults },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  scenario("clean-n3", "no faults, mixed operations", { faults: { links: CLEAN_LINKS } }),
  scenario("lossy-n3", "loss, delay, duplication, reordering both ways", { faults: { links: LOSSY } }),
  scenario("lossy-n5", "as lossy-n3 with N=5, reads without the peek fast path", {
    acceptors: 5,
    config: { peekReads: false, pollMs: 3 },
    faults: { links: { ...LOSSY, loss: 0.12 } },
  }),
  scenario("crash-n3", "acceptors crash and restart or go silent for a while", {
    faults: { links: LIGHT_LOSS, crashes: 4, stalls: 3, downMs: [20, 300] },
  }),
  scenario("crash-n5", "several acceptors crash or go silent, N=5, no piggybacked promises", {
    acceptors: 5,
    config: { piggyback: false },
    faults: { links: LIGHT_LOSS, crashes: 7, stalls: 4, downMs: [20, 400] },
  }),
  scenario("partition-minority-n5", "partitions cut off 2 of 5 acceptors (sometimes with a proposer)", {
    acceptors: 5,
    faults: { links: LIGHT_LOSS, minorityPartitions: 4, partitionMs: [50, 300] },
  }),
  scenario("partition-majority-n3", "partitions cut off a majority for a while; clients time out", {
    workload: { clientTimeoutMs: 250, cancelOnTimeout: 0.3 },
    faults: { links: LIGHT_LOSS, minorityPartitions: 2, majorityPartitions: 2, partitionMs: [50, 400] },
  }),
  scenario("partition-majority-n5", "majority and minority partitions with N=5, no peek reads", {
    acceptors: 5,
    config: { peekReads: false },
    faults: { links: LIGHT_LOSS, minorityPartitions: 2, majorityPartitions: 2, partitionMs: [50, 400] },
  }),
  scenario("proposer-death-n3", "proposers die before their accept or after it reached one acceptor", {
    faults: { links: LIGHT_LOSS, proposerKills: 8 },
  }),
  scenario("proposer-death-n5", "proposer deaths with N=5 and lossy links, no peek reads", {
    acceptors: 5,
    config: { peekReads: false },
    faults: { links: LOSSY, proposerKills: 8 },
  }),
  scenario("client-timeouts-n3", "clients give up before rounds finish, half of them cancelling their request", {
    config: { roundTimeoutMs: 25, deadlineMs: 150 },
    workload: { clientTimeoutMs: 30, cancelOnTimeout: 0.5 },
    faults: { links: LOSSY },
  }),
  scenario("contention-n5", "8 clients through 6 proposers on 2 keys, no fast paths or batching, tight deadlines", {
    acceptors: 5,
    proposers: 6,
    config: { peekReads: false, piggyback: false, maxBatch: 1, roundTimeoutMs: 20, deadlineMs: 200 },
    faultyMs: 800,
    workload: { clients: 8, keys: 2, sticky: 0, thinkMs: [0, 10], mix: { read: 2, write: 2, cas: 4, increment: 1 } },
    faults: { links: { ...LIGHT_LOSS, delayMs: [1, 8] } },
  }),
  scenario("coalescing-n3", "10 clients through 2 proposers on 2 keys: shared rounds, cancelled batch leaders", {
    proposers: 2,
    faultyMs: 800,
    workload: { clients: 10, keys: 2, sticky: 0.9, thinkMs: [0, 4], clientTimeoutMs: 60, cancelOnTimeout: 0.5 },
    faults: { links: LOSSY, crashes: 2, stalls: 1, downMs: [20, 200], proposerKills: 2 },
  }),
  scenario("shared-counter-n3", "10 proposers (Worker isolates) increment one counter: their piggybacked promises overtaken", {
    proposers: 10,
    faultyMs: 800,
    workload: { clients: 10, keys: 1, sticky: 1, thinkMs: [0, 5], mix: { increment: 8, read: 1, cas: 1 }, integerValues: 1 },
    faults: { links: LIGHT_LOSS },
  }),
  scenario("crowd-chaos-n5", "8 proposers on 2 keys, N=5: loss, crashes, stalls, partitions and dying proposers", {
    acceptors: 5,
    proposers: 8,
    faultyMs: 1000,
    workload: { clients: 10, keys: 2, sticky: 0.8, thinkMs: [0, 8], mix: { increment: 3, read: 2, write: 1, cas: 2, create: 1, delete: 0.5, deleteExpect: 0.5 }, integerValues: 0.7 },
    faults: { links: LOSSY, crashes: 3, stalls: 2, downMs: [20, 250], minorityPartitions: 1, partitionMs: [50, 250], proposerKills: 4 },
  }),
  scenario("counters-n3", "mostly increments on integer registers (some overflow, some not integers)", {
    workload: { mix: { increment: 6, read: 2, write: 1, cas: 1 }, integerValues: 0.85 },
    faults: { links: LOSSY, crashes: 2, downMs: [20, 200] },
  }),
  scenario("create-delete-n5", "create-if-absent and deletes, with and without expected versions", {
    acceptors: 5,
    workload: { keys: 4, mix: { create: 4, delete: 2, deleteExpect: 2, read: 2, cas: 1 } },
    faults: { links: LOSSY, stalls: 3, downMs: [20, 200] },
  }),
  scenario("chaos-n3", "every fault at once with tight time-outs", {
    config: { roundTimeoutMs: 30, deadlineMs: 250 },
    workload: { clientTimeoutMs: 200, cancelOnTimeout: 0.5 },
    faults: {
      links: LOSSY,
      crashes: 3,
      stalls: 2,
      downMs: [20, 250],
      minorityPartitions: 1,
      majorityPartitions: 1,
      partitionMs: [50, 250],
      proposerKills: 4,
    },
  }),
  scenario("chaos-n5", "every fault at once, N=5, sticky clients (piggyback fast path)", {
    acceptors: 5,
    config: { pollMs: 2 },
    workload: { sticky: 0.9 },
    faults: {
      links: LOSSY,
      crashes: 5,
      stalls: 3,
      downMs: [20, 250],
      minorityPartitions: 2,
      majorityPartitions: 1,
      partitionMs: [50, 250],
      proposerKills: 4,
    },
  }),
  scenario("gc-n3", "GC of deleted keys during deletes and recreates; stale duplicated accepts, crashes, stalls, deaths", {
    gc: GC,
    workload: { keys: 4, mix: GC_MIX, integerValues: 0.4, thinkMs: [0, 60], longThink: { chance: 0.15, ms: [100, 400] } },
    faults: { links: STALE, crashes: 3, stalls: 3, downMs: [20, 300], proposerKills: 4 },
  }),
  scenario("gc-n5", "GC with N=5: competing proposers, minority partitions, stalls, no peek reads", {
    acceptors: 5,
    proposers: 5,
    gc: { ...GC, crash: 0.15 },
    config: { peekReads: false },
    workload: { keys: 4, mix: GC_MIX, sticky: 0.3, integerValues: 0.4, thinkMs: [0, 60], longThink: { chance: 0.15, ms: [100, 400] } },
    faults: { links: STALE, crashes: 3, stalls: 4, downMs: [20, 300], minorityPartitions: 2, partitionMs: [50, 300], proposerKills: 3 },
  }),
  scenario("gc-contention-n3", "GC hammering one key with 6 clients through 4 proposers, client time-outs", {
    proposers: 4,
    gc: { ...GC, pauseMs: [0, 8], deletedKeys: 0.5 },
    config: { roundTimeoutMs: 30, deadlineMs: 250 },
    workload: { clients: 6, keys: 1, mix: GC_MIX, sticky: 0.3, thinkMs: [0, 40], clientTimeoutMs: 200, cancelOnTimeout: 0.5 },
    faults: { links: STALE, stalls: 2, downMs: [20, 200], proposerKills: 3 },
  }),
  scenario("gc-crowd-n3", "GC while 10 proposers delete, recreate and change 2 keys; light loss, crashes, deaths", {
    proposers: 10,
    gc: { ...GC, pauseMs: [0, 8], deletedKeys: 0.5 },
    workload: { clients: 10, keys: 2, mix: GC_MIX, sticky: 1, thinkMs: [0, 10], integerValues: 0.5 },
    faults: { links: LIGHT_LOSS, crashes: 2, downMs: [20, 200], proposerKills: 3 },
  }),
  scenario("crowd-n7", "N=7: 6 proposers on 2 keys; stale duplicated messages, crashes, minority and majority partitions, deaths", {
    acceptors: 7,
    proposers: 6,
    faultyMs: 1000,
    workload: { clients: 8, keys: 2, sticky: 0.7, thinkMs: [0, 10], mix: { increment: 3, read: 2, write: 1, cas: 2, create: 1, delete: 0.5, deleteExpect: 0.5 }, integerValues: 0.7 },
    faults: { links: STALE, crashes: 4, stalls: 3, downMs: [20, 250], minorityPartitions: 2, majorityPartitions: 1, partitionMs: [50, 250], proposerKills: 4 },
  }),
  scenario("overload-n3", "40 clients through 2 proposers on 3 keys, slow acceptors, small admission bounds: refusals, deadlines", {
    proposers: 2,
    faultyMs: 1200,
    strictDeadline: true,
    config: { roundTimeoutMs: 40, deadlineMs: 200, admission: { maxInFlight: 16, maxPerKey: 6 } },
    workload: { clients: 40, keys: 3, sticky: 0.8, thinkMs: [0, 8], maxOpsPerClient: 40 },
    faults: { links: { ...LIGHT_LOSS, delayMs: [2, 20], slow: 0.15, slowDelayMs: [40, 150] }, stalls: 2, downMs: [20, 150] },
  }),
  scenario("layout-split-n3", "a split of the one group into two during the faulty phase; stale proposers refused and reloading", {
    layout: LAYOUT,
    workload: LAYOUT_WORKLOAD,
    faults: LAYOUT_FAULTS,
  }),
  scenario("layout-replace-n3", "one acceptor replaced by a fresh object while clients run, objects crash during catch-up", {
    layout: { ...LAYOUT, changes: [{ replace: { group: 0, index: 1 } }] },
    workload: LAYOUT_WORKLOAD,
    faults: LAYOUT_FAULTS,
  }),
  scenario("layout-grow-n3", "N grows from 3 to 5 under load: joint quorums of 2 of 3 and 3 of 5", {
    layout: { ...LAYOUT, changes: [{ acceptors: 5 }] },
    workload: LAYOUT_WORKLOAD,
    faults: LAYOUT_FAULTS,
  }),
  scenario("layout-chain-n3", "split, replace, grow to 5 and split again, chained, with 6 proposers and a dying reconfigurer", {
    proposers: 6,
    faultyMs: 2500,
    layout: { ...LAYOUT, changes: [{ groups: 2 }, { replace: { group: 1, index: 0 } }, { acceptors: 5 }, { groups: 3 }], crash: 0.15 },
    workload: { ...LAYOUT_WORKLOAD, maxOpsPerClient: 120 },
    faults: { ...LAYOUT_FAULTS, crashes: 5, stalls: 3, proposerKills: 6 },
  }),
];

/** The layout controls: a split then a replace with 6 proposers, many of them keeping an old layout until refused. */
function layoutControl(name: string, summary: string, bug: Bug): Scenario {
  return scenario(name, summary, {
    bug,
    proposers: 6,
    layout: { ...LAYOUT, changes: [{ groups: 2 }, { replace: { group: 0, index: 1 } }], startMs: [300, 900], crash: 0, crashDuringCatchUp: 0 },
    // Twelve keys, so that some sit idle while a change runs: a busy key is moved by its own traffic (every round of
    // the joint epoch needs a majority of the new group too), which would hide a missing catch-up.
    workload: { ...LAYOUT_WORKLOAD, keys: 12, sticky: 0.9, thinkMs: [0, 40] },
    faults: { links: LIGHT_LOSS, proposerKills: 6 },
  });
}

/** Negative controls: each runs a broken piece and must fail within the CI seed budget. */
export const CONTROLS: readonly Scenario[] = [
  scenario("bug-quorum-1-of-3", "CONTROL: the proposer waits for 1 of 3 acceptors", {
    bug: "quorum-1-of-3",
    faults: { links: LOSSY },
  }),
  scenario("bug-single-acceptor-read", "CONTROL: reads return one acceptor's state", {
    bug: "single-acceptor-read",
    workload: { mix: { read: 5, write: 2, cas: 2 } },
    faults: { links: LOSSY },
  }),
  scenario("bug-overwrite-accept", "CONTROL: acceptors overwrite their state at an equal or lower ballot", {
    bug: "overwrite-accept",
    faults: { links: LOSSY, crashes: 2, stalls: 2, downMs: [20, 200] },
  }),
  scenario("bug-gc-no-floor", "CONTROL: forget drops the row without raising the floor", {
    bug: "gc-no-floor",
    gc: GC,
    workload: { keys: 3, mix: GC_MIX, integerValues: 0.4, thinkMs: [0, 60], longThink: { chance: 0.15, ms: [100, 400] } },
    faults: { links: STALE, stalls: 3, downMs: [20, 300] },
  }),
  scenario("bug-gc-majority-tombstone", "CONTROL: the collector forgets once the tombstone reached a majority", {
    bug: "gc-majority-tombstone",
    gc: { ...GC, pauseMs: [1, 5], deletedKeys: 1, crash: 0 },
    workload: { keys: 6, mix: { ...GC_MIX, delete: 3, read: 3 }, integerValues: 0.4, thinkMs: [0, 60], longThink: { chance: 0.15, ms: [100, 400] } },
    // Lagging acceptors: one cut off by a partition (or crashed) misses the delete, and a slow delete accept arrives
    // after the collection.
    faults: { links: { ...STALE, loss: 0.05, slow: 0.1 }, crashes: 3, downMs: [100, 300], minorityPartitions: 8, partitionMs: [150, 400] },
  }),
  layoutControl("bug-layout-minority-install", "CONTROL: each epoch is installed on one object of a group only", "layout-minority-install"),
  layoutControl("bug-layout-skip-catch-up", "CONTROL: vshards are recorded caught up without their keys being visited", "layout-skip-catch-up"),
  layoutControl("bug-layout-early-final", "CONTROL: the final epoch is written after the first of several catch-up steps", "layout-early-final"),
  layoutControl("bug-layout-no-fencing", "CONTROL: acceptors ignore epochs, so old layouts keep serving moved vshards from their old group", "layout-no-fencing"),
];

export function findScenario(name: string): Scenario {
  const found = [...SCENARIOS, ...CONTROLS].find((s) => s.name === name);
  if (found === undefined) {
    const names = [...SCENARIOS, ...CONTROLS].map((s) => s.name).join(", ");
    throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${names}`);
  }
  return found;
}
