import { DurableObject } from "cloudflare:workers";
import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { TombstoneRow } from "../acceptor/sqlite-slot-store.js";
import { BallotIssuer } from "../core/ballot.js";
import { collect, type CollectOutcome } from "../core/collector.js";
import { groupById, ownerOf, type Group, type Layout } from "../core/layout/layout.js";
import { vshardOf } from "../core/layout/vshard.js";
import type { Transport } from "../core/ports.js";
import { readLayout } from "../core/reconfig/config-register.js";
import { initialLayout, rootRegisters, type ClusterSettings } from "../cluster/cluster-layout.js";
import { acceptorIndexOf, FaultTable, FaultyNamedTransport, FaultyTransport, withFault, type Fault } from "../cluster/fault-injection.js";
import { DurableObjectNamedTransport } from "../cluster/named-object-transport.js";
import { systemClock, withTimeout } from "../cluster/runtime.js";
import { nextSweep, type SweepResult } from "./schedule.js";

/** What a Worker tells the collector of a group when it deletes a key there (the Worker's own configuration). */
export interface CollectorSettings extends ClusterSettings {
  readonly group: number;
  /** How long a tombstone stays before it is collected (a key deleted and soon recreated is not worth collecting). */
  readonly delayMs: number;
}

interface Bindings {
  readonly ACCEPTOR: DurableObjectNamespace<Acceptor>;
}

/** Tombstones listed per acceptor per sweep; a longer backlog is worked off in further sweeps right away. */
const LIST_LIMIT = 500;
/** Keys collected at once (each is three rounds to every acceptor of the group). */
const CONCURRENCY = 8;

/**
 * The garbage collector of one group's deleted keys: a Durable Object whose alarm runs sweeps until no tombstone is
 * left. Woken by the Worker after every delete (never on the request's path: in `waitUntil`). A sweep reads the
 * layout, lists the tombstones of every acceptor of the group and runs `collect` (src/core/collector.ts) on those
 * older than the delay, with the layout's epoch on every message. It leaves alone the keys of vshards the group does
 * not own alone (moving in a layout change, or moved away): their floors must not rise during a move, and an
 * acceptor that moved on refuses the epoch anyway. Whatever could not be collected (an acceptor down, a proposer
 * racing) is retried by a later alarm with backoff. Losing this object loses nothing but pending work: the next
 * delete in the group wakes it again.
 */
export class Collector extends DurableObject<Bindings> {
  private settings: CollectorSettings | undefined;
  /** An alarm is set, or a sweep is running: a wake needs no storage access. */
  private armed = false;
  /** A wake arrived while a sweep was running: its tombstone may have been listed too late, so sweep again. */
  private wokenDuringSweep = false;
  private sweeping = false;
  private failures = 0;
  /** Keys whose collection must be tried again: due at once, though the collector's own tombstone looks young. */
  private retrying = new Set<string>();
  /** Ballots of this instance; a random id keeps them apart from every proposer's and every other instance's. */
  private readonly ballots = new BallotIssuer(`gc${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`, () => Date.now());

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /** A key of the group was deleted: make sure a sweep is due. Cheap when one already is (memory only). */
  async wake(settings: CollectorSettings): Promise<void> {
    this.remember(settings);
    if (this.sweeping) this.wokenDuringSweep = true;
    if (this.armed) return;
    this.armed = true;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + settings.delayMs);
  }

  override async alarm(): Promise<void> {
    const result = await this.sweep(false);
    const next = nextSweep(result, Date.now(), this.failures);
    if (next === null) this.armed = false;
    else await this.ctx.storage.setAlarm(next);
  }

  /**
   * One sweep now (dev admin and tests): with `all`, tombstones younger than the delay are collected too, and the dev
   * admin's fault table (`faults`) applies to this sweep's calls. The alarm schedule is left as it is.
   */
  async sweepNow(settings: CollectorSettings, all: boolean, faults: readonly ({ acceptor: number } & Fault)[] = []): Promise<SweepResult> {
    this.remember(settings);
    const table = new FaultTable(settings.acceptors);
    for (const { acceptor, ...fault } of faults) table.set(acceptor, fault as Fault);
    return this.sweep(all, table);
  }

  private async sweep(all: boolean, faults?: FaultTable): Promise<SweepResult> {
    const settings = this.settings ?? this.load();
    if (settings === undefined) return emptyResult(); // never woken with settings: nothing to do
    this.sweeping = true;
    this.wokenDuringSweep = false;
    try {
      const result = await this.sweepWith(settings, all, faults);
      this.failures = result.retry > 0 || result.unreachable > 0 ? this.failures + 1 : 0;
      if (this.wokenDuringSweep) result.backlog = true;
      return result;
    } finally {
      this.sweeping = false;
    }
  }

  private async sweepWith(settings: CollectorSettings, all: boolean, faults?: FaultTable): Promise<SweepResult> {
    const result = emptyResult();
    const read = await readLayout(rootRegisters(this.env.ACCEPTOR, settings, faults === undefined ? undefined : (t) => new FaultyTransport(t, faults)), initialLayout(settings));
    if (!read.ok) {
      result.unreachable++;
      return result;
    }
    const layout = read.value.layout;
    const group = layout.groups.find((g) => g.id === settings.group);
    // A retired group (every vshard moved away) holds nothing anyone reads: its rows are left as they are.
    if (group === undefined) return result;
    const named = new DurableObjectNamedTransport(this.env.ACCEPTOR);
    const objects = faults === undefined ? named : new FaultyNamedTransport(named, faults);
    const now = Date.now();
    const list = (i: number) => named.stub(group.acceptors[i]!).tombstones(null, LIST_LIMIT);
    const listed = await Promise.allSettled(
      group.acceptors.map((ref, i) => {
        const index = acceptorIndexOf(ref.name);
        return withTimeout(faults === undefined ? list(i) : withFault(faults.get(index), index, () => list(i)), settings.proposer.roundTimeoutMs);
      }),
    );
    const keys = new Map<string, number>();
    for (const list of listed) {
      if (list.status === "rejected") {
        result.unreachable++;
        continue;
      }
      const rows = list.value as TombstoneRow[];
      if (rows.length === LIST_LIMIT) result.backlog = true;
      for (const row of rows) {
        if (ownedAlone(layout, group, row.key)) keys.set(row.key, Math.min(keys.get(row.key) ?? Infinity, row.acceptedCounter ?? 0));
      }
    }
    const due: string[] = [];
    for (const [key, since] of keys) {
      if (all || since <= now - settings.delayMs || this.retrying.has(key)) due.push(key);
      else result.nextDueAt = Math.min(result.nextDueAt ?? Infinity, since + settings.delayMs);
    }
    // The group's acceptors by index, every message carrying the layout's epoch.
    const transport: Transport = {
      send: (i, request) => objects.send(group.acceptors[i]!, "key" in request ? { ...request, epoch: layout.epoch } : request),
    };
    const deps = { acceptors: group.acceptors.length, transport, clock: systemClock, ballots: this.ballots, roundTimeoutMs: settings.proposer.roundTimeoutMs };
    const retrying = new Set<string>();
    const count = (key: string, outcome: CollectOutcome) => {
      if (outcome.kind === "collected") result.collected++;
      else if (outcome.kind === "live") result.live++;
      else {
        result.retry++;
        retrying.add(key);
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const key = due[next++] as string;
        count(key, await collect(key, deps).catch((error: unknown) => ({ kind: "retry", reason: String(error) }) as const));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    this.retrying = retrying;
    return result;
  }

  private remember(settings: CollectorSettings): void {
    const text = JSON.stringify(settings);
    if (this.settings !== undefined && JSON.stringify(this.settings) === text) return;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('settings', ?)", text);
    this.settings = settings;
  }

  private load(): CollectorSettings | undefined {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE name = 'settings'").toArray()[0];
    if (row === undefined) return undefined;
    const stored = JSON.parse(row.value) as CollectorSettings;
    // Settings from before layouts named a shard (now the group of the same number) and no proposer config: such an
    // object's pending alarm is simply dropped; the next delete of its group wakes it with today's settings.
    if (stored.proposer === undefined) return undefined;
    // JSON turned "no hint" (undefined) into null: turn it back.
    this.settings = { ...stored, locationHints: stored.locationHints.map((h) => h ?? undefined) };
    return this.settings;
  }
}

/** Whether the layout gives the key's vshard to `group` alone (not to a pair of a running change, not to another). */
function ownedAlone(layout: Layout, group: Group, key: string): boolean {
  const owner = ownerOf(layout, vshardOf(key)).owner;
  return "group" in owner && groupById(layout, owner.group) === group;
}

function emptyResult(): SweepResult {
  return { collected: 0, live: 0, retry: 0, unreachable: 0, backlog: false, nextDueAt: null };
}
