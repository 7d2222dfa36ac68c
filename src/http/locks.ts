import { z } from "@hono/zod-openapi";
import { acquire, holderAt, leaseOf, release, renew, type Lease } from "../core/lock.js";
import type { Change } from "../core/change.js";
import type { Outcome } from "../core/proposer.js";
import { errorReply, keyParam, protocolFailures, serverTimingHeader } from "./api-schemas.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import { decodeKey } from "./key-path.js";
import { failure, serverTiming } from "./outcome.js";
import type { Registers } from "./keys.js";
import type { Method, Operation, Route } from "./route.js";
import { parseJson, validate } from "./validation.js";

export const MIN_TTL_MS = 100;
export const MAX_TTL_MS = 86_400_000;
const MAX_OWNER_LENGTH = 256;

const OWNER = { error: `"owner" must be a string of 1 to ${MAX_OWNER_LENGTH} characters` };
const TTL = { error: `"ttlMs" must be an integer from ${MIN_TTL_MS} to ${MAX_TTL_MS}` };
const TOKEN = { error: '"token" must be a positive integer' };
const owner = z.string(OWNER).min(1, OWNER).max(MAX_OWNER_LENGTH, OWNER);
const ttlMs = z.number(TTL).int(TTL).min(MIN_TTL_MS, TTL).max(MAX_TTL_MS, TTL);
const token = z.number(TOKEN).int(TOKEN).min(1, TOKEN).openapi({ description: "The fencing token returned by acquire." });

// Fields are checked in this order (the first problem is the answer); unknown fields are ignored.
export const AcquireBody = z.object({ owner, ttlMs }).openapi({ example: { owner: "host-a", ttlMs: 30000 } });
export const RenewBody = z.object({ owner, token, ttlMs }).openapi({ example: { owner: "host-a", token: 1, ttlMs: 30000 } });
export const ReleaseBody = z.object({ owner, token }).openapi({ example: { owner: "host-a", token: 1 } });

const LeaseBody = z.object({ owner: z.string(), token: z.number().int(), expiresAt: z.number().int() }).openapi("Lease");
const lockConflict = {
  description: "lock_held (another owner holds it) or not_holder (not held by this owner with this token); nothing changed.",
  headers: { "Server-Timing": serverTimingHeader },
  content: {
    "application/json": {
      schema: z.object({
        error: z.looseObject({ code: z.string(), message: z.string() }),
        holder: z.object({ owner: z.string(), expiresAt: z.number().int() }).nullable(),
      }),
    },
  },
};
const jsonBody = (schema: z.ZodType) => ({ required: true, description: "JSON whatever its Content-Type.", content: { "application/json": { schema } } });
const leaseReply = (description: string) => ({ description, headers: { "Server-Timing": serverTimingHeader }, content: { "application/json": { schema: LeaseBody } } });

/** `POST /v1/locks/{name}/{action}`: its body, its success, and the failures every action shares. */
function lockActionOperation(operationId: string, summary: string, body: z.ZodType, success: Operation["responses"]): Operation {
  return {
    operationId,
    summary,
    request: { params: keyParam("name", "nightly-job"), body: jsonBody(body) },
    responses: { ...success, 409: lockConflict, 413: errorReply("payload_too_large."), ...protocolFailures },
  };
}

/** The OpenAPI operations of the lock routes, by pattern and method. */
export const lockOperations = {
  "/v1/locks/:name": {
    GET: {
      operationId: "getLock",
      summary: "The current holder of a lock",
      request: { params: keyParam("name", "nightly-job") },
      responses: { 200: leaseReply("Held."), 404: errorReply("not_found: the lock is free."), ...protocolFailures },
    },
  },
  "/v1/locks/:name/acquire": {
    POST: lockActionOperation("acquireLock", "Acquire a lease; the token (fencing token) grows strictly across owners", AcquireBody, {
      200: leaseReply("Acquired."),
    }),
  },
  "/v1/locks/:name/renew": {
    POST: lockActionOperation("renewLock", "Extend a held lease", RenewBody, { 200: leaseReply("Renewed.") }),
  },
  "/v1/locks/:name/release": {
    POST: lockActionOperation("releaseLock", "Release a held lease", ReleaseBody, {
      204: { description: "Released.", headers: { "Server-Timing": serverTimingHeader } },
    }),
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/**
 * Lock names live apart from keys: the register of lock `name` is the key "\u0001lock:" + name, which no HTTP key
 * can collide with (keys may not contain control characters).
 */
export function lockRegisterKey(name: string): string {
  return `\u0001lock:${name}`;
}

/** `/v1/locks/{name}`: acquire, renew, release and observe leases with fencing tokens. */
export function lockRoutes(registers: Registers, now: () => number): Route[] {
  const name = (params: Readonly<Record<string, string>>) => lockRegisterKey(decodeKey(params.name ?? ""));
  return [
    {
      pattern: "/v1/locks/:name",
      methods: {
        GET: async (_request, params) => {
          const outcome = await registers.read(name(params));
          const state = settled(outcome);
          const holder = holderAt(state, now());
          if (holder === undefined) {
            throw new ApiError(404, "not_found", "the lock is free", {}, { "server-timing": serverTiming(outcome.stats) });
          }
          return json(200, holder, { "server-timing": serverTiming(outcome.stats) });
        },
      },
      operations: lockOperations["/v1/locks/:name"],
    },
    lockAction("acquire", 200, AcquireBody, (body) => acquire(body.owner, body.ttlMs, now())),
    lockAction("renew", 200, RenewBody, (body) => renew(body.owner, body.token, body.ttlMs, now())),
    lockAction("release", 204, ReleaseBody, (body) => release(body.owner, body.token)),
  ];

  /** `POST /v1/locks/{name}/{action}`: a JSON body, checked by its schema, turned into a lock change. */
  function lockAction<T>(action: "acquire" | "renew" | "release", status: number, schema: z.ZodType<T>, changeOf: (body: T) => Change): Route {
    const pattern = `/v1/locks/:name/${action}` as const;
    return {
      pattern,
      methods: {
        POST: async (request, params) => {
          const key = name(params);
          const change = changeOf(validate(schema, await readJsonObject(request)));
          return leaseResponse(await registers.change(key, change), status);
        },
      },
      operations: lockOperations[pattern],
    };
  }

  function leaseResponse(outcome: Outcome, status: number): Response {
    const timing = { "server-timing": serverTiming(outcome.stats) };
    if (outcome.kind === "refused") {
      const holder = holderAt(outcome.refusal.current, now());
      const held = outcome.refusal.code === "lock_held";
      const message = held ? "the lock is held by another owner" : "the lock is not held by this owner with this token";
      return json(
        409,
        {
          error: { code: outcome.refusal.code, message },
          holder: holder === undefined ? null : { owner: holder.owner, expiresAt: holder.expiresAt },
        },
        timing,
      );
    }
    const lease = leaseOf(settled(outcome));
    if (status === 204 || lease === undefined) return new Response(null, { status: 204, headers: timing });
    return json(status, lease satisfies Lease, timing);
  }
}

function settled(outcome: Outcome) {
  if (outcome.kind === "unavailable" || outcome.kind === "unknown") throw failure(outcome);
  return outcome.kind === "applied" ? outcome.state : outcome.refusal.current;
}

/** Any JSON but an object is malformed JSON here (400 invalid_json), before the fields are checked. */
async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const parsed = parseJson(await readBody(request, 4096), "the body must be a JSON object");
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, "invalid_json", "the body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}
