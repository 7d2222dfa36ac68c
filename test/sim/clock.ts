import { AsyncLocalStorage } from "node:async_hooks";
import type { Clock, Timer } from "../../src/core/ports.js";
import type { Scheduler } from "./scheduler.js";

/**
 * One client request served by a proposer. In workerd a cancelled request (its client went away) runs no further:
 * its timers never fire and its calls never complete, while other requests of the same isolate go on. The proposer
 * code running for a request is found through the async context, as workerd ties I/O to the request.
 */
export class Request {
  cancelled = false;
}

export const currentRequest = new AsyncLocalStorage<Request>();

/**
 * Whether a simulated process (a proposer) still runs. A dead process's timers never fire and its messages never
 * arrive or get answered: its pending calls simply hang, as a killed Worker's would.
 */
export class Life {
  private alive = true;
  private readonly onDeath: (() => void)[] = [];

  get isAlive(): boolean {
    return this.alive;
  }

  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const listener of this.onDeath.splice(0)) listener();
  }

  /** Runs `listener` when the process dies (right away if it is dead); returns an unsubscribe function. */
  whenDead(listener: () => void): () => void {
    if (!this.alive) {
      listener();
      return () => {};
    }
    this.onDeath.push(listener);
    return () => {
      const i = this.onDeath.indexOf(listener);
      if (i >= 0) this.onDeath.splice(i, 1);
    };
  }
}

/**
 * The Clock port over virtual time, for one process. `skewMs` shifts what now() reports (ballot counters use it as
 * a floor), so proposers with wrong clocks are simulated too; correctness must not depend on it.
 */
export class ProcessClock implements Clock {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly life: Life,
    private readonly skewMs = 0,
  ) {}

  now(): number {
    return this.scheduler.now + this.skewMs;
  }

  timer(ms: number): Timer {
    let resolve!: () => void;
    const fired = new Promise<void>((r) => (resolve = r));
    const request = currentRequest.getStore();
    const handle = this.scheduler.after(Math.max(0, ms), () => {
      if (this.life.isAlive && request?.cancelled !== true) resolve();
    });
    return { fired, cancel: () => handle.cancel() };
  }
}
