import { isLive, type Register } from "../core/register.js";
import type { TxnOutcome } from "../core/txn/coordinator.js";
import { invalidReason, type Compare, type TxnOp, type TxnRequest } from "../core/txn/request.js";
import { grantOf } from "./access/guard.js";
import { txnRefusal } from "./access/txn-access.js";
import { errorReply, protocolFailures } from "./api-schemas.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import { keyProblem } from "./key-path.js";
import { fromBase64, valueFields } from "./value-encoding.js";
import { outcomeUnknown, unavailable } from "./outcome.js";
import type { Method, Operation, Route } from "./route.js";
import { TxnAnswer, TxnBody, type TxnBodyInput } from "./txn-schemas.js";
import { parseJson, validate } from "./validation.js";

const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/**
 * The largest body: four values of the largest size (`BALLOT_MAX_VALUE_BYTES` each, so one of them fits even as base64
 * or escaped text) and 1 MiB for the rest (up to 64 keys of 512 bytes in each of the three lists). 5 MiB by default.
 */
export function txnBodyLimit(maxValueBytes: number): number {
  return 4 * maxValueBytes + (1 << 20);
}

/** What one SQLite row of an acceptor may hold (Durable Objects' cap, as BALLOT_MAX_VALUE_BYTES's bound says). */
const ROW_BYTES = 2_000_000;
/** Room in a row for all but the values: the key, content types, origin, lineage, the intent's ids. */
const ROW_OVERHEAD = 16 * 1024;

/**
 * The most bytes one transaction may put on one key, both branches together. Until it is resolved, the key's intent
 * holds them (base64) in the key's row next to its current value, which may be `maxValueBytes` long; a row over the
 * cap fails at every acceptor, and the transaction could only ever answer 503. 701,280 by default.
 */
export function txnKeyValueLimit(maxValueBytes: number): number {
  return Math.max(0, Math.floor(((ROW_BYTES - ROW_OVERHEAD - maxValueBytes) * 3) / 4));
}

/** The header naming the transaction's id (also in the request's log line): for finding it in logs. */
export const TXN_HEADER = "x-ballot-txn";

const txnHeader = { "X-Ballot-Txn": { description: "The transaction's id (random), as its log line and its intents name it.", schema: { type: "string" as const } } };
const serverTiming = { "Server-Timing": { description: "`txn;dur=<ms>`: the transaction's time.", schema: { type: "string" as const } } };

export const txnOperations = {
  "/v1/txn": {
    POST: {
      operationId: "transaction",
      summary: "A multi-key transaction: comparisons, then the success ops if all hold, else the failure ops, atomically",
      request: { body: { required: true, description: "JSON whatever its Content-Type.", content: { "application/json": { schema: TxnBody } } } },
      responses: {
        200: {
          description: "Committed: the branch taken and one result per op of it. Strictly serializable with every other operation.",
          headers: { ...txnHeader, ...serverTiming },
          content: { "application/json": { schema: TxnAnswer } },
        },
        ...protocolFailures,
        400: errorReply(
          "The body is malformed: invalid_json, invalid_argument (a field, more than 64 keys, a key twice in a branch, no key at all, an unknown field), invalid_key, invalid_precondition (If-Match or If-None-Match), invalid_header, invalid_body. Nothing ran.",
        ),
        403: errorReply("forbidden: the token may not read (compare, get) or write (put, delete, increment, in either branch) one of the keys; the message names the first. Nothing ran."),
        409: errorReply("not_integer or overflow: an increment of the branch taken cannot apply (the body's `key` names it); nothing changed.", txnHeader),
        413: errorReply(
          "payload_too_large (`limit` in the body): the body is over 4 × BALLOT_MAX_VALUE_BYTES + 1 MiB, a value over BALLOT_MAX_VALUE_BYTES, or the values put on one key (both branches) over what its storage row has room for next to its current value. Nothing ran.",
        ),
        503: errorReply("unavailable: definitely not applied (no majority reached, a key held by another transaction, or aborted as too slow); retry after Retry-After.", {
          "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
          ...txnHeader,
        }),
        504: errorReply("outcome_unknown: the commit was sent and no majority confirmed it; maybe applied: read the keys before retrying.", txnHeader),
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/** `POST /v1/txn`: `run` is the isolate's transaction layer (src/proposer/transactions.ts). */
export function txnRoutes(run: (request: TxnRequest) => Promise<TxnOutcome>, maxValueBytes: number, now: () => number = () => Date.now()): Route[] {
  return [
    {
      pattern: "/v1/txn",
      methods: { POST: (request) => transaction(run, request, maxValueBytes, now) },
      operations: txnOperations["/v1/txn"],
    },
  ];
}

async function transaction(run: (request: TxnRequest) => Promise<TxnOutcome>, request: Request, maxValueBytes: number, now: () => number): Promise<Response> {
  if (request.headers.has("if-match") || request.headers.has("if-none-match")) {
    throw new ApiError(400, "invalid_precondition", 'a transaction takes no If-Match or If-None-Match; put its conditions in "compare"');
  }
  const parsed = parseJson(await readBody(request, txnBodyLimit(maxValueBytes)), 'the body must be a JSON object like {"compare": [...], "success": [...], "failure": [...]}');
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, "invalid_json", 'the body must be a JSON object like {"compare": [...], "success": [...], "failure": [...]}');
  }
  const txn = requestOf(validate(TxnBody, parsed), maxValueBytes);
  const invalid = invalidReason(txn);
  if (invalid !== null) throw new ApiError(400, "invalid_argument", invalid);
  const grant = grantOf(request);
  const refusal = grant === undefined ? null : txnRefusal(grant, txn);
  if (refusal !== null) throw new ApiError(403, "forbidden", refusal);

  const started = now();
  const outcome = await run(txn);
  const headers = (id: string) => ({ [TXN_HEADER]: id, "server-timing": `txn;dur=${now() - started}` });
  switch (outcome.kind) {
    case "committed": {
      const answer = headers(outcome.txn);
      // The two steps of a written transaction: the record and intents (in parallel), then the commit.
      if (outcome.steps !== undefined) answer["server-timing"] += `, place;dur=${outcome.steps.placeMs}, commit;dur=${outcome.steps.commitMs}`;
      return json(200, { succeeded: outcome.succeeded, results: outcome.results.map((r) => resultOf(r.key, r.state)) }, answer);
    }
    case "refused": {
      const why = outcome.code === "overflow" ? "the result would not be a safe integer" : "the key does not hold a decimal integer";
      throw new ApiError(409, outcome.code, `increment of ${JSON.stringify(outcome.key)}: ${why}; nothing changed`, { key: outcome.key }, headers(outcome.txn));
    }
    case "invalid":
      throw new ApiError(400, "invalid_argument", outcome.reason);
    case "unavailable":
      throw unavailable(`the transaction was not applied (${outcome.reason}); nothing was changed, retry after the Retry-After delay`, headers(outcome.txn));
    case "unknown":
      throw outcomeUnknown(`the transaction may or may not have been applied (${outcome.reason}); read its keys before retrying`, headers(outcome.txn));
  }
}

/** The core's request from the checked body: keys checked as path keys are, values decoded and bounded. */
function requestOf(body: TxnBodyInput, maxValueBytes: number): TxnRequest {
  const keyOf = (k: string, field: string) => {
    const problem = keyProblem(k);
    if (problem !== null) throw new ApiError(400, "invalid_key", `"${field}": ${problem}`);
    return k;
  };
  const bytesOf = (value: string | undefined, base64: string | undefined, field: string): Uint8Array => {
    const bytes = value !== undefined ? utf8(value, field) : fromBase64(base64 ?? "");
    if (bytes.byteLength > maxValueBytes) {
      throw new ApiError(413, "payload_too_large", `"${field}" is ${bytes.byteLength} bytes; the limit is ${maxValueBytes} bytes`, { limit: maxValueBytes });
    }
    return bytes;
  };
  const compare = (body.compare ?? []).map((c, i): Compare => {
    const field = `compare.${i}`;
    const k = keyOf(c.key, `${field}.key`);
    if (c.version !== undefined) return { key: k, version: c.version };
    if (c.exists !== undefined) return { key: k, exists: c.exists };
    return { key: k, value: bytesOf(c.value, c.valueBase64, `${field}.${c.value !== undefined ? "value" : "valueBase64"}`) };
  });
  const ops = (list: TxnBodyInput["success"], branch: string) =>
    (list ?? []).map((o, i): TxnOp => {
      const field = `${branch}.${i}`;
      const k = keyOf(o.key, `${field}.key`);
      switch (o.op) {
        case "get":
          return { op: "get", key: k };
        case "delete":
          return { op: "delete", key: k };
        case "increment":
          return { op: "increment", key: k, by: o.by ?? 1 };
        case "put":
          return { op: "put", key: k, value: bytesOf(o.value, o.valueBase64, `${field}.${o.value !== undefined ? "value" : "valueBase64"}`), contentType: o.contentType ?? DEFAULT_CONTENT_TYPE };
      }
    });
  const request = { compare, success: ops(body.success, "success"), failure: ops(body.failure, "failure") };
  const perKey = new Map<string, number>();
  const limit = txnKeyValueLimit(maxValueBytes);
  for (const op of [...request.success, ...request.failure]) {
    if (op.op !== "put") continue;
    const bytes = (perKey.get(op.key) ?? 0) + op.value.byteLength;
    perKey.set(op.key, bytes);
    if (bytes > limit) {
      const why = "until the transaction is resolved its intent holds them in the key's storage row, next to the current value";
      throw new ApiError(413, "payload_too_large", `the values put on ${JSON.stringify(op.key)} are ${bytes} bytes; a transaction may put at most ${limit} on one key (${why})`, { limit });
    }
  }
  return request;
}

/**
 * One op's result: the key's version and value after it (a get: the value it read). A live value travels as
 * listings send it: `value` for a text content type holding UTF-8, `valueBase64` otherwise; an absent or deleted key
 * has `value: null` and the version a blocking GET's 404 reports (its delete's, or 0).
 */
function resultOf(key: string, state: Register) {
  if (!isLive(state)) return { key, version: state?.version ?? 0, value: null };
  const contentType = state.contentType || DEFAULT_CONTENT_TYPE;
  return { key, version: state.version, contentType, ...valueFields(state.contentType, state.value) };
}

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A JSON string's UTF-8; a lone surrogate (possible through a `\ud800` escape) has none and is refused. */
function utf8(value: string, field: string): Uint8Array {
  if (LONE_SURROGATE.test(value)) throw new ApiError(400, "invalid_argument", `"${field}": must be valid Unicode text (send other bytes as valueBase64)`);
  return encoder.encode(value);
}


