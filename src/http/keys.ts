import { compareAndSet, create, increment, remove, replace, write, type Change } from "../core/change.js";
import type { Outcome, Registers } from "../core/proposer.js";
import { isLive, type Register } from "../core/register.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import { failure, serverTiming } from "./outcome.js";
import { decodeKey } from "./key-path.js";
import { etag, readCondition, writeCondition } from "./preconditions.js";
import type { Route } from "./router.js";

export type { Registers } from "../core/proposer.js";

const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** `/v1/keys/{key}` and `/v1/keys/{key}/increment`. */
export function keyRoutes(registers: Registers, maxValueBytes: number): Route[] {
  const key = (params: Readonly<Record<string, string>>) => decodeKey(params.key ?? "");
  return [
    {
      pattern: "/v1/keys/:key",
      methods: {
        GET: (request, params) => getKey(registers, key(params), request),
        HEAD: (request, params) => getKey(registers, key(params), request),
        PUT: (request, params) => putKey(registers, key(params), request, maxValueBytes),
        DELETE: (request, params) => deleteKey(registers, key(params), request),
      },
    },
    {
      pattern: "/v1/keys/:key/increment",
      methods: { POST: (request, params) => incrementKey(registers, key(params), request) },
    },
  ];
}

export async function getKey(registers: Registers, key: string, request: Request): Promise<Response> {
  const notModifiedIf = readCondition(request.headers);
  const outcome = await registers.read(key);
  const state = settled(outcome);
  const timing = serverTiming(outcome.stats);
  if (!isLive(state)) throw new ApiError(404, "not_found", "no such key", {}, { "server-timing": timing });
  const headers = { etag: etag(state.version), "cache-control": "no-store", "server-timing": timing };
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

/** `{"by": <safe integer>}`; an empty body means by 1. */
async function readIncrement(request: Request): Promise<number> {
  const raw = await readBody(request, 1024);
  if (raw.byteLength === 0) return 1;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new ApiError(400, "invalid_json", 'the body must be JSON like {"by": 1}');
  }
  const by = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as { by?: unknown }).by : undefined;
  if (typeof by !== "number" || !Number.isSafeInteger(by)) {
    throw new ApiError(400, "invalid_argument", '"by" must be a safe integer');
  }
  return by;
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
