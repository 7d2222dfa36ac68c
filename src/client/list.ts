import { errorFromResponse } from "./errors.js";
import type { Send } from "./lock.js";

/** One key of a listing: the state a linearizable read found during the call. */
export interface ListedKey {
  readonly key: string;
  readonly version: number;
  readonly contentType: string;
  /** The value's length in bytes. */
  readonly bytes: number;
  /** The value, when listed with `values: true`. */
  readonly value?: Uint8Array;
}

/** One page of `GET /v1/keys`. */
export interface KeyPage {
  readonly keys: readonly ListedKey[];
  /** Pass as `after` for the next page; null when the listing is complete. */
  readonly next: string | null;
}

export interface ListOptions {
  /** Only keys starting with this (default: every key the token may read). */
  readonly prefix?: string;
  /** Keys after this one (exclusive): a page's `next`. */
  readonly after?: string;
  /** Entries per page, 1 to 1,000 (default 100). */
  readonly limit?: number;
  /** Include the values (the server then ends a page before 1 MiB of values). */
  readonly values?: boolean;
}

export interface ListApi {
  /** One page of keys under a prefix, in key order (UTF-8 bytes); deleted keys are not listed. */
  listPage(options?: ListOptions): Promise<KeyPage>;
  /**
   * Every key under a prefix, in key order, fetched a page at a time as the loop goes on (`for await`). Each entry
   * is a state its key had while its page was read; the whole is not a snapshot across keys.
   */
  list(options?: ListOptions): AsyncIterableIterator<ListedKey>;
}

interface WireKey {
  key: string;
  version: number;
  contentType: string;
  bytes: number;
  value?: string;
  valueBase64?: string;
}

const encoder = new TextEncoder();

export function createListApi(send: Send): ListApi {
  async function listPage(options: ListOptions = {}): Promise<KeyPage> {
    const query = new URLSearchParams();
    if (options.prefix !== undefined && options.prefix !== "") query.set("prefix", options.prefix);
    if (options.after !== undefined) query.set("after", options.after);
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.values === true) query.set("values", "true");
    const search = query.toString();
    const response = await send("GET", search === "" ? "/v1/keys" : `/v1/keys?${search}`, {});
    if (response.status !== 200) throw await errorFromResponse(response);
    const body = (await response.json()) as { keys: WireKey[]; next: string | null };
    return { keys: body.keys.map(fromWire), next: body.next };
  }

  async function* list(options: ListOptions = {}): AsyncIterableIterator<ListedKey> {
    let after = options.after;
    for (;;) {
      const page = await listPage(after === undefined ? options : { ...options, after });
      yield* page.keys;
      if (page.next === null) return;
      after = page.next;
    }
  }

  return { listPage, list };
}

function fromWire({ key, version, contentType, bytes, value, valueBase64 }: WireKey): ListedKey {
  const entry = { key, version, contentType, bytes };
  if (value !== undefined) return { ...entry, value: encoder.encode(value) };
  if (valueBase64 !== undefined) return { ...entry, value: Uint8Array.from(atob(valueBase64), (c) => c.charCodeAt(0)) };
  return entry;
}
