import type { Clock, Timer } from "../../src/core/ports.js";

interface Pending {
  readonly due: number;
  readonly seq: number;
  readonly fire: () => void;
}

/** Lets every pending promise callback (and the ones they schedule) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A Clock whose time only moves when the test says so. Timers fire in due order (ties in creation order), and the
 * microtasks each firing triggers run before the next timer fires.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 1_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  timer(ms: number): Timer {
    let fire!: () => void;
    const fired = new Promise<void>((resolve) => (fire = resolve));
    const entry: Pending = { due: this.time + Math.max(0, ms), seq: this.seq++, fire };
    this.pending.push(entry);
    return {
      fired,
      cancel: () => {
        this.pending = this.pending.filter((p) => p !== entry);
      },
    };
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flush();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.due > target) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.time = Math.max(this.time, next.due);
      next.fire();
      await flush();
    }
    this.time = target;
    await flush();
  }

  /**
   * Runs the clock until `promise` settles, jumping from timer to timer; fails if it is still pending with no timer
   * left or past `limitMs` of virtual time.
   */
  async runUntil<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    const limit = this.time + limitMs;
    await flush();
    while (!done) {
      const next = this.earliest();
      if (next === undefined) throw new Error("stuck: promise pending and no timer left");
      if (next.due > limit) throw new Error(`still pending after ${limitMs} ms of virtual time`);
      await this.advance(next.due - this.time);
    }
    return watched;
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.pending) if (best === undefined || p.due < best.due || (p.due === best.due && p.seq < best.seq)) best = p;
    return best;
  }
}
