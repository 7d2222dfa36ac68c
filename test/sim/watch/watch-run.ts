/**
 * The notification path of list and watch (issue 20) in the simulator: writers change keys through the real
 * proposers (with every fault of a base scenario: loss, crashes, proposers dying mid-accept), then publish a hint
 * that may be lost, delayed or duplicated (a proposer that died never publishes); a hub runs one src/core KeyFeed per
 * key with its own proposer and fans events out to watchers that come and go and resume with a version.
 *
 * Checked on every run:
 * - monotone: per watcher, versions strictly increase;
 * - chosen: every event is a state a majority of acceptors accepted at one ballot (the register really had it);
 * - fresh: after the faults end, a last write per key that publishes NO hint reaches every watcher of the key
 *   within the recheck period plus one read.
 * Prefix watchers (src/core/watch/prefix-feed.ts) follow every key at once through one PrefixFeed: its passes scan a
 * majority of the acceptors for versions (listing/scan-versions.ts) and read the keys that moved; they get the same
 * hints and the same three checks per key, and resume from a vector of versions as a prefix stream's id does.
 * Controls: `bug-watch-trust-hint`: the hub emits the state a hint carries, and hints are published from every stored
 * accept (one acceptor's state); `chosen` must catch it. `bug-watch-scan-one`: the prefix feed's scan asks a single
 * acceptor and believes it, with every hint lost; `fresh` must catch it.
 */
import { formatBallot } from "../../../src/core/ballot.js";
import { write } from "../../../src/core/change.js";
import { Proposer } from "../../../src/core/proposer.js";
import type { Register } from "../../../src/core/register.js";
import { scanVersions } from "../../../src/core/listing/scan-versions.js";
import type { ScanGroup } from "../../../src/core/listing/scan-groups.js";
import { MajorityConfig } from "../../../src/core/quorum/majority.js";
import { acceptorIds } from "../../../src/core/quorum/quorum-config.js";
import { KeyFeed, type KeyEvent } from "../../../src/core/watch/key-feed.js";
import { PrefixFeed } from "../../../src/core/watch/prefix-feed.js";
import { fingerprint } from "../acceptor-node.js";
import { Life, ProcessClock } from "../clock.js";
import { Cluster } from "../cluster.js";
import { scheduleFaults } from "../faults.js";
import { Rng } from "../rng.js";
import { findScenario } from "../scenarios.js";
import { Scheduler } from "../scheduler.js";

export interface WatchScenario {
  readonly name: string;
  readonly summary: string;
  /** The faults, proposer config and cluster shape come from this scenario of scenarios.ts. */
  readonly base: string;
  readonly keys: number;
  readonly writers: number;
  readonly opsPerWriter: number;
  readonly watchersPerKey: number;
  readonly hints: { readonly loss: number; readonly duplicate: number; readonly maxDelayMs: number };
  readonly recheckMs: number;
  /** Watchers of every key at once (a prefix stream), joining over the run like the others. */
  readonly prefixWatchers: number;
  readonly bug: "trust-hint" | "scan-one" | null;
}

export const WATCH_SCENARIOS: readonly WatchScenario[] = [
  {
    name: "watch-lossy-n3",
    summary: "hints lost (40 %), late and duplicated over lossy links; watchers join and resume",
    base: "lossy-n3",
    keys: 3,
    writers: 4,
    opsPerWriter: 25,
    watchersPerKey: 4,
    hints: { loss: 0.4, duplicate: 0.2, maxDelayMs: 300 },
    recheckMs: 250,
    prefixWatchers: 3,
    bug: null,
  },
  {
    name: "watch-deaths-n3",
    summary: "proposers die between their accept and the publish; acceptors crash; every hint lost half the time",
    base: "proposer-death-n3",
    keys: 2,
    writers: 4,
    opsPerWriter: 25,
    watchersPerKey: 3,
    hints: { loss: 0.5, duplicate: 0.3, maxDelayMs: 150 },
    recheckMs: 250,
    prefixWatchers: 3,
    bug: null,
  },
  {
    name: "watch-chaos-n5",
    summary: "N=5, every fault of chaos-n5, no hints at all: rechecks alone keep watchers current",
    base: "chaos-n5",
    keys: 2,
    writers: 3,
    opsPerWriter: 20,
    watchersPerKey: 3,
    hints: { loss: 1, duplicate: 0, maxDelayMs: 0 },
    recheckMs: 250,
    prefixWatchers: 3,
    bug: null,
  },
];

export const WATCH_CONTROLS: readonly WatchScenario[] = [
  {
    name: "bug-watch-trust-hint",
    summary: "CONTROL: events built from the state one acceptor accepted (carried by the hint), not from a read",
    base: "proposer-death-n3",
    keys: 2,
    writers: 4,
    opsPerWriter: 25,
    watchersPerKey: 2,
    hints: { loss: 0, duplicate: 0, maxDelayMs: 20 },
    recheckMs: 250,
    prefixWatchers: 0,
    bug: "trust-hint",
  },
  {
    name: "bug-watch-scan-one",
    summary: "CONTROL: a prefix feed whose scan believes one acceptor (every hint lost): a change it missed is never read",
    base: "lossy-n3",
    keys: 3,
    writers: 4,
    opsPerWriter: 25,
    watchersPerKey: 0,
    hints: { loss: 1, duplicate: 0, maxDelayMs: 0 },
    recheckMs: 250,
    prefixWatchers: 3,
    bug: "scan-one",
  },
];

export interface WatchReport {
  readonly scenario: string;
  readonly seed: number;
  readonly violations: readonly string[];
  readonly events: number;
  readonly hintsPublished: number;
  readonly writesApplied: number;
}

interface Received {
  readonly at: number;
  readonly event: KeyEvent;
}

class Watcher {
  readonly received: Received[] = [];
  constructor(
    readonly key: string,
    readonly id: number,
    readonly since: number,
  ) {}
}

/** A watcher of every key (a prefix stream): its own feed, resumed from a vector of versions or fresh. */
class PrefixWatcher {
  readonly received: Received[] = [];
  feed: PrefixFeed | undefined;
  constructor(
    readonly id: number,
    readonly since: ReadonlyMap<string, number>,
  ) {}
}

/**
 * A state as a watcher sees it: everything but the lineage (acceptors answer reads without it; it only serves the
 * proposer's recovery).
 */
function printOf(state: Register): string {
  if (state === null) return fingerprint(null);
  const { lineage: _, ...seen } = state;
  return fingerprint(seen);
}

/** Chosen states per key: the fingerprints a majority of acceptors accepted at one ballot. */
class ChosenStates {
  private readonly holders = new Map<string, { print: string; key: string; acceptors: Set<number> }>();
  readonly chosen = new Map<string, Set<string>>();

  constructor(private readonly majority: number) {}

  stored(acceptor: number, key: string, ballot: string, state: Register): void {
    const id = `${key}\u0000${ballot}`;
    let entry = this.holders.get(id);
    if (entry === undefined) {
      entry = { print: printOf(state), key, acceptors: new Set() };
      this.holders.set(id, entry);
    }
    entry.acceptors.add(acceptor);
    if (entry.acceptors.size >= this.majority) {
      let set = this.chosen.get(key);
      if (set === undefined) this.chosen.set(key, (set = new Set()));
      set.add(entry.print);
    }
  }

  has(key: string, state: Register): boolean {
    return this.chosen.get(key)?.has(printOf(state)) === true;
  }
}

export function findWatchScenario(name: string): WatchScenario {
  const found = [...WATCH_SCENARIOS, ...WATCH_CONTROLS].find((s) => s.name === name);
  if (found === undefined) throw new Error(`no watch scenario ${name}`);
  return found;
}

export async function runWatchScenario(spec: WatchScenario, seed: number): Promise<WatchReport> {
  const base = findScenario(spec.base);
  const rng = new Rng(seed);
  const scheduler = new Scheduler();
  const config = { ...base.config, acceptors: base.acceptors };
  const cluster = new Cluster({ acceptors: base.acceptors, proposers: base.proposers, config, clockSkewMs: base.clockSkewMs, bug: null }, scheduler, rng.fork("cluster"));
  const chosen = new ChosenStates(Math.floor(base.acceptors / 2) + 1);
  const keys = Array.from({ length: spec.keys }, (_, i) => `w${i}`);
  const violations: string[] = [];
  let hintsPublished = 0;
  let writesApplied = 0;

  // The hub: one feed per key, reading through a proposer of its own that never dies (a Durable Object's).
  const hubLife = new Life();
  const hubClock = new ProcessClock(scheduler, hubLife, 0);
  const hubProposer = new Proposer("hub", config, cluster.network.transport({ id: "hub", life: hubLife }), hubClock, rng.fork("hub"));
  const watchers = new Map<string, Watcher[]>(keys.map((k) => [k, []]));
  const latest = new Map<string, KeyEvent>();
  const deliver = (event: KeyEvent) => {
    latest.set(event.key, event);
    for (const w of watchers.get(event.key) ?? []) w.received.push({ at: scheduler.now, event });
  };
  const feeds = new Map(keys.map((key) => [key, new KeyFeed(key, hubProposer, hubClock, deliver, { recheckMs: spec.recheckMs })]));
  for (const feed of feeds.values()) feed.start();

  // Prefix watchers scan for versions over the hub's links: a majority of the acceptors (the control: one, believed).
  const scanLinks = cluster.network.transport({ id: "hub-scan", life: hubLife });
  const scanGroup: ScanGroup = {
    quorum: new MajorityConfig(spec.bug === "scan-one" ? [base.acceptors - 1] : acceptorIds(base.acceptors)),
    send: (index, request) => scanLinks.send(index, request),
  };
  const scanPorts = { groups: () => ({ epoch: 0, groups: [scanGroup] }), refresh: async () => {}, clock: hubClock };
  // A page of 2 keys: every pass pages through the keys.
  const scanOptions = { pageSize: 2, roundTimeoutMs: config.roundTimeoutMs, deadlineMs: config.deadlineMs, maxKeys: 1000 };
  const prefixWatchers: PrefixWatcher[] = [];
  const startPrefixWatcher = (id: number, since: ReadonlyMap<string, number>) => {
    const watcher = new PrefixWatcher(id, since);
    watcher.feed = new PrefixFeed(
      { scan: (prefix) => scanVersions(scanPorts, prefix, scanOptions), read: (key) => hubProposer.read(key), clock: hubClock },
      (signal) => {
        if (signal.kind === "event") watcher.received.push({ at: scheduler.now, event: signal.event });
        else if (signal.kind === "too_many") violations.push(`prefix watcher ${id}: too many keys`);
      },
      { ranges: ["w"], recheckMs: spec.recheckMs, since, readConcurrency: 2 },
    );
    watcher.feed.start();
    prefixWatchers.push(watcher);
  };

  // Every stored accept: counted towards chosen states; in the control, also published as a hint carrying it.
  const record = cluster.log.record.bind(cluster.log);
  cluster.log.record = (acceptor, key, ballot, state) => {
    record(acceptor, key, ballot, state);
    chosen.stored(acceptor, key, formatBallot(ballot), state);
    if (spec.bug === "trust-hint" && keys.includes(key) && state !== null && state.version > (latest.get(key)?.version ?? 0)) {
      hintsPublished++;
      scheduler.after(rng.between(0, spec.hints.maxDelayMs), () => deliver({ key, version: state.version, kind: state.value === null ? "delete" : "put", state }));
    }
  };

  const publish = (key: string, version: number) => {
    if (spec.bug !== null || rng.next() < spec.hints.loss) return;
    const copies = rng.next() < spec.hints.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      hintsPublished++;
      scheduler.after(rng.between(0, spec.hints.maxDelayMs), () => feeds.get(key)!.hint(version));
      for (const w of prefixWatchers) scheduler.after(rng.between(0, spec.hints.maxDelayMs), () => w.feed!.hint(key, version));
    }
  };

  const stopFaults = scheduleFaults(cluster, base.faults, rng.fork("faults"), base.faultyMs);
  let faulty = true;
  const encoder = new TextEncoder();
  const writer = async (w: number) => {
    const wr = rng.fork(`writer-${w}`);
    for (let op = 0; op < spec.opsPerWriter && faulty; op++) {
      const key = keys[wr.int(keys.length)]!;
      const node = cluster.node(wr.int(cluster.proposerSlots));
      const outcome = await node.proposer.change(key, write(encoder.encode(`${w}.${op}`), "text/plain"));
      // A proposer that died never answers, so it never publishes: the hint is lost with it.
      if (outcome.kind === "applied" && outcome.state !== null) {
        writesApplied++;
        publish(key, outcome.state.version);
      }
      await scheduler.sleep(wr.between(0, 30));
    }
  };
  const subscriber = async () => {
    const sr = rng.fork("subscribers");
    let id = 0;
    for (const key of keys) {
      for (let i = 0; i < spec.watchersPerKey; i++) {
        await scheduler.sleep(sr.between(0, base.faultyMs / (spec.keys * spec.watchersPerKey)));
        // Half resume from a version they had (Last-Event-ID), half start fresh.
        const have = latest.get(key)?.version ?? 0;
        const since = sr.next() < 0.5 ? 0 : sr.int(have + 1);
        const watcher = new Watcher(key, id++, since);
        watchers.get(key)!.push(watcher);
        const last = latest.get(key);
        if (last !== undefined && last.version > since) watcher.received.push({ at: scheduler.now, event: last });
      }
    }
    for (let i = 0; i < spec.prefixWatchers; i++) {
      await scheduler.sleep(sr.between(0, base.faultyMs / Math.max(1, spec.prefixWatchers)));
      // Resume from what an earlier prefix watcher held at some point (its vector now), or start fresh.
      const earlier = prefixWatchers[sr.int(Math.max(1, prefixWatchers.length))];
      const since = earlier !== undefined && sr.next() < 0.5 ? new Map(earlier.feed!.vector) : new Map<string, number>();
      startPrefixWatcher(id++, since);
    }
  };

  const writers = Array.from({ length: spec.writers }, (_, w) => writer(w));
  void subscriber();
  let done = 0;
  for (const w of writers) void w.then(() => done++);
  await scheduler.runUntil(() => done === writers.length, base.faultyMs);
  faulty = false;
  stopFaults();
  cluster.heal();
  await scheduler.runUntil(() => done === writers.length, scheduler.now + 10 * config.deadlineMs);

  // Freshness: one last write per key with no hint; every watcher must have it within a recheck plus one read. The
  // last acceptor is down during these writes and back after them: it lags (a minority that missed the change).
  const lagging = cluster.acceptors[base.acceptors - 1]!;
  lagging.crash();
  const finals = new Map<string, number>();
  for (const key of keys) {
    const node = cluster.node(0);
    let outcome = await untilSettled(scheduler, node.proposer.change(key, write(encoder.encode(`final-${key}`), "text/plain")), 10 * config.deadlineMs);
    for (let attempt = 0; attempt < 5 && outcome?.kind !== "applied"; attempt++) {
      outcome = await untilSettled(scheduler, cluster.node(attempt + 1).proposer.change(key, write(encoder.encode(`final-${key}`), "text/plain")), 10 * config.deadlineMs);
    }
    if (outcome?.kind === "applied" && outcome.state !== null) finals.set(key, outcome.state.version);
    else violations.push(`liveness: the final write of ${key} did not apply after the faults ended`);
  }
  lagging.restart();
  const boundMs = spec.recheckMs + config.deadlineMs + config.roundTimeoutMs;
  const finalAt = scheduler.now;
  await scheduler.runUntil(() => false, scheduler.now + boundMs);
  for (const feed of feeds.values()) feed.stop();
  for (const w of prefixWatchers) w.feed!.stop();
  hubLife.kill();

  let events = 0;
  for (const [key, list] of watchers) {
    for (const watcher of list) {
      events += watcher.received.length;
      let previous = watcher.since;
      for (const { at, event } of watcher.received) {
        if (event.version <= previous) violations.push(`monotone: watcher ${watcher.id} of ${key} got version ${event.version} after ${previous} (at ${at.toFixed(1)} ms)`);
        if (!chosen.has(key, event.state)) violations.push(`chosen: watcher ${watcher.id} of ${key} got version ${event.version} {${printOf(event.state)}}, which no majority accepted (at ${at.toFixed(1)} ms)`);
        previous = Math.max(previous, event.version);
      }
      const want = finals.get(key);
      if (want !== undefined && previous < want) {
        violations.push(`fresh: watcher ${watcher.id} of ${key} is at version ${previous}, ${boundMs} ms after version ${want} was chosen at ${finalAt.toFixed(1)} ms`);
      }
    }
  }
  for (const watcher of prefixWatchers) {
    events += watcher.received.length;
    const last = new Map(watcher.since);
    for (const { at, event } of watcher.received) {
      const previous = last.get(event.key) ?? 0;
      const who = `prefix watcher ${watcher.id} of ${event.key}`;
      if (event.version <= previous) violations.push(`monotone: ${who} got version ${event.version} after ${previous} (at ${at.toFixed(1)} ms)`);
      if (!chosen.has(event.key, event.state)) violations.push(`chosen: ${who} got version ${event.version} {${printOf(event.state)}}, which no majority accepted (at ${at.toFixed(1)} ms)`);
      last.set(event.key, Math.max(previous, event.version));
    }
    for (const [key, want] of finals) {
      const have = last.get(key) ?? 0;
      if (have < want) violations.push(`fresh: prefix watcher ${watcher.id} has ${key} at version ${have}, ${boundMs} ms after version ${want} was chosen at ${finalAt.toFixed(1)} ms`);
    }
  }
  return { scenario: spec.name, seed, violations: violations.slice(0, 20), events, hintsPublished, writesApplied };
}

async function untilSettled<T>(scheduler: Scheduler, promise: Promise<T>, limitMs: number): Promise<T | undefined> {
  let result: T | undefined;
  let settled = false;
  void promise.then((r) => {
    result = r;
    settled = true;
  });
  await scheduler.runUntil(() => settled, scheduler.now + limitMs);
  return result;
}

export function replayWatchCommand(scenario: string, seed: number): string {
  return `SIM_WATCH_SCENARIO=${scenario} SIM_WATCH_SEED=${seed} npx vitest run test/sim/watch.test.ts`;
}
