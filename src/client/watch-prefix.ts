import { BadRequest } from "./errors.js";
import { reconnectingStream, type LongSend } from "./reconnecting-stream.js";
import { sseMessages } from "./sse.js";
import { keyEvent, type WatchEvent } from "./watch.js";

/**
 * What a prefix watch yields: each key's states (as `watch`), `synced` once every key under the prefix was sent,
 * and `reset` when a resumed stream could not say what the watcher already holds: the states that follow, up to the
 * next `synced`, are then the whole prefix again (a key not among them was deleted meanwhile).
 */
export type PrefixWatchEvent = WatchEvent | { readonly kind: "synced"; readonly keys: number } | { readonly kind: "reset" };

export interface PrefixWatchOptions {
  /** Resume after the event with this id (`lastId` of an earlier watch), instead of starting with every key. */
  readonly since?: string;
  readonly signal?: AbortSignal;
  /** Pause before reconnecting after the stream ended or broke (default 1,000 ms). */
  readonly reconnectMs?: number;
}

export interface PrefixWatchApi {
  /**
   * Every key under `prefix` (`GET /v1/watch?prefix=`), as a `for await` iterator: a `put` per live key, `synced`,
   * then each change. Per key, versions strictly increase and each event is a state the key really had. A stream
   * that ends or breaks is reopened from the last event's id (and yields `synced` again), so nothing is missed and
   * nothing repeats (or, for a watcher holding more keys than an id can name, a `reset` and the whole prefix again).
   * A refusal (400, 401, 403) or a prefix with more keys than a watch follows (`too_many_keys`) ends the iteration
   * with its error. `onId` gets every id, for resuming in another process with `since`.
   */
  watchPrefix(prefix: string, options?: PrefixWatchOptions & { readonly onId?: (id: string) => void }): AsyncIterableIterator<PrefixWatchEvent>;
}

export function createPrefixWatchApi(send: LongSend): PrefixWatchApi {
  async function* watchPrefix(prefix: string, options: PrefixWatchOptions & { readonly onId?: (id: string) => void } = {}): AsyncIterableIterator<PrefixWatchEvent> {
    let last = options.since;
    const path = `/v1/watch?${new URLSearchParams({ prefix })}`;
    const headers = (): Record<string, string> => (last === undefined ? {} : { "last-event-id": last });
    const read = async function* (body: ReadableStream<Uint8Array>): AsyncIterableIterator<PrefixWatchEvent> {
      for await (const message of sseMessages(body)) {
        if (message.event === "error") {
          const { error } = JSON.parse(message.data) as { error: { code: string; message: string } };
          throw new BadRequest(error.message, error.code, 200);
        }
        const event: PrefixWatchEvent | null =
          message.event === "synced"
            ? { kind: "synced", keys: (JSON.parse(message.data) as { keys: number }).keys }
            : message.event === "reset"
              ? { kind: "reset" }
              : keyEvent(message);
        if (message.id !== undefined) {
          last = message.id;
          options.onId?.(message.id);
        }
        if (event !== null) yield event;
      }
    };
    yield* reconnectingStream(send, path, headers, options, read, (error) => error instanceof BadRequest);
  }
  return { watchPrefix };
}
