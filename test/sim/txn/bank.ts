import type { Slot } from "../../../src/core/acceptor.js";
import { compareBallots } from "../../../src/core/ballot.js";
import { compareAndSet, increment, nextState } from "../../../src/core/change.js";
import type { Outcome, ProposerConfig, Registers, RoundStats } from "../../../src/core/proposer.js";
import { isLive, type Register } from "../../../src/core/register.js";
import { runTransaction, type CoordinatorPorts, type CoordinatorSettings, type TxnOutcome, type TxnStep } from "../../../src/core/txn/coordinator.js";
import { parseRecord, recordKey } from "../../../src/core/txn/record.js";
import { TxnRegisters, type TxnSettings } from "../../../src/core/txn/registers.js";
import { sweepLeaseMs, sweepPeriodMs } from "../../../src/core/txn/sweep-schedule.js";
import { armingSweeps, SweepLeases } from "../../../src/core/txn/sweep-trigger.js";
import type { TxnRequest } from "../../../src/core/txn/request.js";
import { Cluster, type ProposerNode } from "../cluster.js";
import { currentRequest, Life, ProcessClock, Request } from "../clock.js";
import { NO_FAULTS, scheduleFaults, type FaultSpec } from "../faults.js";
import { hash32, Rng } from "../rng.js";
import { Scheduler } from "../scheduler.js";
import { checkFinalBalances, checkSerializable, checkTotals, checkVersions } from "./check.js";
import { History, type Seen } from "./history.js";
import { SimSweeper } from "./sweeper.js";

/**
 * The bank (issue 23): accounts on different shards (each shard its own simulated cluster of acceptors, proposers
 * and faults, all on one virtual clock), transfers as transactions from several coordinators at once, atomic reads
 * of every balance, plain single-key reads and writes of the accounts, the background sweep of intents as production
 * runs it (one sweeper per shard, woken by the clients before they place intents and when they meet one, finding
 * intents by asking the acceptors: sweeper.ts), coordinators killed at every step, and every fault the simulator has.
 * Then: heal, let the clients finish, run a last wave of transfers whose coordinators all die (with acceptor 0 down),
 * let the sweep finish them within the bound, check (check.ts).
 */
export interface BankScenario {
  readonly name: string;
  readonly summary: string;
  readonly shards: number;
  readonly acceptors: 3 | 5;
  /** Proposers per shard; every client process reaches each shard through its own slot. */
  readonly proposers: number;
  readonly accounts: number;
  readonly initialBalance: number;
  /** Client processes running transfers, atomic reads of all balances, and plain single-key operations. */
  readonly transferers: number;
  readonly readers: number;
  readonly plain: number;
  readonly thinkMs: readonly [number, number];
  readonly faultyMs: number;
  /** Faults of every shard's cluster (each its own episodes). */
  readonly faults: Partial<FaultSpec>;
  /** Chance that a transaction's coordinator dies, at a step chosen uniformly among those it reaches. */
  readonly killCoordinator: number;
  /** Each client process's clock is off by up to this much (staleness is judged by clocks). */
  readonly clockSkewMs: number;
  /** The sweep period's floor (production: 1 s); the period is max(this, staleMs / 2) (sweep-schedule.ts). */
  readonly sweepMinPeriodMs: number;
  /** Chance that a sweep dies midway during the faulty period (its alarm is retried, as workerd retries one). */
  readonly sweeperDeaths: number;
  readonly txn: { readonly staleMs: number; readonly lockWaitMs: number };
  readonly bug?: "commit-unchecked-intent" | "read-pending-intent" | "single-round-snapshot" | "sweep-one-acceptor";
}

const CONFIG: Omit<ProposerConfig, "acceptors"> = {
  roundTimeoutMs: 40,
  deadlineMs: 400,
  backoff: { baseMs: 2, maxMs: 40 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 1000,
  maxBatch: 16,
  pollMs: 1,
  promiseTtlMs: 100,
};

export interface BankReport {
  readonly scenario: string;
  readonly seed: number;
  readonly violations: readonly string[];
  readonly counts: {
    transfers: number;
    succeeded: number;
    compareFailed: number;
    unavailable: number;
    /** Of the unavailable ones: gave up on a key held by another pending transaction (lockWaitMs). */
    conflicts: number;
    unknown: number;
    killed: number;
    unknownApplied: number;
    atomicReads: number;
    plainOps: number;
    /** Intents the sweepers resolved. */
    sweptIntents: number;
    /** Sweeps run (every alarm), and those that died midway. */
    sweeps: number;
    sweeperDeaths: number;
    /** Wakes the clients sent to sweepers (each skipped when a lease it knew of covered it), and wakes lost. */
    wakes: number;
    wakesLost: number;
    /** How long after the last wave began no read could find an intent any more (virtual ms). */
    clearedMs: number;
    /** Coordinators killed, by the step they died at. */
    killedAt: Record<string, number>;
  };
  readonly virtualMs: number;
}

const STEPS: readonly TxnStep[] = ["begun", "intent-placed", "prepared", "committed", "intent-resolved"];
const never = <T>() => new Promise<T>(() => {});
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const balanceOf = (r: Register): number | null => (isLive(r) ? Number(decoder.decode(r.value)) : null);
const seen = (key: string, r: Register): Seen => ({ key, version: r?.version ?? 0, value: balanceOf(r) });

export async function runBank(scenario: BankScenario, seed: number, log?: (line: string) => void): Promise<BankReport> {
  const rng = new Rng(seed);
  const scheduler = new Scheduler();
  const shards = Array.from(
    { length: scenario.shards },
    (_, i) =>
      new Cluster(
        { acceptors: scenario.acceptors, proposers: scenario.proposers, config: { ...CONFIG, acceptors: scenario.acceptors }, clockSkewMs: scenario.clockSkewMs, bug: null },
        scheduler,
        rng.fork(`shard-${i}`),
      ),
  );
  const accounts = Array.from({ length: scenario.accounts }, (_, i) => `acc-${i}`);
  // Accounts round-robin over the shards; records by a hash of the key.
  const shardOf = (key: string) => (key.startsWith("acc-") ? Number(key.slice(4)) % scenario.shards : hash32(key) % scenario.shards);
  const violations: string[] = [];
  const history = new History();
  const counts: BankReport["counts"] = { transfers: 0, succeeded: 0, compareFailed: 0, unavailable: 0, conflicts: 0, unknown: 0, killed: 0, unknownApplied: 0, atomicReads: 0, plainOps: 0, sweptIntents: 0, sweeps: 0, sweeperDeaths: 0, wakes: 0, wakesLost: 0, clearedMs: 0, killedAt: {} };
  const stats: RoundStats = { rounds: 0, attempts: 0, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };
  const settings: TxnSettings = { staleMs: scenario.txn.staleMs, pollMs: 2, deadlineMs: CONFIG.deadlineMs, ...(scenario.bug === "read-pending-intent" ? { bugReadPendingIntent: true } : {}) };
  const coordinatorSettings: CoordinatorSettings = {
    staleMs: scenario.txn.staleMs,
    lockWaitMs: scenario.txn.lockWaitMs,
    pollMs: 2,
    readDeadlineMs: CONFIG.deadlineMs,
    ...(scenario.bug === "commit-unchecked-intent" || scenario.bug === "single-round-snapshot" ? { bug: scenario.bug } : {}),
  };

  /** A call through a proposer that may die: its death ends the call as "unknown", as a client would see it. */
  const through = (node: ProposerNode, call: () => Promise<Outcome>): Promise<Outcome> =>
    new Promise<Outcome>((resolve) => {
      const unsubscribe = node.life.whenDead(() => resolve({ kind: "unknown", reason: "proposer died", stats }));
      call().then(
        (o) => {
          unsubscribe();
          resolve(o);
        },
        (error: unknown) => {
          unsubscribe();
          violations.push(`[protocol] a proposer threw: ${String(error)}`);
          resolve({ kind: "unknown", reason: "threw", stats });
        },
      );
    });
  /** The raw registers of client process `slot`: each key through that slot's proposer of the key's shard. */
  const rawRegisters = (slot: number): Registers => ({
    read: (key) => {
      const node = shards[shardOf(key)]!.node(slot);
      return through(node, () => node.proposer.read(key));
    },
    change: (key, change) => {
      const node = shards[shardOf(key)]!.node(slot);
      return through(node, () => node.proposer.change(key, change));
    },
  });
  /** Proposer.prepareAhead of slot `slot`'s proposer of the key's shard; settles when that proposer dies. */
  const prepareAhead = (slot: number) => (key: string): Promise<void> => {
    const node = shards[shardOf(key)]!.node(slot);
    return new Promise<void>((resolve) => {
      const unsubscribe = node.life.whenDead(resolve);
      node.proposer.prepareAhead(key).then(
        () => {
          unsubscribe();
          resolve();
        },
        (error: unknown) => {
          unsubscribe();
          violations.push(`[protocol] prepareAhead threw: ${String(error)}`);
          resolve();
        },
      );
    });
  };
  const stamp = (line: string) => log?.(`${scheduler.now.toFixed(3).padStart(10)}  ${line}`);

  // The background sweep: one sweeper per shard (a group's IntentSweeper object), with the production schedule.
  let faulty = true;
  const periodMs = sweepPeriodMs(scenario.txn.staleMs, scenario.sweepMinPeriodMs);
  const opMs = CONFIG.deadlineMs + CONFIG.roundTimeoutMs;
  const leaseMs = sweepLeaseMs(periodMs, opMs);
  const sweepers = shards.map((cluster, i) => {
    const r = rng.fork(`sweeper-${i}`);
    return new SimSweeper(`sweeper-${i}`, scheduler, r, cluster, rawRegisters(i % scenario.proposers), {
      ...(scenario.bug === "sweep-one-acceptor" ? { bug: "one-acceptor" as const } : {}),
      staleMs: scenario.txn.staleMs,
      periodMs,
      leaseMs,
      roundTimeoutMs: CONFIG.roundTimeoutMs,
      skewMs: r.between(0, scenario.clockSkewMs),
      deaths: () => (faulty ? scenario.sweeperDeaths : 0),
      // workerd retries a failed alarm after about 2 s (scaled as the deadlines are: 4 s here is 400 ms).
      retryMs: 200,
    }, stamp);
  });

  let processes = 0;
  const process = (name: string) => {
    const r = rng.fork(name);
    const slot = processes++ % scenario.proposers;
    const clock = new ProcessClock(scheduler, new Life(), r.between(0, scenario.clockSkewMs));
    // The Worker's arming of sweeps (src/collector/intent-sweep-trigger.ts): a wake (an RPC to the sweeper, lost as
    // the shard's messages are, tried three times in all) before a placement and after meeting an intent, unless a
    // lease this client knows of covers it. Clocks of two processes differ by up to the skew: that is the margin.
    const leases = new SweepLeases(scenario.clockSkewMs + 1);
    const wake = (shard: number, attempt: number) => {
      const cluster = shards[shard]!;
      const request = currentRequest.getStore();
      counts.wakes++;
      const lost = faulty && r.chance(cluster.network.links.loss);
      if (lost) counts.wakesLost++;
      scheduler.after(r.between(...cluster.network.links.delayMs), () => {
        if (lost) {
          // The call fails; retried from the Worker's background, unless the request is gone.
          const pause = [10, 100][attempt];
          if (pause === undefined) leases.forget(shard);
          else scheduler.after(pause, () => request?.cancelled !== true && wake(shard, attempt + 1));
          return;
        }
        const until = sweepers[shard]!.wake();
        scheduler.after(r.between(...cluster.network.links.delayMs), () => request?.cancelled !== true && leases.leased(shard, until));
      });
    };
    const raw = armingSweeps(rawRegisters(slot), clock, opMs, (key, chosenBy) => {
      const shard = shardOf(key);
      if (!leases.needsWake(shard, chosenBy)) return;
      leases.leased(shard, clock.now() + leaseMs);
      wake(shard, 0);
    });
    return { r, clock, raw, registers: new TxnRegisters(raw, clock, settings), prepareAhead: prepareAhead(slot) };
  };

  // Setup, no faults yet: every account gets its initial balance (version 1).
  const setup = process("setup");
  for (const key of accounts) {
    const o = await runUntilSettled(scheduler, setup.registers.change(key, compareAndSetOrCreate(scenario.initialBalance)));
    if (o?.kind !== "applied") throw new Error(`setup of ${key} failed: ${o?.kind}`);
  }
  const total = scenario.initialBalance * scenario.accounts;
  const initial = new Map(accounts.map((k) => [k, scenario.initialBalance]));
  const stopFaults = shards.map((c, i) => scheduleFaults(c, { ...NO_FAULTS, ...scenario.faults }, rng.fork(`faults-${i}`), scenario.faultyMs));
  let txns = 0;

  /** `mayKill`: the coordinator may die (by the scenario's chance, at a random step), or dies at that step. */
  const transfer = async (p: ReturnType<typeof process>, from: string, to: string, amount: number, balance: number, mayKill: boolean | TxnStep): Promise<TxnOutcome | "killed"> => {
    const txn = `t${txns++}`;
    const request: TxnRequest = {
      compare: [{ key: from, value: encoder.encode(String(balance)) }],
      success: [{ op: "increment", key: from, by: -amount }, { op: "increment", key: to, by: amount }],
      failure: [{ op: "get", key: from }],
    };
    const call = scheduler.now;
    const killAt = typeof mayKill === "string" ? mayKill : mayKill && p.r.chance(scenario.killCoordinator) ? p.r.pick(STEPS) : null;
    const killAfter = killAt === "intent-placed" || killAt === "intent-resolved" ? p.r.int(2) : 0;
    let passed = 0;
    const req = new Request();
    let killed = false;
    let onKill!: () => void;
    const death = new Promise<undefined>((resolve) => (onKill = () => resolve(undefined)));
    const ports: CoordinatorPorts = {
      registers: p.raw,
      reads: p.registers,
      clock: p.clock,
      checkpoint: async (step) => {
        if (step !== killAt || passed++ < killAfter) return;
        killed = true;
        req.cancelled = true;
        stamp(`coordinator of ${txn} killed at ${step}`);
        counts.killedAt[step] = (counts.killedAt[step] ?? 0) + 1;
        onKill();
        return never();
      },
      // Most commits are prepared while the intents are placed (as the Worker's are); the rest prepare for themselves.
      ...(p.r.chance(0.75) ? { prepareAhead: p.prepareAhead } : {}),
      // Half the transactions answer before their intents are resolved.
      ...(p.r.chance(0.5) ? { background: (work: Promise<unknown>) => void work } : {}),
    };
    const running = currentRequest.run(req, () => runTransaction(ports, coordinatorSettings, txn, request));
    const outcome = await Promise.race([running, death]);
    counts.transfers++;
    const ret = scheduler.now;
    if (outcome === undefined || killed) {
      counts.killed++;
      history.transfers.push({ txn, from, to, amount, call, ending: "killed" });
      return "killed";
    }
    stamp(`transfer ${txn} since ${call.toFixed(1)} ${from} -> ${to} ${amount} (balance ${balance}): ${outcome.kind}${outcome.kind === "committed" ? ` ${outcome.succeeded}` : "reason" in outcome ? ` (${outcome.reason})` : ""}`);
    if (outcome.kind === "committed") {
      if (outcome.succeeded) {
        counts.succeeded++;
        const writes = outcome.results.map((r) => seen(r.key, r.state));
        const reads = writes.map((w, i) => ({ key: w.key, version: w.version - 1, value: w.value === null ? null : w.value - (i === 0 ? -amount : amount) }));
        history.add({ what: `transfer ${txn}`, call, ret, reads, writes });
      } else {
        counts.compareFailed++;
        history.add({ what: `transfer ${txn} (compare failed)`, call, ret, reads: outcome.results.map((r) => seen(r.key, r.state)), writes: [] });
      }
      history.transfers.push({ txn, from, to, amount, call, ending: outcome.succeeded ? "succeeded" : "compare-failed" });
    } else if (outcome.kind === "unknown") {
      counts.unknown++;
      history.transfers.push({ txn, from, to, amount, call, ending: "unknown" });
    } else if (outcome.kind === "invalid") {
      violations.push(`[protocol] transfer ${txn} invalid: ${outcome.reason}`);
    } else {
      counts.unavailable++;
      if (outcome.kind === "unavailable" && outcome.reason.includes("is held by transaction")) counts.conflicts++;
      history.transfers.push({ txn, from, to, amount, call, ending: outcome.kind === "refused" ? "refused" : "unavailable" });
    }
    return outcome;
  };

  const plainRead = async (p: ReturnType<typeof process>, key: string): Promise<Register | undefined> => {
    const call = scheduler.now;
    const o = await p.registers.read(key);
    if (o.kind !== "applied") return undefined;
    if (o.state?.intent !== undefined) violations.push(`[protocol] a plain read of ${key} answered a state with an intent`);
    history.add({ what: `read ${key}`, call, ret: scheduler.now, reads: [seen(key, o.state)], writes: [] });
    return o.state;
  };

  const transferer = async (i: number) => {
    const p = process(`transferer-${i}`);
    while (faulty) {
      await scheduler.sleep(p.r.between(...scenario.thinkMs));
      if (!faulty) return;
      const from = p.r.pick(accounts);
      let to = p.r.pick(accounts);
      if (to === from) to = accounts[(accounts.indexOf(from) + 1) % accounts.length]!;
      const state = await plainRead(p, from);
      const balance = balanceOf(state ?? null);
      if (balance === null || balance <= 0) continue;
      // Now and then a stale balance, so that the comparison fails and the failure branch runs.
      const claimed = p.r.chance(0.1) ? balance + 1 : balance;
      await transfer(p, from, to, 1 + p.r.int(Math.min(balance, 5)), claimed, true);
    }
  };

  const atomicRead = async (p: ReturnType<typeof process>): Promise<Map<string, Register> | undefined> => {
    const call = scheduler.now;
    const outcome = await runTransaction({ registers: p.raw, reads: p.registers, clock: p.clock }, coordinatorSettings, `r${txns++}`, {
      compare: [],
      success: accounts.map((key) => ({ op: "get" as const, key })),
      failure: [],
    });
    if (outcome.kind !== "committed") {
      stamp(`atomic read: ${outcome.kind}${"reason" in outcome ? ` (${outcome.reason})` : ""}`);
      return undefined;
    }
    counts.atomicReads++;
    const balances = outcome.results.map((r) => seen(r.key, r.state));
    history.add({ what: `atomic read #${counts.atomicReads}`, call, ret: scheduler.now, reads: balances, writes: [] });
    history.totals.push({ total: balances.reduce((sum, b) => sum + (b.value ?? 0), 0), call, ret: scheduler.now, balances });
    return new Map(outcome.results.map((r) => [r.key, r.state]));
  };

  const reader = async (i: number) => {
    const p = process(`reader-${i}`);
    while (faulty) {
      await scheduler.sleep(p.r.between(...scenario.thinkMs));
      if (faulty) await atomicRead(p);
    }
  };

  /** Plain single-key operations that keep every balance: reads, a compare-and-set of the same value, adding 0. */
  const plain = async (i: number) => {
    const p = process(`plain-${i}`);
    const versions = new Map<string, number>();
    while (faulty) {
      await scheduler.sleep(p.r.between(...scenario.thinkMs));
      if (!faulty) return;
      const key = p.r.pick(accounts);
      counts.plainOps++;
      const kind = p.r.int(3);
      const call = scheduler.now;
      if (kind === 0) {
        const s = await plainRead(p, key);
        if (s !== undefined && s !== null) versions.set(key, s.version);
        continue;
      }
      const o =
        kind === 1
          ? await p.registers.change(key, sameValueAt(versions.get(key) ?? 1))
          : await p.registers.change(key, increment(0));
      if (o.kind === "applied") {
        history.add({ what: `${kind === 1 ? "rewrite" : "add 0 to"} ${key}`, call, ret: scheduler.now, reads: [seen(key, o.previous)], writes: [seen(key, o.state)] });
        versions.set(key, o.state?.version ?? 0);
      } else if (o.kind === "refused") {
        const current = o.refusal.current;
        history.add({ what: `refused rewrite ${key}`, call, ret: scheduler.now, reads: [seen(key, current)], writes: [] });
        if (current !== null) versions.set(key, current.version);
      }
    }
  };

  const clients = [
    ...Array.from({ length: scenario.transferers }, (_, i) => transferer(i)),
    ...Array.from({ length: scenario.readers }, (_, i) => reader(i)),
    ...Array.from({ length: scenario.plain }, (_, i) => plain(i)),
  ];
  let idle = 0;
  for (const c of clients) void c.then(() => idle++);
  await scheduler.runUntil(() => false, scenario.faultyMs);

  // Heal: faults end, clients finish what they started (each op ends within a bound), no new ones.
  faulty = false;
  for (const stop of stopFaults) stop();
  for (const c of shards) c.heal();
  stamp("---- healed ----");
  const drainMs = 4 * (CONFIG.deadlineMs + 3 * CONFIG.roundTimeoutMs) + scenario.txn.lockWaitMs + scenario.txn.staleMs;
  if (!(await scheduler.runUntil(() => idle === clients.length, scheduler.now + drainMs))) {
    violations.push(`[liveness] ${clients.length - idle} clients still in an operation ${drainMs} ms after healing`);
  }

  // The last wave: transfers between disjoint pairs of accounts whose coordinators all die, each at a step of its own
  // (after an intent is placed, prepared, committed, after a resolution), with acceptor 0 of every
  // shard down meanwhile. Nobody touches those accounts afterwards: only the sweep can finish or undo them, and it must
  // find their intents on the acceptors that were up (a majority's union, not one acceptor's list).
  const wave = process("last-wave");
  const started = scheduler.now;
  for (const c of shards) c.acceptors[0]!.crash();
  const shuffled = wave.r.sample(accounts.length, accounts.length).map((i) => accounts[i]!);
  const waveSteps: readonly TxnStep[] = ["intent-placed", "prepared", "committed", "intent-resolved"];
  await runUntilSettled(
    scheduler,
    Promise.all(
      Array.from({ length: Math.floor(accounts.length / 2) }, async (_, i) => {
        const [from, to] = [shuffled[2 * i]!, shuffled[2 * i + 1]!];
        const read = await wave.registers.read(from);
        const balance = read.kind === "applied" ? balanceOf(read.state) : null;
        if (balance !== null && balance > 0) await transfer(wave, from, to, 1, balance, wave.r.pick(waveSteps));
      }),
    ),
  );
  for (const c of shards) c.acceptors[0]!.restart();

  // Liveness: within the bound, the sweep (or the operations meanwhile) leaves no intent on any account. A pending
  // intent becomes stale staleMs after its transaction began (by its coordinator's clock, off by up to the skew).
  // First by looking at the acceptors' slots, which sends nothing (a read could repair a lagging acceptor, and so
  // help a sweep that asks too few): no majority of a shard may have an intent in its highest accepted state, that
  // is, no read could find one. Then, as before, by a linearizable read of every account.
  const boundMs = scenario.txn.staleMs + scenario.clockSkewMs + 2 * periodMs + 2 * CONFIG.deadlineMs;
  const checker = process("checker");
  let blocked: string[] = [];
  for (;;) {
    blocked = accounts.flatMap((key) => {
      const txn = intentAnyReadMaySee(shards[shardOf(key)]!, key);
      return txn === null ? [] : [`${key} (intent of ${txn})`];
    });
    if (blocked.length === 0 || scheduler.now - started > boundMs) break;
    await runUntilSettled(scheduler, scheduler.sleep(periodMs / 25).then(() => undefined));
  }
  counts.clearedMs = Math.round(scheduler.now - started);
  if (blocked.length > 0) violations.push(`[liveness] intents left ${Math.round(scheduler.now - started)} ms after the last wave began (bound ${boundMs} ms): ${blocked.join(", ")}`);
  const bare = rawRegisters(0);
  for (const key of accounts) {
    const o = await runUntilSettled(scheduler, bare.read(key));
    if (o?.kind !== "applied" || o.state?.intent !== undefined) {
      violations.push(`[liveness] ${key} read after the bound: ${o?.kind === "applied" ? `intent of ${o.state?.intent?.txn}` : o?.kind}`);
    }
  }

  // A transfer after healing completes.
  const last = await runUntilSettled(scheduler, (async () => {
    const s = await checker.registers.read(accounts[0]!);
    const balance = s.kind === "applied" ? balanceOf(s.state) : null;
    if (balance === null || balance <= 0) return "skipped";
    return transfer(checker, accounts[0]!, accounts[1]!, 1, balance, false);
  })());
  if (last !== "skipped" && (last === undefined || last === "killed" || last.kind !== "committed")) {
    violations.push(`[liveness] a transfer after healing ended ${last === undefined ? "never" : typeof last === "string" ? last : last.kind}`);
  }

  // Final state: one atomic read, and every transfer's record.
  const finalRead = await runUntilSettled(scheduler, atomicRead(checker));
  const final = new Map<string, number | null>();
  if (finalRead === undefined) violations.push("[liveness] the final atomic read failed");
  else for (const [k, s] of finalRead) final.set(k, balanceOf(s));
  const records = new Map<string, "pending" | "committed-succeeded" | "committed-failed" | "aborted" | "absent">();
  for (const t of history.transfers) {
    const o = await runUntilSettled(scheduler, checker.raw.read(recordKey(t.txn)));
    if (o?.kind !== "applied") {
      violations.push(`[liveness] the record of ${t.txn} could not be read`);
      continue;
    }
    const record = parseRecord(o.state);
    records.set(t.txn, record === null ? "absent" : record.status === "committed" ? (record.succeeded ? "committed-succeeded" : "committed-failed") : record.status);
    if (record?.status === "committed" && record.succeeded && (t.ending === "unknown" || t.ending === "killed")) counts.unknownApplied++;
  }
  await runUntilSettled(scheduler, Promise.all(sweepers.map((s) => s.stop())));
  for (const s of sweepers) {
    counts.sweptIntents += s.counts.resolved;
    counts.sweeps += s.counts.sweeps;
    counts.sweeperDeaths += s.counts.died;
  }

  const tagged = (tag: string, found: readonly string[]) => found.map((v) => `[${tag}] ${v}`);
  violations.push(
    ...tagged("totals", checkTotals(history, total)),
    ...tagged("final", finalRead === undefined ? [] : checkFinalBalances(history, initial, final, records)),
    ...tagged("versions", checkVersions(history)),
    ...tagged("serializable", checkSerializable(history)),
    ...tagged("one-state-per-ballot", shards.flatMap((c, i) => c.log.conflicts.map((m) => `shard ${i}: ${m}`))),
  );
  return { scenario: scenario.name, seed, violations, counts, virtualMs: Math.round(scheduler.now) };
}

/**
 * The transaction whose intent some read of `key` could find, or null: for each majority of the shard's acceptors,
 * the state accepted at the highest ballot among them is what a read through that majority would take.
 */
function intentAnyReadMaySee(cluster: Cluster, key: string): string | null {
  const n = cluster.spec.acceptors;
  const need = Math.floor(n / 2) + 1;
  for (let mask = 0; mask < 1 << n; mask++) {
    const members = Array.from({ length: n }, (_, i) => i).filter((i) => (mask >> i) & 1);
    if (members.length !== need) continue;
    let top: Slot | undefined;
    for (const i of members) {
      const slot = cluster.acceptors[i]!.store.read(key);
      if (slot !== undefined && (top === undefined || compareBallots(slot.accepted, top.accepted) > 0)) top = slot;
    }
    const intent = top?.state?.intent;
    if (intent !== undefined) return intent.txn;
  }
  return null;
}

/** Runs the scheduler until `work` settles (or the queue empties); its value, or undefined. */
async function runUntilSettled<T>(scheduler: Scheduler, work: Promise<T>): Promise<T | undefined> {
  let done = false;
  let value: T | undefined;
  void work.then((v) => {
    done = true;
    value = v;
  });
  await scheduler.runUntil(() => done, scheduler.now + 60_000);
  return value;
}

/** Setup: the initial balance at version 1. */
function compareAndSetOrCreate(balance: number) {
  return {
    name: "setup",
    mutates: true,
    apply: (current: Register, origin: string) => ({ kind: "apply" as const, next: nextState(current, encoder.encode(String(balance)), "text/plain; charset=utf-8", origin) }),
  };
}

/** A plain compare-and-set that writes the value the key holds at `version` again (a visible change, same balance). */
function sameValueAt(version: number) {
  return {
    name: "rewrite",
    mutates: true,
    apply: (current: Register, origin: string) => {
      if (!isLive(current)) return compareAndSet(version, encoder.encode("0"), "").apply(current, origin);
      return compareAndSet(version, current.value, current.contentType).apply(current, origin);
    },
  };
}
