import type { Clock, Random, Timer } from "../core/ports.js";

/** The real clock of a Worker. Workers advance Date.now() only across I/O, which is all a proposer needs. */
export const systemClock: Clock = {
  now: () => Date.now(),
  timer(ms: number): Timer {
    let handle: ReturnType<typeof setTimeout> | undefined;
    const fired = new Promise<void>((resolve) => {
      handle = setTimeout(resolve, ms);
    });
    return { fired, cancel: () => clearTimeout(handle) };
  },
};

export const systemRandom: Random = { next: () => Math.random() };

/** `promise`, or a rejection once `ms` pass without it settling (for calls that may never answer). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(handle));
}
