import { ApiError, errorResponse } from "./errors.js";

type App = (request: Request) => Promise<Response>;

/** The token settings of the Worker's env (`BALLOT_TOKENS` is a secret; `BALLOT_REQUIRE_TOKENS` a var). */
export interface AuthEnv {
  BALLOT_TOKENS?: string;
  BALLOT_REQUIRE_TOKENS?: string;
}

export interface AuthOptions {
  /** Accepted bearer tokens (several during a rotation). Empty: no authentication. */
  readonly tokens: readonly string[];
  /** Refuse to serve at all when no tokens are configured (production). */
  readonly requireTokens: boolean;
  /** Told once, at the first request, that the server is open. */
  readonly warn?: (message: string) => void;
}

/** Shortest token accepted: a token is a secret, not a password; 16 random characters at least. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Reads `BALLOT_TOKENS` (comma-separated) and `BALLOT_REQUIRE_TOKENS`. Throws on a malformed or short token: a bad
 * secret must fail loudly, not quietly let everyone in or lock everyone out.
 */
export function authOptionsFrom(env: AuthEnv): AuthOptions {
  const tokens = (env.BALLOT_TOKENS ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  for (const token of tokens) {
    if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
      throw new Error(
        `BALLOT_TOKENS: every token must be at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (then =), comma-separated`,
      );
    }
  }
  const require = (env.BALLOT_REQUIRE_TOKENS ?? "false").trim();
  if (require !== "true" && require !== "false") throw new Error('BALLOT_REQUIRE_TOKENS must be "true" or "false"');
  return { tokens, requireTokens: require === "true" };
}

/**
 * Bearer-token authentication around the whole app (key, lock, health, OpenAPI and admin routes alike).
 * - Tokens configured: every request needs `Authorization: Bearer <token>`, else 401 with `WWW-Authenticate`.
 *   Tokens are compared by their SHA-256 digests in constant time, against every configured token.
 * - No tokens and `requireTokens` (production): closed. Every request is 500 `misconfigured`.
 * - No tokens otherwise (local dev): open, with one warning in the log.
 */
export function withAuth(app: App, options: AuthOptions): App {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  if (options.tokens.length === 0) {
    if (options.requireTokens) {
      return async () =>
        errorResponse(
          new ApiError(500, "misconfigured", "this deployment requires bearer tokens and has none: set the BALLOT_TOKENS secret"),
        );
    }
    let warned = false;
    return (request) => {
      if (!warned) {
        warned = true;
        warn("ballot: BALLOT_TOKENS is not set, so the API is open to anyone who can reach it (fine for local dev only)");
      }
      return app(request);
    };
  }
  const digests = Promise.all(options.tokens.map(digest));
  return async (request) => {
    const presented = bearer(request.headers.get("authorization"));
    if (presented === null) return unauthorized("send Authorization: Bearer <token>", false);
    const candidate = await digest(presented);
    let matched = 0;
    for (const known of await digests) matched |= constantTimeEqual(candidate, known);
    if (matched !== 1) return unauthorized("the bearer token is not valid", true);
    return app(request);
  };
}

function bearer(header: string | null): string | null {
  if (header === null) return null;
  const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header);
  return match?.[1] ?? null;
}

async function digest(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

/** 1 when equal, 0 otherwise; time depends only on the length (always 32: both are SHA-256 digests). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0 ? 1 : 0;
}

function unauthorized(message: string, invalidToken: boolean): Response {
  const challenge = invalidToken ? 'Bearer realm="ballot", error="invalid_token"' : 'Bearer realm="ballot"';
  return errorResponse(new ApiError(401, "unauthorized", message, {}, { "www-authenticate": challenge }));
}
