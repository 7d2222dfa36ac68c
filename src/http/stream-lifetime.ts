/**
 * How long a watch stream lives at most. workerd does not always tell a Worker that the client of a streamed response
 * has left (no cancel, no abort, the body still drained): such a stream would recheck the acceptors for as long as
 * the isolate lives. So every stream ends cleanly by a limit, whether or not its client is still there; a client still
 * there resumes from its last event's id (EventSource does so by itself), missing and repeating nothing.
 */
import { DEFAULT_WATCH_MAX_STREAM_MS } from "../config.js";

/**
 * A stream ends between (1 - LIFETIME_SPREAD) of the limit and the limit: streams opened together (after a deploy, a
 * network blip) come back spread over a minute instead of all at once.
 */
export const LIFETIME_SPREAD = 0.1;

/** What EventSource waits before reconnecting after a stream ends (sent as `retry:`); the typed client's default too. */
export const RECONNECT_MS = 1_000;

export interface StreamLimits {
  /** The longest a stream lives (BALLOT_WATCH_MAX_STREAM_MS); DEFAULT_WATCH_MAX_STREAM_MS when absent. */
  readonly maxStreamMs?: number;
  /** A number in [0, 1) that spreads each stream's lifetime (tests pin it); Math.random when absent. */
  readonly random?: () => number;
}

/** This stream's lifetime: in ((1 - LIFETIME_SPREAD) * max, max]. */
export function streamLifetimeMs(limits: StreamLimits): number {
  const max = limits.maxStreamMs ?? DEFAULT_WATCH_MAX_STREAM_MS;
  const random = limits.random ?? Math.random;
  return Math.max(1, Math.ceil(max * (1 - LIFETIME_SPREAD * random())));
}
