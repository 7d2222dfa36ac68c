import { DurableObject } from "cloudflare:workers";
import type { Acceptor } from "../acceptor/acceptor-object.js";
import { Proposer, type Registers } from "../core/proposer.js";
import { LayoutRouter } from "../core/routing/layout-router.js";
import { emptySweepReport, sweepIntents, type SweepReport } from "../core/txn/sweep.js";
import { nextSweepAt, sweepLeaseMs, sweepPeriodMs } from "../core/txn/sweep-schedule.js";
import { publishingChanges } from "../core/watch/hints.js";
import { ClusterLayout, initialLayout, rootRegisters, type ClusterSettings } from "../cluster/cluster-layout.js";
import { DurableObjectNamedTransport } from "../cluster/named-object-transport.js";
import { systemClock, systemRandom } from "../cluster/runtime.js";
import { hubPublisher } from "../watch/hub-hints.js";
import type { WatchHub } from "../watch/watch-hub.js";

/** What a Worker tells the sweeper of a group when it wakes it (the Worker's own configuration). */
export interface IntentSweeperSettings extends ClusterSettings {
  readonly group: number;
  /** BALLOT_TXN_STALE_MS: a transaction pending this long after it began is aborted by the sweep. */
  readonly staleMs: number;
}

interface Bindings {
  readonly ACCEPTOR: DurableObjectNamespace<Acceptor>;
  readonly WATCH_HUB: DurableObjectNamespace<WatchHub>;
}

/** Keys asked of each acceptor per page. */
const PAGE_SIZE = 100;
/** Keys swept at once (each: a read, and for an intent a record read, maybe an abort, and a resolution). */
const CONCURRENCY = 8;
/** Keys per sweep; a longer backlog is worked off by the next sweeps, right after. */
const MAX_KEYS = 1000;

/**
 * The background sweep of one group's transaction intents (issue 23): a Durable Object whose alarm runs
 * src/core/txn/sweep.ts while intents may exist, and sleeps otherwise (sweep-schedule.ts says when).
 *
 * Woken by the Worker before it places intents in the group and whenever it meets one (intent-sweep-trigger.ts), in
 * the background of the request. A wake extends a lease (stored: an evicted object keeps its promise) and sets the
 * alarm a period ahead if none is set; the alarm sweeps, and sets itself a period later while the sweep found an
 * intent pending, a key it could not settle, no majority, or a lease its start had not outlived.
 *
 * It reads and resolves keys through a proposer of its own, routed by the layout like the Worker's (keys of vshards
 * that moved away are read where they live now), and publishes the hint of every resolution that changed a key, so
 * that watchers (prefix watches above all, which follow the acceptors' versions) see a transaction finished here as
 * they see any write. A sibling of the Collector rather than a duty of it: each has one alarm and its own rhythm
 * (tombstones wait a minute and back off for minutes; intents are swept every few seconds while they last).
 */
export class IntentSweeper extends DurableObject<Bindings> {
  private settings: IntentSweeperSettings | undefined;
  /** The end of the latest lease (ms since the epoch, this object's clock); 0: none. */
  private activeUntil: number;
  private parts: { layout: ClusterLayout; named: DurableObjectNamedTransport; registers: Registers } | undefined;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.activeUntil = Number(this.meta("active_until") ?? "0");
  }

  /**
   * An intent may exist in the group (or soon will): sweep until a sweep that starts after the returned time finds
   * nothing left. The Worker skips wakes while that time covers what it does (SweepLeases).
   */
  async wake(settings: IntentSweeperSettings): Promise<number> {
    this.remember(settings);
    const { periodMs, leaseMs } = this.timing(settings);
    const until = Date.now() + leaseMs;
    if (until > this.activeUntil) {
      this.activeUntil = until;
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('active_until', ?)", String(until));
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + periodMs);
    return this.activeUntil;
  }

  override async alarm(): Promise<void> {
    const startedAt = Date.now();
    const report = await this.sweep();
    const settings = this.settings;
    if (settings === undefined) return;
    const next = nextSweepAt(report, { now: Date.now(), startedAt, activeUntil: this.activeUntil, periodMs: this.timing(settings).periodMs });
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /** One sweep now (tests and operators); the alarm's schedule is left as it is. */
  async sweepNow(settings: IntentSweeperSettings): Promise<SweepReport> {
    this.remember(settings);
    return this.sweep();
  }

  private async sweep(): Promise<SweepReport> {
    const settings = this.settings ?? this.load();
    if (settings === undefined) return emptySweepReport(); // never woken: nothing to do
    const parts = (this.parts ??= this.build(settings));
    await parts.layout.ready(settings.proposer.deadlineMs);
    const layout = parts.layout.current();
    // A retired group (every vshard moved away) holds no key anyone reads through it: nothing to sweep.
    const group = layout.groups.find((g) => g.id === settings.group);
    if (group === undefined) return emptySweepReport();
    const report = await sweepIntents(
      {
        acceptors: group.acceptors.length,
        send: (i, request) => parts.named.send(group.acceptors[i]!, request),
        registers: parts.registers,
        clock: systemClock,
      },
      { staleMs: settings.staleMs, pageSize: PAGE_SIZE, concurrency: CONCURRENCY, roundTimeoutMs: settings.proposer.roundTimeoutMs, maxKeys: MAX_KEYS },
    );
    // An acceptor serves a newer layout: the group may have changed; the next sweep uses it.
    if (report.epoch > layout.epoch) await parts.layout.reload();
    if (report.found > 0 || report.unreachable) console.log(JSON.stringify({ msg: "intent sweep", group: settings.group, ...report }));
    return report;
  }

  private build(settings: IntentSweeperSettings) {
    const layout = new ClusterLayout(rootRegisters(this.env.ACCEPTOR, settings), initialLayout(settings));
    const named = new DurableObjectNamedTransport(this.env.ACCEPTOR);
    const id = `sw${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
    const proposer = new Proposer(id, settings.proposer, new LayoutRouter(layout, named), systemClock, systemRandom);
    // A resolution that changes a key hints its watchers, as the Worker's writes do (a lost hint: their rechecks).
    const registers = publishingChanges(proposer, hubPublisher(this.env.WATCH_HUB, settings.cluster, (work) => this.ctx.waitUntil(work)));
    return { layout, named, registers };
  }

  private timing(settings: IntentSweeperSettings): { periodMs: number; leaseMs: number } {
    const periodMs = sweepPeriodMs(settings.staleMs);
    return { periodMs, leaseMs: sweepLeaseMs(periodMs, settings.proposer.deadlineMs + settings.proposer.roundTimeoutMs) };
  }

  private remember(settings: IntentSweeperSettings): void {
    const text = JSON.stringify(settings);
    if (this.settings !== undefined && JSON.stringify(this.settings) === text) return;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('settings', ?)", text);
    this.settings = settings;
    this.parts = undefined;
  }

  private load(): IntentSweeperSettings | undefined {
    const text = this.meta("settings");
    if (text === undefined) return undefined;
    const stored = JSON.parse(text) as IntentSweeperSettings;
    // JSON turned "no hint" (undefined) into null: turn it back.
    this.settings = { ...stored, locationHints: stored.locationHints.map((h) => h ?? undefined) };
    return this.settings;
  }

  private meta(name: string): string | undefined {
    return this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE name = ?", name).toArray()[0]?.value;
  }
}
