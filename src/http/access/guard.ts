import { ApiError, errorResponse } from "../errors.js";
import { pathOf } from "../request-path.js";
import { bearerToken, identify } from "./identify.js";
import type { Grant, GrantEntry } from "./policy.js";
import { requiredAccess, type Need } from "./required-access.js";
import { may, readableUnder } from "./scope.js";

type App = (request: Request) => Promise<Response>;

/** The Workers rate limiting binding, as far as Ballot uses it. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface AccessOptions {
  /** Every grant (policy.ts `grantsFrom`); a rejected promise means a malformed secret. Empty: no tokens. */
  readonly grants: Promise<readonly GrantEntry[]>;
  /** Refuse to serve at all when no tokens are configured (production). */
  readonly requireTokens: boolean;
  /** Counts requests per token (by grant name); none: no limit. */
  readonly rateLimiter?: RateLimiter;
  /** The limiter's period in seconds: what a 429 tells the client to wait. */
  readonly ratePeriodS?: number;
  /** Told once that the server is open, or why it is misconfigured. */
  readonly warn?: (message: string) => void;
  readonly error?: (message: string) => void;
}

const names = new WeakMap<Request, string>();
const grantsByRequest = new WeakMap<Request, Grant>();

/**
 * The grant a request was served under; undefined when the server has no tokens (open: every key). A listing shows
 * only what it may read (scope.ts `readableUnder`).
 */
export function grantOf(request: Request): Grant | undefined {
  return grantsByRequest.get(request);
}

/** The name of the grant a request was served under, for its log line (never the token). */
export function grantNameOf(request: Request): string | undefined {
  return names.get(request);
}

/**
 * Authentication and scopes around the whole app (key, lock, health, OpenAPI and admin routes alike):
 * - grants configured: every request needs `Authorization: Bearer <token>` of one of them, else 401 with
 *   `WWW-Authenticate`; a valid token outside its scope gets 403 `forbidden` naming what it may not do (never which
 *   tokens exist); past its rate limit 429 `rate_limited` with `Retry-After`;
 * - no grants and `requireTokens` (production), or a malformed secret: closed, every request 500 `misconfigured`;
 * - no grants otherwise (local dev): open, with one warning in the log.
 */
export function withAccess(app: App, options: AccessOptions): App {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const error = options.error ?? ((message: string) => console.error(message));
  let told = false;
  const tellOnce = (say: (message: string) => void, message: string) => {
    if (!told) say(message);
    told = true;
  };
  const misconfigured = (message: string) => errorResponse(new ApiError(500, "misconfigured", message));

  return async (request) => {
    let grants: readonly GrantEntry[];
    try {
      grants = await options.grants;
    } catch (cause) {
      // The reason goes to the log only: it may quote the secret's structure.
      tellOnce(error, `ballot: refusing every request: ${cause instanceof Error ? cause.message : String(cause)}`);
      return misconfigured("the server is misconfigured; see its logs");
    }
    if (grants.length === 0) {
      if (options.requireTokens) {
        // BALLOT_ACCESS and BALLOT_ADMIN_TOKENS count too; the message names the usual one.
        return misconfigured("this deployment requires bearer tokens and has none: set the BALLOT_TOKENS secret");
      }
      tellOnce(warn, "ballot: no BALLOT_TOKENS or BALLOT_ACCESS is set, so the API is open to anyone who can reach it (fine for local dev only)");
      return app(request);
    }
    const token = bearerToken(request.headers.get("authorization"));
    if (token === null) return unauthorized("send Authorization: Bearer <token>", false);
    const grant = await identify(token, grants);
    if (grant === null) return unauthorized("the bearer token is not valid", true);
    names.set(request, grant.name);
    grantsByRequest.set(request, grant);
    const refusal = refusalOf(grant, requiredAccess(request.method, pathOf(request), new URL(request.url).search));
    if (refusal !== null) return errorResponse(new ApiError(403, "forbidden", refusal));
    if (options.rateLimiter !== undefined) {
      const { success } = await options.rateLimiter.limit({ key: grant.name });
      if (!success) {
        const retryAfter = String(options.ratePeriodS ?? 60);
        return errorResponse(new ApiError(429, "rate_limited", `this token is over its rate limit; retry after ${retryAfter} s`, {}, { "retry-after": retryAfter }));
      }
    }
    return app(request);
  };
}

/** Why the grant may not do what the request needs, or null when it may. */
function refusalOf(grant: Grant, need: Need): string | null {
  switch (need.kind) {
    case "any":
      return null;
    case "keys":
      // The route checks each key of the body (txn-access.ts) before running anything.
      return null;
    case "admin":
      return grant.admin ? null : "this token may not use the operator's routes (it needs a token from BALLOT_ADMIN_TOKENS or an admin grant)";
    case "full":
      return may(grant, "write", "") ? null : "this token may not use the dev admin routes (they need full data access)";
    case "key":
      return may(grant, need.access, need.key) ? null : `this token may not ${need.access} the ${need.what} ${JSON.stringify(need.key)}`;
    case "list":
      return isEmpty(readableUnder(grant, need.prefix)) ? `this token may not read any key under the prefix ${JSON.stringify(need.prefix)}` : null;
  }
}

function isEmpty(scope: "all" | readonly string[]): boolean {
  return scope !== "all" && scope.length === 0;
}

function unauthorized(message: string, invalidToken: boolean): Response {
  const challenge = invalidToken ? 'Bearer realm="ballot", error="invalid_token"' : 'Bearer realm="ballot"';
  return errorResponse(new ApiError(401, "unauthorized", message, {}, { "www-authenticate": challenge }));
}
