import { z } from "@hono/zod-openapi";
import type { Clock } from "../core/ports.js";
import type { Registers } from "../core/proposer.js";
import type { Register } from "../core/register.js";
import { KeyFeed, type KeyEvent } from "../core/watch/key-feed.js";
import type { HintSource } from "../core/watch/hints.js";
import { ApiError } from "./errors.js";
import { validate } from "./validation.js";

/** A blocking read waits this long unless `timeout` says otherwise, and at most MAX_WAIT_S. */
export const DEFAULT_WAIT_S = 60;
export const MAX_WAIT_S = 300;

const WAIT = { error: '"wait" must be a non-negative integer (a version)' };
const TIMEOUT = { error: `"timeout" must be an integer number of seconds from 1 to ${MAX_WAIT_S}` };

/** The query of a blocking read (`GET /v1/keys/{key}?wait=V&timeout=S`); other parameters are ignored, as a GET always did. */
export const WaitQuery = z.object({
  wait: z
    .string()
    .regex(/^\d{1,16}$/, WAIT)
    .refine((raw) => Number.isSafeInteger(Number(raw)), WAIT)
    .optional()
    .openapi({
      param: { name: "wait", in: "query" },
      description: "A blocking read: answer as soon as the key's version is above this one (a deleted key: 404 with its `version`), or at the timeout with the current state.",
      type: "integer",
      minimum: 0,
      example: 0,
    }),
  timeout: z
    .string()
    .regex(/^\d{1,3}$/, TIMEOUT)
    .refine((raw) => Number(raw) >= 1 && Number(raw) <= MAX_WAIT_S, TIMEOUT)
    .optional()
    .openapi({
      param: { name: "timeout", in: "query" },
      description: `With \`wait\`: seconds to wait at most (default ${DEFAULT_WAIT_S}).`,
      type: "integer",
      minimum: 1,
      maximum: MAX_WAIT_S,
      example: 1,
    }),
});

export interface WaitSettings {
  readonly hints: HintSource;
  readonly clock: Clock;
  /** With no hint, the key is read again this often: a lost hint delays the answer by at most about this. */
  readonly recheckMs: number;
}

/** `{wait, timeoutMs}` of a request, or null for a plain read (no `wait`). 400 invalid_argument for a bad value. */
export function waitOf(url: URL): { readonly wait: number; readonly timeoutMs: number } | null {
  const params = url.searchParams;
  if (!params.has("wait") && !params.has("timeout")) return null;
  for (const name of ["wait", "timeout"]) {
    if (params.getAll(name).length > 1) throw new ApiError(400, "invalid_argument", `"${name}" is given more than once`);
  }
  const query = validate(WaitQuery, { wait: params.get("wait") ?? undefined, timeout: params.get("timeout") ?? undefined });
  if (query.wait === undefined) throw new ApiError(400, "invalid_argument", '"timeout" is only for a blocking read: give "wait" too');
  return { wait: Number(query.wait), timeoutMs: (query.timeout === undefined ? DEFAULT_WAIT_S : Number(query.timeout)) * 1000 };
}

/** How often a waiter looks at its mailbox of hints (see waitForVersion). */
export const HINT_TICK_MS = 50;

/**
 * Waits until a linearizable read of `key` finds a version above `since` (its state), or `timeoutMs` passes (null).
 * Every read is the proposer's `read` through a KeyFeed: a hint only makes it read sooner.
 *
 * A hint may come from another request's context (the PUT that chose the change): workerd runs what that request
 * triggers in its own context, and cancels its I/O when it ends. So a hint only fills a mailbox; a timer of this
 * request empties it every HINT_TICK_MS and reads in this request's context (a timer costs no I/O and no CPU to speak of).
 */
export function waitForVersion(registers: Pick<Registers, "read">, key: string, since: number, timeoutMs: number, settings: WaitSettings): Promise<Register | null> {
  return new Promise((resolve) => {
    const timer = settings.clock.timer(timeoutMs);
    const finish = (state: Register | null) => {
      stop();
      timer.cancel();
      resolve(state);
    };
    const stop = watchKey(registers, key, since, settings, (event) => finish(event.state));
    void timer.fired.then(() => finish(null));
  });
}

/**
 * The states of `key` above `since`, as a KeyFeed emits them (each from a linearizable read), until the returned
 * function is called: hinted by `settings.hints` through a mailbox drained by this request's own timer (see above),
 * and rechecked every `settings.recheckMs`.
 */
export function watchKey(registers: Pick<Registers, "read">, key: string, since: number, settings: WaitSettings, emit: (event: KeyEvent) => void): () => void {
  let done = false;
  let hinted = 0;
  const feed = new KeyFeed(key, registers, settings.clock, (event) => {
    if (!done) emit(event);
  }, { recheckMs: settings.recheckMs, since });
  const unsubscribe = settings.hints.subscribe(key, (version) => {
    hinted = Math.max(hinted, version);
  });
  const tick = async () => {
    while (!done) {
      await settings.clock.timer(HINT_TICK_MS).fired;
      if (hinted > 0 && !done) {
        feed.hint(hinted);
        hinted = 0;
      }
    }
  };
  feed.start();
  void tick();
  return () => {
    if (done) return;
    done = true;
    feed.stop();
    unsubscribe();
  };
}
