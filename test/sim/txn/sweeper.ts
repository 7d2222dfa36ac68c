import type { Registers } from "../../../src/core/proposer.js";
import { emptySweepReport, sweepIntents, type SweepReport } from "../../../src/core/txn/sweep.js";
import { nextSweepAt } from "../../../src/core/txn/sweep-schedule.js";
import { currentRequest, Life, ProcessClock, Request } from "../clock.js";
import type { Cluster } from "../cluster.js";
import type { Rng } from "../rng.js";
import type { Scheduler } from "../scheduler.js";

export interface SimSweeperSpec {
  readonly staleMs: number;
  readonly periodMs: number;
  readonly leaseMs: number;
  readonly roundTimeoutMs: number;
  /** The object's clock is off by this much (its leases and staleness are judged by it). */
  readonly skewMs: number;
  /** Chance that a sweep dies midway (the object reset); the runtime then retries the alarm after `retryMs`. */
  readonly deaths: () => number;
  readonly retryMs: number;
  /** Negative control: the sweep asks acceptor 0 alone (as if one acceptor's list were the group's). */
  readonly bug?: "one-acceptor";
}

export interface SweeperCounts {
  sweeps: number;
  died: number;
  resolved: number;
  wakes: number;
}

/**
 * The IntentSweeper Durable Object of one shard (src/collector/intent-sweeper-object.ts), as the simulator runs it:
 * `wake` raises the lease and sets the alarm a period ahead if none is set; the alarm runs the real sweep
 * (src/core/txn/sweep.ts) over the shard's simulated network (its faults included) and the proposer's registers, then
 * sets itself by the real schedule (sweep-schedule.ts). A sweep may die midway (its calls and timers with it, as a
 * reset object's), and the alarm is then retried, as workerd retries a failed alarm.
 */
export class SimSweeper {
  readonly counts: SweeperCounts = { sweeps: 0, died: 0, resolved: 0, wakes: 0 };
  private activeUntil = 0;
  /** The one alarm an object has; `due`: it came while the handler ran, so it runs right after (unless replaced). */
  private alarm: { at: number; due: boolean; cancel: () => void } | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly clock: ProcessClock;

  constructor(
    readonly name: string,
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
    private readonly cluster: Cluster,
    private readonly registers: Registers,
    private readonly spec: SimSweeperSpec,
    private readonly log?: (line: string) => void,
  ) {
    this.clock = new ProcessClock(scheduler, new Life(), spec.skewMs);
  }

  /** A wake has arrived: the lease's end (this object's clock), as the RPC answers it. */
  wake(): number {
    this.counts.wakes++;
    this.activeUntil = Math.max(this.activeUntil, this.clock.now() + this.spec.leaseMs);
    if (this.alarm === null) this.setAlarm(this.clock.now() + this.spec.periodMs);
    return this.activeUntil;
  }

  /** No more alarms; resolves once the sweep under way (if any) ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.alarm?.cancel();
    this.alarm = null;
    await this.running;
  }

  /** As storage.setAlarm: replaces the alarm. One handler runs at a time; an alarm due meanwhile waits for it. */
  private setAlarm(at: number): void {
    if (this.stopped) return;
    this.alarm?.cancel();
    const entry = { at, due: false, cancel: () => {} };
    const handle = this.scheduler.after(Math.max(0, at - this.clock.now()), () => {
      if (this.alarm !== entry) return;
      if (this.running !== null) entry.due = true;
      else this.start();
    });
    entry.cancel = () => handle.cancel();
    this.alarm = entry;
  }

  private start(): void {
    this.alarm = null;
    this.running = this.fire().finally(() => {
      this.running = null;
      if (this.alarm?.due === true && !this.stopped) this.start();
    });
  }

  private async fire(): Promise<void> {
    const startedAt = this.clock.now();
    this.counts.sweeps++;
    const request = new Request();
    const life = new Life();
    const dies = this.rng.chance(this.spec.deaths());
    if (dies) this.scheduler.after(this.rng.between(0, 60), () => life.kill());
    const ports = {
      acceptors: this.spec.bug === "one-acceptor" ? 1 : this.cluster.spec.acceptors,
      send: (i: number, r: Parameters<typeof this.cluster.network.send>[2]) => this.cluster.network.send({ id: this.name, life }, i, r),
      registers: this.registers,
      clock: this.clock,
    };
    const options = { staleMs: this.spec.staleMs, pageSize: 4, concurrency: 4, roundTimeoutMs: this.spec.roundTimeoutMs, maxKeys: 1000 };
    const report = await new Promise<SweepReport | null>((resolve) => {
      life.whenDead(() => {
        request.cancelled = true;
        resolve(null);
      });
      currentRequest.run(request, () => sweepIntents(ports, options)).then(resolve, () => resolve(emptySweepReport()));
    });
    if (report === null) {
      this.counts.died++;
      this.log?.(`${this.name}: sweep died; alarm retried in ${this.spec.retryMs} ms`);
      if (this.alarm === null || this.alarm.at > this.clock.now() + this.spec.retryMs) this.setAlarm(this.clock.now() + this.spec.retryMs);
      return;
    }
    life.kill(); // the sweep is over: its leftover calls (none should wait) go nowhere
    this.counts.resolved += report.resolved;
    const next = nextSweepAt(report, { now: this.clock.now(), startedAt, activeUntil: this.activeUntil, periodMs: this.spec.periodMs });
    this.log?.(`${this.name}: sweep ${JSON.stringify(report)}; next ${next === null ? "none" : (next - this.clock.now()).toFixed(0) + " ms"}`);
    if (next !== null) this.setAlarm(next);
  }
}
