import { errorFromResponse } from "./errors.js";
import { reconnectingStream, type LongSend } from "./reconnecting-stream.js";
import { sseMessages, type SseMessage } from "./sse.js";

/** One state of a watched key (`GET /v1/watch/{key}`), from a linearizable read on the server. */
export type WatchEvent =
  | { readonly kind: "put"; readonly key: string; readonly version: number; readonly contentType: string; readonly value: Uint8Array }
  | { readonly kind: "delete"; readonly key: string; readonly version: number };

export interface WatchOptions {
  /** Resume after this version: only later states come (default 0: the current state first). */
  readonly since?: number;
  /** Stops the watch: the iterator then ends. */
  readonly signal?: AbortSignal;
  /** Pause before reconnecting after the stream ended or broke (default 1,000 ms). */
  readonly reconnectMs?: number;
}

export interface WaitForOptions {
  /** Answer once the key's version is above this one. */
  readonly version: number;
  /** Seconds the server holds the request at most (1 to 300, default 60). */
  readonly timeoutS?: number;
}

/** The answer of a blocking read: the key's state then (null when absent or deleted) and its version. */
export interface WaitResult {
  readonly version: number;
  readonly value: Uint8Array | null;
  readonly contentType: string | null;
  /** Whether the version is above the one waited for (false: the timeout passed first). */
  readonly changed: boolean;
}

export interface WatchApi {
  /**
   * The key's states as they change (`for await`): versions strictly increase, each a state the key really had;
   * versions in between may be skipped. A stream that ends or breaks is reopened from the last version seen (`Last-Event-ID`),
   * so no event repeats; a refusal (400, 401, 403) ends the iteration with its error.
   */
  watch(key: string, options?: WatchOptions): AsyncIterableIterator<WatchEvent>;
  /** A blocking read (`GET /v1/keys/{key}?wait=V&timeout=S`). */
  waitFor(key: string, options: WaitForOptions): Promise<WaitResult>;
}

export type { LongSend } from "./reconnecting-stream.js";

const encoder = new TextEncoder();

export function createWatchApi(send: LongSend, keyPath: (key: string) => string): WatchApi {
  async function waitFor(key: string, { version, timeoutS = 60 }: WaitForOptions): Promise<WaitResult> {
    const response = await send(`${keyPath(key)}?wait=${version}&timeout=${timeoutS}`, {}, { timeoutMs: timeoutS * 1000 + 15_000 });
    const current = Number(response.headers.get("x-ballot-version") ?? "NaN");
    if (response.status === 404 && Number.isSafeInteger(current)) {
      await response.body?.cancel();
      return { version: current, value: null, contentType: null, changed: current > version };
    }
    if (response.status !== 200) throw await errorFromResponse(response);
    return { version: current, value: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get("content-type"), changed: current > version };
  }

  async function* watch(key: string, options: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    let last = options.since ?? 0;
    const path = `/v1/watch/${keyPath(key).slice("/v1/keys/".length)}`;
    for await (const event of reconnectingStream(send, path, () => ({ "last-event-id": String(last) }), options, events)) {
      if (event.version <= last) continue;
      last = event.version;
      yield event;
    }
  }

  return { watch, waitFor };
}

/** The put and delete events of a key stream's body (comments and other events skipped). */
async function* events(body: ReadableStream<Uint8Array>): AsyncIterableIterator<WatchEvent> {
  for await (const message of sseMessages(body)) {
    const event = keyEvent(message);
    if (event !== null) yield event;
  }
}

/** A put or delete message as a WatchEvent; null for any other message. */
export function keyEvent({ event, data }: SseMessage): WatchEvent | null {
  if ((event !== "put" && event !== "delete") || data === "") return null;
  const d = JSON.parse(data) as { key: string; version: number; contentType?: string; value?: string; valueBase64?: string };
  if (event === "delete") return { kind: "delete", key: d.key, version: d.version };
  const value = d.value !== undefined ? encoder.encode(d.value) : Uint8Array.from(atob(d.valueBase64 ?? ""), (c) => c.charCodeAt(0));
  return { kind: "put", key: d.key, version: d.version, contentType: d.contentType ?? "application/octet-stream", value };
}
