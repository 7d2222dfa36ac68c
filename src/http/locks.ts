import { acquire, holderAt, leaseOf, release, renew, type Lease } from "../core/lock.js";
import type { Change } from "../core/change.js";
import type { Outcome } from "../core/proposer.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import { decodeKey } from "./key-path.js";
import { failure, serverTiming } from "./outcome.js";
import type { Registers } from "./keys.js";
import type { Route } from "./router.js";

export const MIN_TTL_MS = 100;
export const MAX_TTL_MS = 86_400_000;
const MAX_OWNER_LENGTH = 256;

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
    },
    lockAction("acquire", 200, (body) => acquire(ownerOf(body), ttlOf(body), now())),
    lockAction("renew", 200, (body) => renew(ownerOf(body), tokenOf(body), ttlOf(body), now())),
    lockAction("release", 204, (body) => release(ownerOf(body), tokenOf(body))),
  ];

  /** `POST /v1/locks/{name}/{action}`: a JSON body turned into a lock change. */
  function lockAction(action: string, status: number, changeOf: (body: Record<string, unknown>) => Change): Route {
    return {
      pattern: `/v1/locks/:name/${action}`,
      methods: {
        POST: async (request, params) => {
          const key = name(params);
          const change = changeOf(await readJson(request));
          return leaseResponse(await registers.change(key, change), status);
        },
      },
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

async function readJson(request: Request): Promise<Record<string, unknown>> {
  const raw = await readBody(request, 4096);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new ApiError(400, "invalid_json", "the body must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, "invalid_json", "the body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function ownerOf(body: Record<string, unknown>): string {
  const owner = body.owner;
  if (typeof owner !== "string" || owner.length === 0 || owner.length > MAX_OWNER_LENGTH) {
    throw new ApiError(400, "invalid_argument", `"owner" must be a string of 1 to ${MAX_OWNER_LENGTH} characters`);
  }
  return owner;
}

function ttlOf(body: Record<string, unknown>): number {
  const ttl = body.ttlMs;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) {
    throw new ApiError(400, "invalid_argument", `"ttlMs" must be an integer from ${MIN_TTL_MS} to ${MAX_TTL_MS}`);
  }
  return ttl;
}

function tokenOf(body: Record<string, unknown>): number {
  const token = body.token;
  if (typeof token !== "number" || !Number.isSafeInteger(token) || token < 1) {
    throw new ApiError(400, "invalid_argument", '"token" must be a positive integer');
  }
  return token;
}
