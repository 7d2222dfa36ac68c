import type { Register } from "../../src/core/register.js";
import type { Event } from "../lin/history.js";
import { collect } from "../../src/core/collector.js";
import { collectMajorityOnly } from "./bugs.js";
import { Cluster } from "./cluster.js";
import { GarbageCollector, type GcCounts } from "./collector.js";
import { scheduleFaults } from "./faults.js";
import type { Network } from "./network.js";
import { checkDurability, checkLinearizable, checkOneStatePerBallot, type Violation } from "./invariants.js";
import { hash32, Rng } from "./rng.js";
import type { Scenario } from "./scenarios.js";
import { Scheduler } from "./scheduler.js";
import { Workload } from "./workload.js";
import { SimReconfiguration, type ReconfigurationCounts } from "./reconfiguration.js";

export interface RunReport {
  readonly scenario: string;
  readonly seed: number;
  readonly counts: Workload["counts"];
  readonly paths: Workload["paths"];
  readonly messages: Network["counts"];
  readonly violations: readonly Violation[];
  /** The linearizability checker ran out of budget: the run neither passed nor failed invariant 1. */
  readonly inconclusive: string | null;
  /** Fingerprint of the whole run (schedule, history, acceptor states): equal seeds must give equal hashes. */
  readonly traceHash: string;
  readonly virtualMs: number;
  readonly events: number;
  /** The client history the checker judged. */
  readonly history: readonly Event[];
  /** What the garbage collector did (null: the scenario runs none). */
  readonly gc: GcCounts | null;
  /** What the reconfigurer did (null: the scenario changes no layout). */
  readonly layout: ReconfigurationCounts | null;
  /** The epoch of the layout at the end (null: no layouts). */
  readonly finalEpoch: number | null;
}

export function replayCommand(scenario: string, seed: number): string {
  return `npm run sim -- --scenario ${scenario} --seed ${seed}`;
}

export interface RunOptions {
  /** Receives a line per message delivery and per client operation, stamped with virtual time. */
  readonly log?: (line: string) => void;
}

/** Runs one scenario under one seed: faulty phase, healing, liveness round, final reads, then all invariants. */
export async function runScenario(scenario: Scenario, seed: number, options: RunOptions = {}): Promise<RunReport> {
  const rng = new Rng(seed);
  const scheduler = new Scheduler();
  const config = { ...scenario.config, acceptors: scenario.acceptors };
  const cluster = new Cluster(
    { acceptors: scenario.acceptors, proposers: scenario.proposers, config, clockSkewMs: scenario.clockSkewMs, bug: scenario.bug, layouts: scenario.layout !== null },
    scheduler,
    rng.fork("cluster"),
  );
  // A proposer call ends within its deadline plus the rounds still running at it (a read's peek round comes first),
  // plus a few polls of a change waiting behind its key's batch.
  // With strictDeadline: the deadline plus one round time-out (a batch member past its deadline waits at most that
  // long for its leader), plus a poll.
  const callBoundMs = scenario.strictDeadline
    ? config.deadlineMs + config.roundTimeoutMs + config.pollMs
    : config.deadlineMs + 3 * config.roundTimeoutMs + 10 * config.pollMs;
  const workload = new Workload(scenario.workload, cluster, rng.fork("workload"), callBoundMs);
  const log = options.log;
  if (log !== undefined) {
    const stamped = (line: string) => log(`${scheduler.now.toFixed(3).padStart(10)}  ${line}`);
    cluster.network.log = stamped;
    workload.log = stamped;
  }
  const stopFaults = scheduleFaults(cluster, scenario.faults, rng.fork("faults"), scenario.faultyMs);
  const violations: Violation[] = [];
  const gc =
    scenario.gc === null
      ? null
      : new GarbageCollector(scenario.gc, cluster, rng.fork("gc"), workload.keys, () => workload.deletedKeys(), scenario.bug === "gc-majority-tombstone" ? collectMajorityOnly : collect);
  if (gc !== null && log !== undefined) gc.log = (line) => log(`${scheduler.now.toFixed(3).padStart(10)}  ${line}`);
  const gcDone = gc?.run().catch((error: unknown) => violations.push({ invariant: "protocol", message: `collector threw: ${String(error)}` }));
  const reconfiguration = scenario.layout === null ? null : new SimReconfiguration(scenario.layout, cluster, rng.fork("layout"));
  if (reconfiguration !== null && log !== undefined) reconfiguration.log = (line) => log(`${scheduler.now.toFixed(3).padStart(10)}  ${line}`);
  void reconfiguration?.run().catch((error: unknown) => violations.push({ invariant: "protocol", message: `reconfigurer threw: ${String(error)}` }));

  const runAll = async (tasks: Promise<unknown>[], limitMs: number, what: string) => {
    let done = 0;
    for (const t of tasks) void t.then(() => done++);
    const finished = await scheduler.runUntil(() => done === tasks.length, scheduler.now + limitMs);
    if (!finished) violations.push({ invariant: "liveness", message: `${what}: ${tasks.length - done} of ${tasks.length} still running after ${limitMs} ms` });
    return finished;
  };

  // 1. The faulty phase: clients run while faults come and go.
  const clients = workload.runClients();
  let idle = 0;
  for (const c of clients) void c.then(() => idle++);
  await scheduler.runUntil(() => idle === clients.length, scenario.faultyMs);

  // 2. Heal everything; every operation in flight must then end within the bound. The collector stops starting
  // collections (the one running finishes: it never blocks a proposer for longer than its rounds).
  workload.faulty = false;
  if (gc !== null) {
    gc.active = false;
    await scheduler.runUntil(() => !gc.running, scheduler.now + 10 * scenario.gc!.roundTimeoutMs);
  }
  stopFaults();
  if (reconfiguration !== null) reconfiguration.faulty = false;
  cluster.heal();
  log?.(`---- healed at ${scheduler.now.toFixed(3)} ----`);
  const drained = await runAll(clients, callBoundMs + 1, "operations in flight when healed");
  // Calls that clients gave up on still run at their proposers: let them end, so nothing contends with step 3.
  await scheduler.runUntil(() => workload.callsInFlight === 0, scheduler.now + callBoundMs + 1);

  // Layout changes: every one must finish once healed, before the liveness round and the final reads (which then go
  // through the final layout, many proposers still holding an old one).
  if (reconfiguration !== null && !(await scheduler.runUntil(() => reconfiguration.finished, scheduler.now + 20_000))) {
    violations.push({ invariant: "liveness", message: `layout changes: not all done 20 s after healing (${JSON.stringify(reconfiguration.counts)})` });
  }

  // 3. Liveness: every client's next operation completes, one client at a time.
  if (drained) await runAll([workload.livenessRound()], workload.spec.clients * (callBoundMs + 2), "liveness round");

  // 4. A final read per key, for durability.
  const finals = new Map<string, Register | undefined>();
  for (const key of workload.keys) {
    await runAll([workload.finalRead(key).then((r) => finals.set(key, r))], callBoundMs + 2, `final read of ${key}`);
  }

  // 5. Every call of a live proposer must have ended within its bound.
  await scheduler.runUntil(() => workload.callsInFlight === 0, scheduler.now + callBoundMs + 1);
  workload.reportHungCalls();
  workload.close();

  const events = workload.recorder.events();
  void gcDone;
  const steps = Number(process.env.SIM_LIN_STEPS ?? "");
  const lin = checkLinearizable(events, steps > 0 ? steps : undefined, scenario.gc !== null);
  violations.push(...lin.violations, ...checkOneStatePerBallot(cluster.log), ...checkDurability(workload.acks, finals), ...workload.problems);

  scheduler.trace(hash32(JSON.stringify(events)));
  for (const a of cluster.acceptors) scheduler.trace(hash32(JSON.stringify([...a.store.slots], (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))));
  return {
    scenario: scenario.name,
    seed,
    counts: workload.counts,
    paths: workload.paths,
    messages: cluster.network.counts,
    violations,
    inconclusive: lin.inconclusive,
    traceHash: scheduler.hash.toString(16).padStart(8, "0"),
    virtualMs: Math.round(scheduler.now),
    events: scheduler.executed,
    history: events,
    gc: gc === null ? null : { ...gc.counts },
    layout: reconfiguration === null ? null : { ...reconfiguration.counts },
    finalEpoch: cluster.published?.epoch ?? null,
  };
}

/** A failure report: what broke, and the one command that replays it. */
export function describeFailure(report: RunReport): string {
  const lines = [
    `scenario ${report.scenario}, seed ${report.seed}: ${report.violations.length} violation(s)`,
    `replay: ${replayCommand(report.scenario, report.seed)}`,
  ];
  if (report.inconclusive !== null) lines.push(`[inconclusive] ${report.inconclusive}`);
  for (const v of report.violations.slice(0, 5)) lines.push(`[${v.invariant}] ${v.message}`);
  if (report.violations.length > 5) lines.push(`... and ${report.violations.length - 5} more`);
  return lines.join("\n");
}
