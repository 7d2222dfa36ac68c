import { withAccess, type RateLimiter } from "./access/guard.js";
import { grantsOf, MIN_TOKEN_LENGTH, parseSecrets, type AccessSecrets, type Grant } from "./access/policy.js";

export { constantTimeEqual } from "./access/identify.js";
export { MIN_TOKEN_LENGTH };

type App = (request: Request) => Promise<Response>;

/**
 * The token settings of the Worker's env: the secrets `BALLOT_TOKENS` (full data access), `BALLOT_ACCESS` (scoped
 * grants by token hash), `BALLOT_ADMIN_TOKENS` (the operator's routes), the var `BALLOT_REQUIRE_TOKENS`, and the
 * rate limiting binding `BALLOT_RATE_LIMIT` with the period it was configured with (`BALLOT_RATE_PERIOD_S`).
 */
export interface AuthEnv extends AccessSecrets {
  BALLOT_REQUIRE_TOKENS?: string;
  BALLOT_RATE_LIMIT?: RateLimiter;
  BALLOT_RATE_PERIOD_S?: string;
}

export interface AuthOptions {
  /** Bearer tokens with full data access (several during a rotation). */
  readonly tokens: readonly string[];
  /** Scoped grants, by the SHA-256 of their token (BALLOT_ACCESS). */
  readonly access?: readonly { readonly sha256: string; readonly grant: Grant }[];
  /** Tokens for the operator's routes only. */
  readonly adminTokens?: readonly string[];
  /** Refuse to serve at all when no tokens are configured (production). */
  readonly requireTokens: boolean;
  readonly rateLimiter?: RateLimiter;
  readonly ratePeriodS?: number;
  /** Told once, at the first request, that the server is open. */
  readonly warn?: (message: string) => void;
}

/**
 * Reads the secrets and vars. Throws on a malformed or short token, a malformed BALLOT_ACCESS, or a bad var: a bad
 * secret must fail loudly, not quietly let everyone in or lock everyone out.
 */
export function authOptionsFrom(env: AuthEnv): AuthOptions {
  const parsed = parseSecrets(env);
  const require = (env.BALLOT_REQUIRE_TOKENS ?? "false").trim();
  if (require !== "true" && require !== "false") throw new Error('BALLOT_REQUIRE_TOKENS must be "true" or "false"');
  const period = (env.BALLOT_RATE_PERIOD_S ?? "10").trim();
  if (period !== "10" && period !== "60") throw new Error('BALLOT_RATE_PERIOD_S must be "10" or "60" (the rate limiting binding\'s period)');
  return {
    tokens: parsed.tokens,
    access: parsed.access,
    adminTokens: parsed.adminTokens,
    requireTokens: require === "true",
    ...(env.BALLOT_RATE_LIMIT === undefined ? {} : { rateLimiter: env.BALLOT_RATE_LIMIT }),
    ratePeriodS: Number(period),
  };
}

/**
 * Authentication and scopes around the whole app (access/guard.ts): 401 without a valid token, 403 outside its
 * scope, 429 past its rate limit; closed (500 `misconfigured`) in production without tokens; open with a warning in
 * local dev without tokens. Tokens are compared by their SHA-256 digests in constant time, against every grant.
 */
export function withAuth(app: App, options: AuthOptions): App {
  const grants = grantsOf({ access: options.access ?? [], tokens: options.tokens, adminTokens: options.adminTokens ?? [] });
  // A rejection is answered per request (500 misconfigured); do not let it count as unhandled meanwhile.
  grants.catch(() => {});
  return withAccess(app, {
    grants,
    requireTokens: options.requireTokens,
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter, ratePeriodS: options.ratePeriodS ?? 10 }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
  });
}
