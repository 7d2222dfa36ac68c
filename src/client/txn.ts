import type { Entry, Value } from "./client.js";
import { BallotError, OutcomeUnknown, Unavailable, errorFromResponse } from "./errors.js";
import type { Send } from "./lock.js";

/**
 * Multi-key transactions (`POST /v1/txn`), as etcd's `txn().If(...).Then(...).Else(...).Commit()`: comparisons, then
 * the success ops if every comparison holds, else the failure ops, all at one point in time.
 *
 * The branches are `onSuccess` / `onFailure`, not `then` / `else`: an object with a `then` method is a thenable, and
 * `await`ing or returning the builder from an async function would call it as one.
 */

/** A comparison on one key: exactly one of `version`, `exists` and `value`. */
export type TxnCondition =
  /** The key is live at exactly this version; 0: it is absent (or deleted). */
  | { readonly version: number; readonly exists?: never; readonly value?: never }
  /** The key is live (true), or absent or deleted (false). */
  | { readonly exists: boolean; readonly version?: never; readonly value?: never }
  /** The key is live and holds exactly these bytes (a string: its UTF-8). */
  | { readonly value: Value; readonly version?: never; readonly exists?: never };

/** What a `get` read: the key's state at the transaction's point in time. */
export interface TxnRead<T = Uint8Array> {
  readonly op: "get";
  readonly key: string;
  /** The key's version; for an absent key 0, for a deleted one its delete's version. */
  readonly version: number;
  /** `null` when the key is absent or deleted. */
  readonly value: T | null;
  /** `null` when the key is absent or deleted. */
  readonly contentType: string | null;
}

/** What a `put` or `delete` did: the key's version after it (a delete of an absent key changes nothing). */
export interface TxnWrite {
  readonly op: "put" | "delete";
  readonly key: string;
  readonly version: number;
}

/** What an `increment` did: the new value and version, as `increment` answers. */
export interface TxnCount {
  readonly op: "increment";
  readonly key: string;
  readonly version: number;
  readonly value: number;
}

/** One op's result; `op` tells which. */
export type TxnOpResult = TxnRead<unknown> | TxnWrite | TxnCount;

/**
 * The ops of one branch, built by chaining: each call returns a new builder with one more op (and, in its type, one
 * more result). A key may appear at most once among the ops of one branch.
 */
export interface TxnOps<R extends readonly TxnOpResult[] = []> {
  /** Reads the key (its value as bytes). */
  get(key: string): TxnOps<[...R, TxnRead<Uint8Array>]>;
  /** Reads the key, its value decoded as UTF-8 text. */
  getText(key: string): TxnOps<[...R, TxnRead<string>]>;
  /** Reads the key, its value parsed as JSON. */
  getJSON<T = unknown>(key: string): TxnOps<[...R, TxnRead<T>]>;
  /** Writes the key; content type as for the client's `put` (text for a string, octets for bytes). */
  put(key: string, value: Value, options?: { readonly contentType?: string }): TxnOps<[...R, TxnWrite]>;
  /** Writes `JSON.stringify(value)` as `application/json`. */
  putJSON(key: string, value: unknown): TxnOps<[...R, TxnWrite]>;
  /** Deletes the key (nothing happens to an absent one). */
  delete(key: string): TxnOps<[...R, TxnWrite]>;
  /** Adds `by` (default 1) to a decimal integer value (absent counts as 0); a non-integer fails the whole transaction (`Conflict`, `not_integer`). */
  increment(key: string, by?: number): TxnOps<[...R, TxnCount]>;
}

/** The answer of `commit`: which branch ran, and one result per op of that branch, in order. */
export type TxnResult<S extends readonly TxnOpResult[] = TxnOpResult[], F extends readonly TxnOpResult[] = TxnOpResult[]> =
  | { readonly succeeded: true; readonly results: S; readonly txnId: string | null }
  | { readonly succeeded: false; readonly results: F; readonly txnId: string | null };

/**
 * A transaction being built. Immutable: every call returns a new one. Nothing is sent before `commit`.
 *
 * ```ts
 * const r = await ballot.txn()
 *   .compare("acct/a", { version: 3 })
 *   .onSuccess((t) => t.increment("acct/a", -5).increment("acct/b", 5))
 *   .onFailure((t) => t.get("acct/a"))
 *   .commit();
 * if (r.succeeded) r.results[0].value; // number: acct/a's new balance
 * else r.results[0].version;           // what acct/a is at now
 * ```
 */
export interface Txn<S extends readonly TxnOpResult[] = [], F extends readonly TxnOpResult[] = []> {
  /** Adds a comparison; the success ops run only if every comparison holds. */
  compare(key: string, condition: TxnCondition): Txn<S, F>;
  /** Adds the ops to run when every comparison holds (all of them when there is none). */
  onSuccess<R extends readonly TxnOpResult[]>(ops: (t: TxnOps) => TxnOps<R>): Txn<[...S, ...R], F>;
  /** Adds the ops to run when a comparison does not hold. */
  onFailure<R extends readonly TxnOpResult[]>(ops: (t: TxnOps) => TxnOps<R>): Txn<S, [...F, ...R]>;
  /** The request body `commit` sends (`JSON.stringify(txn)` gives it too). */
  toJSON(): TxnRequestBody;
  /**
   * Sends the transaction. `succeeded: false` is an answer, not an error. Throws as the other calls do:
   * `Unavailable` (503: definitely not applied, safe to retry), `OutcomeUnknown` (504 or no answer: maybe applied,
   * read the keys before retrying), `Conflict` (409 `not_integer` / `overflow`: nothing changed, `details.key` names
   * the increment), `BadRequest` (400, 413), `Forbidden` (403). Never retried automatically. A transaction of
   * reads only that gets no answer is `Unavailable`, as a read is.
   */
  commit(): Promise<TxnResult<S, F>>;
}

/** The wire form of a transaction, the body of `POST /v1/txn`. */
export interface TxnRequestBody {
  readonly compare: readonly TxnWireCompare[];
  readonly success: readonly TxnWireOp[];
  readonly failure: readonly TxnWireOp[];
}

export type TxnWireCompare =
  | { readonly key: string; readonly version: number }
  | { readonly key: string; readonly exists: boolean }
  | { readonly key: string; readonly value: string }
  | { readonly key: string; readonly valueBase64: string };

export type TxnWireOp =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "put"; readonly key: string; readonly value: string; readonly contentType: string }
  | { readonly op: "put"; readonly key: string; readonly valueBase64: string; readonly contentType: string }
  | { readonly op: "delete"; readonly key: string }
  | { readonly op: "increment"; readonly key: string; readonly by: number };

export interface TxnApi {
  /** Starts building a multi-key transaction; see `Txn`. */
  txn(): Txn;
  /**
   * Reads several keys at one point in time (a transaction of gets): the entries in the order of `keys`, `null`
   * for an absent key. At most 64 distinct keys; a key given twice is read once.
   */
  getMany(keys: readonly string[]): Promise<(Entry<Uint8Array> | null)[]>;
}

/** A result as the server sends it. */
interface WireResult {
  key: string;
  version: number;
  contentType?: string;
  value?: string | null;
  valueBase64?: string;
}

type Decode = (raw: WireResult) => TxnOpResult;

interface Branch {
  readonly ops: readonly TxnWireOp[];
  readonly decoders: readonly Decode[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const OCTETS = "application/octet-stream";
const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";
const EMPTY: Branch = { ops: [], decoders: [] };

class Ops implements TxnOps<TxnOpResult[]> {
  constructor(readonly branch: Branch) {}

  private with(op: TxnWireOp, decode: Decode): Ops {
    return new Ops({ ops: [...this.branch.ops, op], decoders: [...this.branch.decoders, decode] });
  }

  get(key: string) {
    return this.with({ op: "get", key: checkKey(key) }, (raw) => read(raw, bytesOf(raw)));
  }
  getText(key: string) {
    return this.with({ op: "get", key: checkKey(key) }, (raw) => read(raw, textOf(raw)));
  }
  getJSON(key: string) {
    return this.with({ op: "get", key: checkKey(key) }, (raw) => {
      const text = textOf(raw);
      if (text === null) return read<unknown>(raw, null);
      try {
        return read(raw, JSON.parse(text) as unknown);
      } catch (cause) {
        throw new BallotError(`the value of ${JSON.stringify(raw.key)} is not JSON`, "invalid_json_value", 200, {}, { cause });
      }
    });
  }
  put(key: string, value: Value, options: { readonly contentType?: string } = {}) {
    const contentType = options.contentType ?? (typeof value === "string" ? TEXT : OCTETS);
    const wire: TxnWireOp =
      typeof value === "string" ? { op: "put", key: checkKey(key), value, contentType } : { op: "put", key: checkKey(key), valueBase64: toBase64(value), contentType };
    return this.with(wire, (raw) => ({ op: "put", key: raw.key, version: raw.version }));
  }
  putJSON(key: string, value: unknown) {
    return this.put(key, JSON.stringify(value), { contentType: JSON_TYPE });
  }
  delete(key: string) {
    return this.with({ op: "delete", key: checkKey(key) }, (raw) => ({ op: "delete", key: raw.key, version: raw.version }));
  }
  increment(key: string, by = 1) {
    if (!Number.isSafeInteger(by)) throw new TypeError("by must be a safe integer");
    return this.with({ op: "increment", key: checkKey(key), by }, (raw) => {
      const text = textOf(raw);
      const value = text === null || !/^-?\d+$/.test(text.trim()) ? NaN : Number(text);
      if (!Number.isSafeInteger(value)) throw invalidResponse(`the increment of ${JSON.stringify(raw.key)} answered no integer`);
      return { op: "increment", key: raw.key, version: raw.version, value };
    });
  }
}

interface TxnState {
  readonly compare: readonly TxnWireCompare[];
  readonly success: Branch;
  readonly failure: Branch;
}

/** The transaction calls of the client, over the same request function as the key calls. */
export function createTxnApi(send: Send): TxnApi {
  async function commit(state: TxnState): Promise<TxnResult> {
    const body = bodyOf(state);
    const readOnly = [...body.success, ...body.failure].every((op) => op.op === "get");
    let response: Response;
    try {
      response = await send("POST", "/v1/txn", { "content-type": JSON_TYPE }, encoder.encode(JSON.stringify(body)));
    } catch (error) {
      // Reads only change nothing: no answer to them is as no answer to a read, safe to retry.
      if (readOnly && error instanceof OutcomeUnknown && error.status === 0) throw new Unavailable(error.message, error.code, 0, {}, 1, { cause: error.cause });
      throw error;
    }
    const txnId = response.headers.get("x-ballot-txn");
    if (response.status !== 200) throw await errorFromResponse(response, txnId === null ? {} : { txn: txnId });
    let answer: unknown;
    try {
      answer = await response.json();
    } catch (cause) {
      throw invalidResponse("the transaction's answer is not JSON", cause);
    }
    const { succeeded, results } = (answer ?? {}) as { succeeded?: unknown; results?: unknown };
    if (typeof succeeded !== "boolean" || !Array.isArray(results)) throw invalidResponse('the transaction\'s answer has no "succeeded" and "results"');
    const branch = succeeded ? state.success : state.failure;
    if (results.length !== branch.ops.length) throw invalidResponse(`the transaction answered ${results.length} results for ${branch.ops.length} ops`);
    const decoded = results.map((raw: unknown, i) => {
      const op = branch.ops[i] as TxnWireOp;
      const r = raw as WireResult;
      if (typeof raw !== "object" || raw === null || r.key !== op.key || typeof r.version !== "number") {
        throw invalidResponse(`result ${i} of the transaction is not one for ${JSON.stringify(op.key)}`);
      }
      return (branch.decoders[i] as Decode)(r);
    });
    return { succeeded, results: decoded, txnId };
  }

  /** The builder over `state`; its result types are the public interface's concern (`Txn`). */
  function builder(state: TxnState): Txn {
    const addOps = (to: Branch, ops: (t: TxnOps) => unknown): Branch => {
      const built = ops(new Ops(EMPTY) as unknown as TxnOps);
      if (!(built instanceof Ops)) throw new TypeError("the ops callback must return the builder it was given, with its ops chained: (t) => t.get(...).put(...)");
      return { ops: [...to.ops, ...built.branch.ops], decoders: [...to.decoders, ...built.branch.decoders] };
    };
    const txn: Txn<TxnOpResult[], TxnOpResult[]> = {
      compare: (key, condition) => builder({ ...state, compare: [...state.compare, compareOf(key, condition)] }),
      onSuccess: (ops) => builder({ ...state, success: addOps(state.success, ops) }),
      onFailure: (ops) => builder({ ...state, failure: addOps(state.failure, ops) }),
      toJSON: () => bodyOf(state),
      commit: () => commit(state),
    } as Txn<TxnOpResult[], TxnOpResult[]>;
    return txn as unknown as Txn;
  }

  async function getMany(keys: readonly string[]): Promise<(Entry<Uint8Array> | null)[]> {
    const distinct = [...new Set(keys)];
    if (distinct.length === 0) return [];
    const reads = distinct.reduce((ops, key) => ops.get(key), new Ops(EMPTY));
    const { results } = await commit({ compare: [], success: reads.branch, failure: EMPTY });
    const byKey = new Map<string, Entry<Uint8Array> | null>();
    for (const r of results as TxnRead<Uint8Array>[]) {
      byKey.set(r.key, r.value === null ? null : { value: r.value, version: r.version, contentType: r.contentType ?? OCTETS });
    }
    return keys.map((key) => byKey.get(key) ?? null);
  }

  return { txn: () => builder({ compare: [], success: EMPTY, failure: EMPTY }), getMany };
}

function bodyOf(state: TxnState): TxnRequestBody {
  return { compare: state.compare, success: state.success.ops, failure: state.failure.ops };
}

function compareOf(key: string, condition: TxnCondition): TxnWireCompare {
  const given = (["version", "exists", "value"] as const).filter((field) => (condition as Record<string, unknown>)[field] !== undefined);
  if (given.length !== 1) throw new TypeError('a comparison takes exactly one of "version", "exists" and "value"');
  checkKey(key);
  if (condition.version !== undefined) {
    if (!Number.isSafeInteger(condition.version) || condition.version < 0) throw new TypeError("a version is a non-negative safe integer");
    return { key, version: condition.version };
  }
  if (condition.exists !== undefined) {
    if (typeof condition.exists !== "boolean") throw new TypeError("exists is true or false");
    return { key, exists: condition.exists };
  }
  const value = condition.value as Value;
  return typeof value === "string" ? { key, value } : { key, valueBase64: toBase64(value) };
}

function checkKey(key: string): string {
  if (typeof key !== "string" || key === "") throw new TypeError("a key is a non-empty string");
  return key;
}

function read<T>(raw: WireResult, value: T | null): TxnRead<T> {
  return { op: "get", key: raw.key, version: raw.version, value, contentType: isLive(raw) ? (raw.contentType ?? OCTETS) : null };
}

/** Whether a result holds a value (`value: null`, or neither field: the key is absent or deleted). */
function isLive(raw: WireResult): boolean {
  return typeof raw.value === "string" || typeof raw.valueBase64 === "string";
}

/** The bytes of a result's value, or null for an absent key. */
function bytesOf(raw: WireResult): Uint8Array | null {
  if (typeof raw.value === "string") return encoder.encode(raw.value);
  if (typeof raw.valueBase64 === "string") return fromBase64(raw.valueBase64);
  return null;
}

/** A result's value as text (UTF-8, as `getText` decodes), or null for an absent key. */
function textOf(raw: WireResult): string | null {
  if (typeof raw.value === "string") return raw.value;
  const bytes = bytesOf(raw);
  return bytes === null ? null : decoder.decode(bytes);
}

function invalidResponse(message: string, cause?: unknown): BallotError {
  return new BallotError(message, "invalid_response", 200, {}, cause === undefined ? undefined : { cause });
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch (cause) {
    throw invalidResponse("a value in the transaction's answer is not base64", cause);
  }
}
