import { errorFromResponse } from "./errors.js";

/** A request without the client's usual timeout (streams and blocking reads last long by design). */
export type LongSend = (path: string, headers: Record<string, string>, options: { signal?: AbortSignal; timeoutMs?: number }) => Promise<Response>;

export interface ReconnectOptions {
  readonly signal?: AbortSignal;
  /** Pause before reconnecting after the stream ended or broke (default 1,000 ms). */
  readonly reconnectMs?: number;
}

/**
 * The items `read` takes from an event stream at `path`, across reconnects: a stream that ends (the server ends every
 * stream by a lifetime) or breaks, a network error or a 5xx is reopened after `reconnectMs` with the `headers` of that
 * moment (they carry the resume point). A refusal
 * (4xx) ends the iteration with its error, as does an error `fatal` says is one; aborting `signal` ends it quietly.
 */
export async function* reconnectingStream<T>(
  send: LongSend,
  path: string,
  headers: () => Record<string, string>,
  options: ReconnectOptions,
  read: (body: ReadableStream<Uint8Array>) => AsyncIterable<T>,
  fatal: (error: unknown) => boolean = () => false,
): AsyncIterableIterator<T> {
  const stopped = () => options.signal?.aborted === true;
  while (!stopped()) {
    let response: Response | null = null;
    try {
      response = await send(path, { accept: "text/event-stream", ...headers() }, options.signal === undefined ? {} : { signal: options.signal });
    } catch {
      // No response: try again after the pause.
    }
    if (response !== null && response.status >= 400 && response.status < 500) throw await errorFromResponse(response);
    if (response?.status === 200 && response.body !== null) {
      try {
        yield* read(response.body);
      } catch (error) {
        if (fatal(error)) throw error;
        // The stream broke: reconnect from where it was (as when it ended).
      }
    } else {
      await response?.body?.cancel();
    }
    if (stopped()) return;
    await sleep(options.reconnectMs ?? 1000);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
