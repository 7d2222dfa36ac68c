import type { z } from "@hono/zod-openapi";
import { ApiError } from "./errors.js";

/** Parses a body as JSON (strict UTF-8); malformed JSON is 400 `invalid_json` with `message`. */
export function parseJson(raw: Uint8Array, message: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new ApiError(400, "invalid_json", message);
  }
}

/** Checks a parsed body or query against its schema (the one the OpenAPI document shows); see `invalidArgument`. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidArgument(result.error);
}

/**
 * The one mapping of a schema's failure to a 400 `invalid_argument`, shared by every route: an unknown field first
 * (`unknown field "x"`, or `"success.0.x"` inside), otherwise the first problem in the schema's field order, with the message the schema gives
 * it; a message that does not name its field is prefixed with the field's name.
 */
export function invalidArgument(error: z.ZodError): ApiError {
  const unknown = error.issues.find((issue) => issue.code === "unrecognized_keys");
  // A nested one is named by its path (`success.0.valeu`), as other fields are.
  if (unknown !== undefined) return new ApiError(400, "invalid_argument", `unknown field ${JSON.stringify([...unknown.path, unknown.keys[0]].join("."))}`);
  const issue = error.issues[0];
  const field = issue?.path.join(".") ?? "";
  const message = issue?.message ?? "invalid request";
  return new ApiError(400, "invalid_argument", field === "" || message.includes(field) ? message : `"${field}": ${message}`);
}

/** The parameters, each at most once (400 naming one given twice: access control reads the first `prefix`, so a second one must not differ from it). */
export function queryOf(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of params) {
    if (Object.hasOwn(query, name)) throw new ApiError(400, "invalid_argument", `"${name}" is given more than once`);
    query[name] = value;
  }
  return query;
}
