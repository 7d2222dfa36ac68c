import { BadRequest, BallotError, OutcomeUnknown, PreconditionFailed, Unavailable, errorFromResponse } from "./errors.js";
import { createLayoutApi, type LayoutApi } from "./layout.js";
import { createListApi, type ListApi } from "./list.js";
import { createLockApi, type LockApi } from "./lock.js";
import { createTxnApi, type TxnApi } from "./txn.js";
import { createWatchApi, type LongSend, type WatchApi } from "./watch.js";
import { createPrefixWatchApi, type PrefixWatchApi } from "./watch-prefix.js";

/** What the client needs of `fetch`: the global one, a service binding's, or a test's. Always called with a URL string. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Where the Ballot Worker answers, e.g. `https://ballot.example.workers.dev` (a path prefix is kept). */
  readonly baseUrl: string;
  /** A bearer token from the server's `BALLOT_TOKENS`. */
  readonly token?: string;
  /** Defaults to the global `fetch`. With a service binding: `(input, init) => env.BALLOT.fetch(input, init)`. */
  readonly fetch?: FetchLike;
  /**
   * Gives up on a request after this many ms (default 10,000; `Infinity` for never). The server answers within its
   * own deadline (4 s by default), so this only fires when the network loses the request. A timed-out change is
   * `OutcomeUnknown`, a timed-out read `Unavailable`.
   */
  readonly timeoutMs?: number;
}

/** A value as stored: its bytes (or decoded form), its version (the ETag) and its content type. */
export interface Entry<T = Uint8Array> {
  readonly value: T;
  readonly version: number;
  readonly contentType: string;
}

export type Value = Uint8Array | string;

export interface PutOptions {
  /** Compare-and-set: write only if the key is at this version (`If-Match`). */
  readonly ifVersion?: number;
  /** Create only: write only if the key does not exist (`If-None-Match: *`). */
  readonly ifAbsent?: boolean;
  /** Stored and returned with the value. Defaults: `text/plain; charset=utf-8` for strings, `application/octet-stream` for bytes. */
  readonly contentType?: string;
}

export interface PutResult {
  readonly version: number;
  /** True when the key did not exist before this write. */
  readonly created: boolean;
}

export interface DeleteOptions {
  /** Delete only if the key is at this version. */
  readonly ifVersion?: number;
}

export interface UpdateOptions {
  /** Content type of the written value (default as for `put`). */
  readonly contentType?: string;
  /** How many read-modify-CAS attempts before giving up with the last `PreconditionFailed` (default 10). */
  readonly maxAttempts?: number;
  /** First backoff ceiling in ms after a lost race; doubles per attempt, full jitter (default 10). */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in ms (default 1000). */
  readonly maxDelayMs?: number;
}

/** What `update` did: `written` false when `fn` returned undefined (then `entry` is the value it saw). */
export interface UpdateResult<T = Uint8Array> {
  readonly written: boolean;
  readonly entry: Entry<T> | null;
  /** How many attempts it took (1 when there was no race). */
  readonly attempts: number;
}

/** Computes the next value from the current entry (`null` when absent); `undefined` writes nothing. */
export type Updater<T, R = T> = (current: Entry<T> | null) => R | undefined | Promise<R | undefined>;

export interface BallotClient extends LockApi, LayoutApi, ListApi, WatchApi, PrefixWatchApi, TxnApi {
  /** The key's value, or `null` when it does not exist. */
  get(key: string): Promise<Entry<Uint8Array> | null>;
  /** The key's value decoded as UTF-8 text, or `null`. */
  getText(key: string): Promise<Entry<string> | null>;
  /** The key's value parsed as JSON, or `null`. */
  getJSON<T = unknown>(key: string): Promise<Entry<T> | null>;
  put(key: string, value: Value, options?: PutOptions): Promise<PutResult>;
  /** Stores `JSON.stringify(value)` as `application/json`. */
  putJSON(key: string, value: unknown, options?: Omit<PutOptions, "contentType">): Promise<PutResult>;
  /** Deletes the key; `NotFound` if it does not exist (`PreconditionFailed` with `ifVersion`). */
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /** Adds `by` (default 1) to a decimal integer value (an absent key counts as 0). Not idempotent. */
  increment(key: string, by?: number): Promise<{ readonly value: number; readonly version: number }>;
  /**
   * Read-modify-write: reads the key, applies `fn` and writes the result only if the key is still at the version
   * read (`If-Match`, or `If-None-Match: *` when absent). On a lost race it backs off with jitter and tries again,
   * at most `maxAttempts` times. `fn` may return undefined to write nothing. `fn` may run more than once.
   */
  update(key: string, fn: Updater<Uint8Array, Value>, options?: UpdateOptions): Promise<UpdateResult<Uint8Array>>;
  /** `update` over JSON values. */
  updateJSON<T = unknown>(key: string, fn: Updater<T>, options?: Omit<UpdateOptions, "contentType">): Promise<UpdateResult<T>>;
  /**
   * Which acceptors of each shard (or of one) answer, and how fast. Resolves for a degraded or unavailable cluster
   * too (`status` says which); throws only when the health route itself fails.
   */
  health(options?: { shard?: number }): Promise<Health>;
}

/** The answer of `GET /v1/health`. */
export interface Health {
  /** "ok": every acceptor answered; "degraded": some did not, every shard has a majority; "unavailable": a shard has none. */
  readonly status: "ok" | "degraded" | "unavailable";
  /** N, and the majority every change needs. */
  readonly acceptors: number;
  readonly majority: number;
  readonly shards: readonly {
    readonly shard: number;
    readonly reachable: number;
    readonly majority: boolean;
    readonly acceptors: readonly { readonly index: number; readonly ok: boolean; readonly latencyMs: number; readonly locationHint: string | null; readonly error?: string }[];
  }[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const OCTETS = "application/octet-stream";
const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";

/** A typed client of the Ballot HTTP API. Uses only `fetch`, `URL`, `TextEncoder`/`TextDecoder`: Workers, Node 20+, browsers. */
export function createClient(options: ClientOptions): BallotClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError(`baseUrl must be http(s), got ${options.baseUrl}`);
  const prefix = base.origin + base.pathname.replace(/\/+$/, "");
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const auth: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new TypeError("timeoutMs must be positive");

  /** Sends one request; a request that got no response is Unavailable for a read, OutcomeUnknown for a change. */
  async function send(method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<Response> {
    const init: RequestInit = { method, headers: { ...auth, ...headers } };
    if (Number.isFinite(timeoutMs)) init.signal = AbortSignal.timeout(timeoutMs);
    if (body !== undefined) init.body = body as Uint8Array<ArrayBuffer>;
    try {
      return await doFetch(prefix + path, init);
    } catch (cause) {
      const message = `no response from Ballot: ${cause instanceof Error ? cause.message : String(cause)}`;
      if (method === "GET" || method === "HEAD") throw new Unavailable(message, "network_error", 0, {}, 1, { cause });
      throw new OutcomeUnknown(message, "network_error", 0, {}, { cause });
    }
  }

  async function get(key: string): Promise<Entry<Uint8Array> | null> {
    const response = await send("GET", keyPath(key), {});
    if (response.status === 404) {
      const error = await errorFromResponse(response);
      if (error.code === "not_found") return null;
      throw error;
    }
    if (response.status !== 200) throw await errorFromResponse(response);
    return {
      value: new Uint8Array(await response.arrayBuffer()),
      version: versionOf(response),
      contentType: response.headers.get("content-type") ?? OCTETS,
    };
  }

  async function put(key: string, value: Value, opts: PutOptions = {}): Promise<PutResult> {
    const headers: Record<string, string> = { "content-type": opts.contentType ?? (typeof value === "string" ? TEXT : OCTETS) };
    if (opts.ifVersion !== undefined && opts.ifAbsent) throw new TypeError("ifVersion and ifAbsent exclude each other");
    if (opts.ifVersion !== undefined) headers["if-match"] = etag(opts.ifVersion);
    if (opts.ifAbsent) headers["if-none-match"] = "*";
    const response = await send("PUT", keyPath(key), headers, bytes(value));
    if (response.status !== 200 && response.status !== 201) throw await errorFromResponse(response);
    const body = (await response.json()) as { version: number };
    return { version: body.version, created: response.status === 201 };
  }

  async function remove(key: string, opts: DeleteOptions = {}): Promise<void> {
    const headers: Record<string, string> = opts.ifVersion === undefined ? {} : { "if-match": etag(opts.ifVersion) };
    const response = await send("DELETE", keyPath(key), headers);
    if (response.status !== 204) throw await errorFromResponse(response);
  }

  async function increment(key: string, by = 1): Promise<{ value: number; version: number }> {
    if (!Number.isSafeInteger(by)) throw new TypeError("by must be a safe integer");
    const response = await send("POST", keyPath(key) + "/increment", { "content-type": JSON_TYPE }, encoder.encode(JSON.stringify({ by })));
    if (response.status !== 200) throw await errorFromResponse(response);
    return (await response.json()) as { value: number; version: number };
  }

  async function updateWith<T, R>(
    key: string,
    fn: Updater<T, R>,
    read: (key: string) => Promise<Entry<T> | null>,
    encode: (value: R) => Value,
    written: (next: R, value: Value) => T,
    options: UpdateOptions,
  ): Promise<UpdateResult<T>> {
    const maxAttempts = options.maxAttempts ?? 10;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError("maxAttempts must be a positive integer");
    const baseDelay = options.baseDelayMs ?? 10;
    const maxDelay = options.maxDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      const current = await read(key);
      const next = await fn(current);
      if (next === undefined) return { written: false, entry: current, attempts: attempt };
      const value = encode(next);
      const contentType = options.contentType ?? (typeof value === "string" ? TEXT : OCTETS);
      try {
        const condition = current === null ? { ifAbsent: true } : { ifVersion: current.version };
        const { version } = await put(key, value, { ...condition, contentType });
        return { written: true, entry: { value: written(next, value), version, contentType }, attempts: attempt };
      } catch (error) {
        if (!(error instanceof PreconditionFailed) || attempt >= maxAttempts) throw error;
      }
      // Lost a race: full jitter over an exponentially growing ceiling.
      const ceiling = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }

  const getText = async (key: string): Promise<Entry<string> | null> => {
    const entry = await get(key);
    return entry === null ? null : { ...entry, value: decoder.decode(entry.value) };
  };
  const getJSON = async <T>(key: string): Promise<Entry<T> | null> => {
    const entry = await getText(key);
    if (entry === null) return null;
    try {
      return { ...entry, value: JSON.parse(entry.value) as T };
    } catch (cause) {
      throw new BallotError(`the value of ${JSON.stringify(key)} is not JSON`, "invalid_json_value", 200, {}, { cause });
    }
  };

  async function health(opts: { shard?: number } = {}): Promise<Health> {
    const response = await send("GET", opts.shard === undefined ? "/v1/health" : `/v1/health?shard=${opts.shard}`, {});
    if (response.status === 503 && response.headers.get("content-type")?.startsWith("application/json")) {
      // 503 with a report is the health answer for an unavailable shard; a 503 without one is a failure of its own.
      const body = (await response.clone().json().catch(() => null)) as Health | null;
      if (body !== null && body.status === "unavailable") return body;
    }
    if (response.status !== 200) throw await errorFromResponse(response);
    return (await response.json()) as Health;
  }

  /** A request that may last long (a watch stream, a blocking read): its own timeout, or none but the signal. */
  const sendLong: LongSend = async (path, headers, opts) => {
    const init: RequestInit = { method: "GET", headers: { ...auth, ...headers } };
    const signals = [opts.signal, opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs)].filter((x): x is AbortSignal => x !== undefined);
    if (signals.length > 0) init.signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    try {
      return await doFetch(prefix + path, init);
    } catch (cause) {
      throw new Unavailable(`no response from Ballot: ${cause instanceof Error ? cause.message : String(cause)}`, "network_error", 0, {}, 1, { cause });
    }
  };

  return {
    ...createLockApi(send),
    ...createWatchApi(sendLong, keyPath),
    ...createPrefixWatchApi(sendLong),
    ...createLayoutApi(send),
    ...createListApi(send),
    ...createTxnApi(send),
    health,
    get,
    getText,
    getJSON,
    put,
    putJSON: (key, value, opts = {}) => put(key, JSON.stringify(value), { ...opts, contentType: JSON_TYPE }),
    delete: remove,
    increment,
    update: (key, fn, opts = {}) => updateWith<Uint8Array, Value>(key, fn, get, (v) => v, (_, v) => bytes(v), opts),
    updateJSON: <T>(key: string, fn: Updater<T>, opts: Omit<UpdateOptions, "contentType"> = {}) =>
      updateWith<T, T>(key, fn, getJSON, (v) => JSON.stringify(v), (next) => next, { ...opts, contentType: JSON_TYPE }),
  };
}

/** `/v1/keys/{key}`, the key percent-encoded as one path segment. */
export function keyPath(key: string): string {
  if (key === "" || key === "." || key === "..") {
    // URL parsing resolves "." and ".." (even percent-encoded) before the server sees them.
    throw new BadRequest(`the key ${JSON.stringify(key)} cannot be used`, "invalid_key", 0);
  }
  return `/v1/keys/${encodeURIComponent(key)}`;
}

function etag(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new TypeError("a version is a non-negative safe integer");
  return `"${version}"`;
}

function versionOf(response: Response): number {
  const match = /^"(\d+)"$/.exec(response.headers.get("etag") ?? "");
  if (match === null) throw new BallotError("the response has no version (ETag)", "invalid_response", response.status);
  return Number(match[1]);
}

function bytes(value: Value): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
