import type { Clock } from "../core/ports.js";

/** A comment line at least this often keeps proxies and clients from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;

/** What a stream's producer gets: `send` one event's text; `end` the stream (its `stop` is then called). */
export interface EventSink {
  send(text: string): void;
  end(): void;
}

/**
 * A text/event-stream response: a `: watching` comment at once, then what `start` sends, with a `: heartbeat` comment
 * every HEARTBEAT_MS. `start` returns the function that stops its work, called once when the stream ends for any
 * reason: the client cancelled the body; the request's signal aborted (the client left: workerd says so with the
 * `enable_request_signal` compatibility flag); or nobody took a single chunk for two heartbeats in a row (a client
 * gone without either of those, e.g. before it read anything: its rechecks would otherwise run on forever).
 */
export function eventStreamResponse(request: Request, clock: Clock, start: (sink: EventSink) => () => void): Response {
  const encoder = new TextEncoder();
  let stop: (() => void) | null = null;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    const s = stop;
    stop = null;
    s?.();
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let enqueued = 0;
      const send = (text: string) => {
        if (ended) return;
        try {
          controller.enqueue(encoder.encode(text));
          enqueued++;
        } catch {
          end(); // the stream is closed: the client is gone
        }
      };
      /** Chunks the reader has taken so far (the rest wait in the queue; the high-water mark is one chunk). */
      const taken = () => enqueued - (1 - (controller.desiredSize ?? 1));
      send(": watching\n\n");
      stop = start({
        send,
        end: () => {
          end();
          try {
            controller.close();
          } catch {
            // Already closed.
          }
        },
      });
      if (ended) stop?.();
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
