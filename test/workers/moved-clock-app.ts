import { env } from "cloudflare:workers";
import { loadConfig } from "../../src/config.js";
import type { Clock } from "../../src/core/ports.js";
import type { HintSource } from "../../src/core/watch/hints.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import type { StreamLimits } from "../../src/http/stream-lifetime.js";
import { watchPrefixRoutes } from "../../src/http/watch-prefix.js";
import { watchRoutes } from "../../src/http/watch.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";

/**
 * An app of its own whose watch streams run on a clock the test moves (in steps of 10 ms, letting the streams run
 * after each), with no hints (but its subscriptions counted), rechecks every 5 s, and its reads and scans counted.
 */
export function movedClockApp(limits: StreamLimits = {}) {
  const config = loadConfig(env as unknown as Env);
  const proposer = createWorkerProposer(env as unknown as Env, config);
  let now = 0;
  let timers: { due: number; fire: () => void }[] = [];
  const clock: Clock & { reset(): void } = {
    now: () => now,
    timer: (ms) => {
      let fire!: () => void;
      const fired = new Promise<void>((resolve) => (fire = resolve));
      const entry = { due: now + ms, fire };
      timers.push(entry);
      return { fired, cancel: () => (timers = timers.filter((t) => t !== entry)) };
    },
    reset: () => {
      now = 0;
      timers = [];
    },
  };
  const advanceTo = async (to: number) => {
    while (now < to) {
      now = Math.min(to, now + 10);
      const due = timers.filter((t) => t.due <= now);
      timers = timers.filter((t) => t.due > now);
      due.forEach((t) => t.fire());
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  const reads = { count: 0 };
  const registers = { ...proposer.registers, read: (key: string) => (reads.count++, proposer.registers.read(key)) };
  const scanVersions = (prefix: string) => (reads.count++, proposer.scanVersions(prefix));
  /** Hint subscriptions open now (a real stream holds hub sockets with them). */
  const subscriptions = { open: 0 };
  const subscribed = () => {
    subscriptions.open++;
    return () => void subscriptions.open--;
  };
  const hints: HintSource = { subscribe: subscribed, subscribePrefix: subscribed };
  const waiting = { hints, clock, recheckMs: 5_000, ...limits };
  const routes = [...watchRoutes(registers, waiting), ...watchPrefixRoutes(registers, { ...waiting, scanVersions })];
  const app = createApp({ registers, maxValueBytes: config.maxValueBytes, routes });
  return { clock, advanceTo, app, reads, subscriptions };
}
