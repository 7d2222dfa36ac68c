import { z } from "@hono/zod-openapi";
import { MAX_KEY_BYTES } from "./key-path.js";

/** The OpenAPI pieces the public routes share: the error body, the key parameter, the common failures and headers. */

export const ErrorBody = z
  .object({ error: z.looseObject({ code: z.string(), message: z.string() }) })
  .openapi("Error", { description: 'Every failure: `{"error": {"code", "message", ...details}}`.' });

/** A documented failure: the error body and what it means here. */
export const errorReply = (description: string, headers?: Record<string, { description?: string; schema: { type: "string" | "integer" } }>) => ({
  description,
  ...(headers === undefined ? {} : { headers }),
  content: { "application/json": { schema: ErrorBody } },
});

export const unauthorized = errorReply("Missing or invalid bearer token (unauthorized).", { "WWW-Authenticate": { schema: { type: "string" } } });
export const internal = errorReply("internal, or misconfigured (e.g. production without BALLOT_TOKENS).");

/** Responses every protocol route can give. */
export const protocolFailures = {
  400: errorReply("The request is malformed (invalid_key, invalid_precondition, invalid_json, invalid_argument, invalid_header, invalid_body)."),
  401: unauthorized,
  500: internal,
  503: errorReply("unavailable (no majority reached) or overloaded: definitely not applied; retry after Retry-After.", {
    "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
  }),
  504: errorReply("outcome_unknown: maybe applied; read before retrying a change that is not idempotent."),
} as const;

export const etagHeader = { description: 'The version, as `"<version>"`.', schema: { type: "string" as const } };
export const serverTimingHeader = { description: "Rounds, conflicts and the time of each protocol phase.", schema: { type: "string" as const } };
export const versionHeaders = { ETag: etagHeader, "Server-Timing": serverTimingHeader };

/** A key (or lock name) as one path segment; `example` is the key the documented example requests use. */
export function keyParam(name: "key" | "name", example: string) {
  const description =
    name === "key"
      ? `1 to ${MAX_KEY_BYTES} bytes of UTF-8, percent-encoded as one path segment (\`/\` as %2F); no control characters; not \`.\` or \`..\`.`
      : "A lock name, with the rules of a key.";
  return z.object({ [name]: z.string().openapi({ param: { name, in: "path" }, description, example }) });
}
