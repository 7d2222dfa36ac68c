import { z } from "@hono/zod-openapi";
import { compareAndSet, create, increment, remove, replace, write, type Change } from "../core/change.js";
import type { Outcome, Registers } from "../core/proposer.js";
import { isLive, type Register } from "../core/register.js";
import { errorReply, keyParam, protocolFailures, serverTimingHeader, versionHeaders } from "./api-schemas.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import { failure, serverTiming } from "./outcome.js";
import { decodeKey } from "./key-path.js";
import { etag, readCondition, writeCondition } from "./preconditions.js";
import type { Method, Operation, Route } from "./route.js";
import { parseJson, validate } from "./validation.js";
import { waitForVersion, waitOf, WaitQuery, type WaitSettings } from "./wait.js";

export type { Registers } from "../core/proposer.js";

const DEFAULT_CONTENT_TYPE = "application/octet-stream";

const SAFE_BY = { error: '"by" must be a safe integer' };
/** The body of an increment (an empty body means by 1). */
export const IncrementBody = z
  .object({ by: z.number(SAFE_BY).int(SAFE_BY).min(Number.MIN_SAFE_INTEGER, SAFE_BY).max(Number.MAX_SAFE_INTEGER, SAFE_BY) }, SAFE_BY)
  .openapi({ example: { by: 5 } });

const Version = z.object({ version: z.number().int().min(1) }).openapi("Version");
const Value = z.string().openapi({ description: "Any bytes.", format: "binary", example: "hello" });
const ifMatch = z.string().optional().openapi({ description: '`"<version>"`: compare-and-set on the version; `*`: only if the key exists.' });
const notFound = errorReply("not_found: no such key.");
const preconditionFailedReply = errorReply("precondition_failed, with the key's currentVersion (null when absent); nothing changed.");

/** The OpenAPI operations of the key routes, by pattern and method. */
export const keyOperations = {
  "/v1/keys/:key": {
    GET: {
      operationId: "getKey",
      summary: "Read a key",
      request: {
        params: keyParam("key", "greeting"),
        query: WaitQuery,
        headers: z.object({
          "If-None-Match": z.string().optional().openapi({ description: 'Entity tags `"<version>"` (or `*`): 304 when one names the current version.' }),
        }),
      },
      responses: {
        200: { description: "The stored bytes with their content type; ETag is the version.", headers: versionHeaders, content: { "*/*": { schema: Value } } },
        304: { description: "If-None-Match names the current version.", headers: versionHeaders },
        404: errorReply("not_found: no such key. With `wait`: the body's `version` and the `X-Ballot-Version` header give the key's version (its delete's, or 0 for a key never written)."),
        ...protocolFailures,
      },
    },
    HEAD: {
      operationId: "headKey",
      summary: "Read a key's headers (version, content type, length)",
      request: { params: keyParam("key", "greeting"), query: WaitQuery },
      responses: {
        200: { description: "As GET, without a body.", headers: versionHeaders },
        304: { description: "If-None-Match names the current version." },
        404: { description: "No such key (no body)." },
        ...protocolFailures,
      },
    },
    PUT: {
      operationId: "putKey",
      summary: "Write a key (optionally compare-and-set or create-only)",
      request: {
        params: keyParam("key", "greeting"),
        headers: z.object({ "If-Match": ifMatch, "If-None-Match": z.literal("*").optional().openapi({ description: "`*`: create only." }) }),
        body: {
          required: true,
          description: "The value: any bytes; the Content-Type is stored and returned (default application/octet-stream).",
          content: { "*/*": { schema: Value } },
        },
      },
      responses: {
        200: { description: "Replaced.", headers: versionHeaders, content: { "application/json": { schema: Version } } },
        201: { description: "Created.", headers: versionHeaders, content: { "application/json": { schema: Version } } },
        412: preconditionFailedReply,
        413: errorReply("payload_too_large."),
        ...protocolFailures,
      },
    },
    DELETE: {
      operationId: "deleteKey",
      summary: "Delete a key (optionally only at a version)",
      request: { params: keyParam("key", "greeting"), headers: z.object({ "If-Match": ifMatch }) },
      responses: {
        204: { description: "Deleted.", headers: { "Server-Timing": serverTimingHeader } },
        404: notFound,
        412: preconditionFailedReply,
        ...protocolFailures,
      },
    },
  },
  "/v1/keys/:key/increment": {
    POST: {
      operationId: "incrementKey",
      summary: "Add to a decimal integer value (an absent key counts as 0)",
      request: {
        params: keyParam("key", "visits"),
        body: { required: false, description: "JSON whatever its Content-Type; empty: by 1.", content: { "application/json": { schema: IncrementBody } } },
      },
      responses: {
        200: {
          description: "The new value and version.",
          headers: versionHeaders,
          content: { "application/json": { schema: z.object({ value: z.number().int(), version: z.number().int() }) } },
        },
        409: errorReply("not_integer or overflow; nothing changed."),
        ...protocolFailures,
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/** `/v1/keys/{key}` and `/v1/keys/{key}/increment`. */
export function keyRoutes(registers: Registers, maxValueBytes: number, waiting?: WaitSettings): Route[] {
  const key = (params: Readonly<Record<string, string>>) => decodeKey(params.key ?? "");
  return [
    {
      pattern: "/v1/keys/:key",
      methods: {
        GET: (request, params) => getKey(registers, key(params), request, waiting),
        HEAD: (request, params) => getKey(registers, key(params), request, waiting),
        PUT: (request, params) => putKey(registers, key(params), request, maxValueBytes),
        DELETE: (request, params) => deleteKey(registers, key(params), request),
      },
      operations: keyOperations["/v1/keys/:key"],
    },
    {
      pattern: "/v1/keys/:key/increment",
      methods: { POST: (request, params) => incrementKey(registers, key(params), request) },
      operations: keyOperations["/v1/keys/:key/increment"],
    },
  ];
}

export async function getKey(registers: Registers, key: string, request: Request, waiting?: WaitSettings): Promise<Response> {
  const notModifiedIf = readCondition(request.headers);
  const blocking = waiting === undefined ? null : waitOf(new URL(request.url));
  if (blocking !== null && waiting !== undefined) {
    const started = waiting.clock.now();
    const changed = await waitForVersion(registers, key, blocking.wait, blocking.timeoutMs, waiting);
    if (changed !== null) return stateResponse(changed, request, notModifiedIf, `wait;dur=${waiting.clock.now() - started}`, true);
    // The timeout: the current state, read now (a linearizable read like any GET).
    const outcome = await registers.read(key);
    return stateResponse(settled(outcome), request, notModifiedIf, `wait;dur=${waiting.clock.now() - started}, ${serverTiming(outcome.stats)}`, true);
  }
  const outcome = await registers.read(key);
  return stateResponse(settled(outcome), request, notModifiedIf, serverTiming(outcome.stats), false);
}

/** A read's answer: 200 with the value, 304, or 404 (with the version, for a blocking read). */
function stateResponse(state: Register, request: Request, notModifiedIf: ReturnType<typeof readCondition>, timing: string, blocking: boolean): Response {
  if (!isLive(state)) {
    if (!blocking) throw new ApiError(404, "not_found", "no such key", {}, { "server-timing": timing });
    const version = state?.version ?? 0;
    throw new ApiError(404, "not_found", "no such key", { version }, { "server-timing": timing, "x-ballot-version": String(version) });
  }
  const headers = { etag: etag(state.version), "cache-control": "no-store", "server-timing": timing, ...(blocking ? { "x-ballot-version": String(state.version) } : {}) };
  if (notModifiedIf === "any" || notModifiedIf?.includes(state.version)) return new Response(null, { status: 304, headers });
  const body = request.method === "HEAD" ? null : state.value;
  return new Response(body, {
    status: 200,
    headers: { ...headers, "content-type": state.contentType || DEFAULT_CONTENT_TYPE, "content-length": String(state.value.byteLength) },
  });
}

export async function putKey(registers: Registers, key: string, request: Request, maxValueBytes: number): Promise<Response> {
  const condition = writeCondition(request.headers, true);
  const value = await readBody(request, maxValueBytes);
  const contentType = request.headers.get("content-type") ?? DEFAULT_CONTENT_TYPE;
  const change =
    condition.kind === "version" ? compareAndSet(condition.version, value, contentType)
    : condition.kind === "exists" ? replace(value, contentType)
    : condition.kind === "absent" ? create(value, contentType)
    : write(value, contentType);
  const outcome = await registers.change(key, change);
  if (outcome.kind === "refused") throw preconditionFailed(outcome.refusal.current, serverTiming(outcome.stats));
  const state = settled(outcome);
  const version = state?.version ?? 0;
  const created = outcome.kind === "applied" && !isLive(outcome.previous);
  return json(created ? 201 : 200, { version }, { etag: etag(version), "server-timing": serverTiming(outcome.stats) });
}

export async function deleteKey(registers: Registers, key: string, request: Request): Promise<Response> {
  const condition = writeCondition(request.headers, false);
  const outcome = await registers.change(key, remove(condition.kind === "version" ? condition.version : undefined));
  const timing = serverTiming(outcome.stats);
  if (outcome.kind === "refused") {
    // RFC 9110: any If-Match fails on a missing resource (412); without one, deleting nothing is a 404.
    if (outcome.refusal.code === "not_found" && condition.kind === "none") {
      throw new ApiError(404, "not_found", "no such key", {}, { "server-timing": timing });
    }
    throw preconditionFailed(outcome.refusal.current, timing);
  }
  settled(outcome);
  return new Response(null, { status: 204, headers: { "server-timing": timing } });
}

export async function incrementKey(registers: Registers, key: string, request: Request): Promise<Response> {
  // RFC 9110 says a server must evaluate If-Match before acting; increment has no conditional form, so a
  // precondition is refused rather than silently ignored (a client relying on it could apply a change twice).
  if (request.headers.has("if-match") || request.headers.has("if-none-match")) {
    throw new ApiError(400, "invalid_precondition", "increment takes no If-Match or If-None-Match; use a PUT with If-Match for a compare-and-set");
  }
  const by = await readIncrement(request);
  const outcome = await registers.change(key, increment(by));
  const timing = serverTiming(outcome.stats);
  if (outcome.kind === "refused") {
    const { code } = outcome.refusal;
    const message = code === "overflow" ? "the result would not be a safe integer" : "the key does not hold a decimal integer";
    throw new ApiError(409, code, message, {}, { "server-timing": timing });
  }
  const state = settled(outcome);
  const version = state?.version ?? 0;
  const value = Number(new TextDecoder().decode(state?.value ?? new Uint8Array()));
  return json(200, { value, version }, { etag: etag(version), "server-timing": timing });
}

/** `{"by": <safe integer>}` (IncrementBody); an empty body means by 1. */
async function readIncrement(request: Request): Promise<number> {
  const raw = await readBody(request, 1024);
  if (raw.byteLength === 0) return 1;
  return validate(IncrementBody, parseJson(raw, 'the body must be JSON like {"by": 1}')).by;
}

/** The chosen state of a settled outcome; turns 503/504 outcomes into their errors. */
function settled(outcome: Outcome): Register {
  if (outcome.kind === "unavailable" || outcome.kind === "unknown") throw failure(outcome);
  if (outcome.kind === "refused") return outcome.refusal.current;
  return outcome.state;
}

function preconditionFailed(current: Register, timing: string): ApiError {
  const currentVersion = isLive(current) ? current.version : null;
  return new ApiError(
    412,
    "precondition_failed",
    currentVersion === null ? "the key does not exist" : `the key is at version ${currentVersion}`,
    { currentVersion },
    currentVersion === null ? { "server-timing": timing } : { "server-timing": timing, etag: etag(currentVersion) },
  );
}
