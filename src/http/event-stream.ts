import type { Clock, Timer } from "../core/ports.js";
import { RECONNECT_MS, streamLifetimeMs, type StreamLimits } from "./stream-lifetime.js";

/** A comment line at least this often keeps proxies and clients from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;

/** The first bytes of every stream: a comment, and how long EventSource should wait before it reconnects. */
export const OPENING = `: watching\nretry: ${RECONNECT_MS}\n\n`;

/** The last bytes of a stream whose lifetime is up: a comment for people reading with curl (EventSource ignores it). */
export const LIFETIME_END = ": reconnect: this stream's time is up; resume with Last-Event-ID\n\n";

/** What a stream's producer gets: `send` one event's text; `end` the stream (its `stop` is then called). */
export interface EventSink {
  send(text: string): void;
  end(): void;
}

export interface EventStreamSettings extends StreamLimits {
  readonly clock: Clock;
}

/**
 * A text/event-stream response: OPENING at once, then what `start` sends, with a `: heartbeat` comment every
 * HEARTBEAT_MS. `start` returns the function that stops its work, called once when the stream ends for any reason:
 * its producer ended it; its lifetime is up (stream-lifetime.ts: it then sends LIFETIME_END and closes, and the client
 * resumes from its last id); the client cancelled the body; the request's signal aborted (the client left, as workerd
 * says with the `enable_request_signal` compatibility flag); or nobody took a single chunk for two heartbeats in a
 * row. The lifetime is the bound that holds when workerd reports none of the others (a client gone while the stream's
 * hub sockets keep its request alive, and the body still drained).
 */
export function eventStreamResponse(request: Request, settings: EventStreamSettings, start: (sink: EventSink) => () => void): Response {
  const { clock } = settings;
  const encoder = new TextEncoder();
  let stop: (() => void) | null = null;
  let lifetime: Timer | null = null;
  let ended = false;
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** Stops the work and closes the body (what was queued still goes out: a slow reader gets a clean end and resumes). */
  const end = () => {
    if (ended) return;
    ended = true;
    lifetime?.cancel();
    const s = stop;
    stop = null;
    s?.();
    try {
      controller?.close();
    } catch {
      // Already closed or cancelled.
    }
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      let enqueued = 0;
      const send = (text: string) => {
        if (ended) return;
        try {
          c.enqueue(encoder.encode(text));
          enqueued++;
        } catch {
          end(); // the stream is closed: the client is gone
        }
      };
      /** Chunks the reader has taken so far (the rest wait in the queue; the high-water mark is one chunk). */
      const taken = () => enqueued - (1 - (c.desiredSize ?? 1));
      send(OPENING);
      stop = start({ send, end });
      if (ended) {
        stop?.();
        return;
      }
      lifetime = clock.timer(streamLifetimeMs(settings));
      void lifetime.fired.then(() => {
        send(LIFETIME_END);
        end();
      });
      request.signal?.addEventListener("abort", end);
      if (request.signal?.aborted) end();
      void (async () => {
        let stalls = 0;
        let before = taken();
        while (!ended) {
          await clock.timer(HEARTBEAT_MS).fired;
          if (ended) return;
          const now = taken();
          stalls = now === before && now < enqueued ? stalls + 1 : 0;
          before = now;
          if (stalls >= 2) return end();
          send(": heartbeat\n\n");
        }
      })();
    },
    cancel() {
      end();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
  });
}
