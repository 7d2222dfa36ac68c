import { z } from "@hono/zod-openapi";
import type { ListedEntry, ListOptions, ListResult } from "../core/listing/list-keys.js";
import { utf8Bytes } from "../core/key-hash.js";
import { grantOf } from "./access/guard.js";
import { readableUnder } from "./access/scope.js";
import { errorReply, internal, unauthorized } from "./api-schemas.js";
import { ApiError, json } from "./errors.js";
import { MAX_KEY_BYTES } from "./key-path.js";
import { RETRY_AFTER_SECONDS } from "./outcome.js";
import type { Method, Operation, Route } from "./route.js";
import { queryOf, validate } from "./validation.js";
import { valueFields } from "./value-encoding.js";

/** Entries per page: 100 unless `limit` says otherwise, at most 1,000. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/** With `values=true`, a page stops before the entry that would take its values past this many bytes (the first entry always comes). */
export const LIST_VALUES_BYTES = 1024 * 1024;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const keyText = (field: string, min: number) =>
  z
    .string()
    .refine((s) => utf8Bytes(s).length >= min && utf8Bytes(s).length <= MAX_KEY_BYTES, { error: `"${field}" must be ${min} to ${MAX_KEY_BYTES} bytes of UTF-8` })
    .refine((s) => !CONTROL.test(s), { error: `"${field}" must not contain a control character` });

const LIMIT = { error: `"limit" must be an integer from 1 to ${MAX_LIST_LIMIT}` };

/** The query of `GET /v1/keys`: every parameter optional; unknown ones are refused (a misspelt one would list everything). */
export const ListQuery = z
  .object({
    prefix: keyText("prefix", 0)
      .optional()
      .openapi({ param: { name: "prefix", in: "query" }, description: "List only keys starting with this (default: every key).", example: "config/" }),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, LIMIT)
      .refine((raw) => Number(raw) >= 1 && Number(raw) <= MAX_LIST_LIMIT, LIMIT)
      .optional()
      .openapi({ param: { name: "limit", in: "query" }, description: `At most this many entries (default ${DEFAULT_LIST_LIMIT}).`, type: "integer", minimum: 1, maximum: MAX_LIST_LIMIT, example: 2 }),
    after: keyText("after", 1)
      .optional()
      .openapi({ param: { name: "after", in: "query" }, description: "List keys after this one: the `next` of the previous page.", example: "config/a" }),
    values: z
      .enum(["true", "false"], { error: '"values" must be true or false' })
      .optional()
      .openapi({
        param: { name: "values", in: "query" },
        description: `Include each value (\`value\` for UTF-8 text content types, \`valueBase64\` otherwise); the page then stops before ${LIST_VALUES_BYTES} bytes of values.`,
        example: "true",
      }),
  })
  .strict();

const ListEntryBody = z.object({
  key: z.string(),
  version: z.number().int(),
  contentType: z.string(),
  bytes: z.number().int().openapi({ description: "The value's length in bytes." }),
  value: z.string().optional().openapi({ description: "With values=true, for a text content type holding UTF-8." }),
  valueBase64: z.string().optional().openapi({ description: "With values=true, for any other value." }),
});
const ListBody = z
  .object({
    keys: z.array(ListEntryBody),
    next: z.string().nullable().openapi({ description: "Pass as `after` for the next page; null when the listing is complete." }),
  })
  .openapi("KeyList");

export const listOperations = {
  "/v1/keys": {
    GET: {
      operationId: "listKeys",
      summary: "List keys by prefix, in key order (UTF-8 bytes), a page at a time; deleted keys are not listed",
      request: { query: ListQuery },
      responses: {
        200: {
          description: "Each entry is a state its key had during the call (a linearizable read); the page is not a snapshot across keys.",
          headers: { "Server-Timing": { description: "Steps, reads and the listing's time.", schema: { type: "string" } } },
          content: { "application/json": { schema: ListBody } },
        },
        400: errorReply("invalid_argument: a bad prefix, limit, after or values, or an unknown parameter."),
        401: unauthorized,
        403: errorReply("forbidden: the token may read no key under the prefix (a token that may read some lists only those)."),
        500: internal,
        503: errorReply("unavailable: a group of acceptors had no reachable majority; retry after Retry-After.", {
          "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
        }),
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

export interface ListingSettings {
  /** The proposer's listing (worker-proposer.ts `list`). */
  readonly list: (options: ListOptions) => Promise<ListResult>;
  readonly roundTimeoutMs: number;
  /** The request's budget: no listing step starts after it (the page is returned short, with `next`). */
  readonly deadlineMs: number;
}

/** `GET /v1/keys?prefix=P&limit=L&after=K&values=true`. */
export function listRoutes(settings: ListingSettings, now: () => number = () => Date.now()): Route[] {
  return [
    {
      pattern: "/v1/keys",
      methods: { GET: (request) => listKeysRoute(settings, request, now) },
      operations: listOperations["/v1/keys"],
    },
  ];
}

async function listKeysRoute(settings: ListingSettings, request: Request, now: () => number): Promise<Response> {
  const query = validate(ListQuery, queryOf(new URL(request.url).searchParams));
  const prefix = query.prefix ?? "";
  const grant = grantOf(request);
  const scope = grant === undefined ? "all" : readableUnder(grant, prefix);
  if (scope !== "all" && scope.length === 0) throw new ApiError(403, "forbidden", `this token may not read any key under the prefix ${JSON.stringify(prefix)}`);
  const withValues = query.values === "true";
  const started = now();
  const result = await settings.list({
    prefixes: scope === "all" ? [prefix] : scope,
    after: query.after ?? null,
    limit: query.limit === undefined ? DEFAULT_LIST_LIMIT : Number(query.limit),
    roundTimeoutMs: settings.roundTimeoutMs,
    deadlineMs: settings.deadlineMs,
    budgetMs: settings.deadlineMs / 2,
    maxSteps: 4,
    readConcurrency: 32,
    ...(withValues ? { more: (entry, taken) => valueBytes(taken) + entry.state.value.byteLength <= LIST_VALUES_BYTES } : {}),
  });
  const timing = `list;dur=${now() - started}`;
  if (result.kind === "unavailable") {
    throw new ApiError(503, "unavailable", `the keys could not be listed (${result.reason}); retry`, {}, { "retry-after": String(RETRY_AFTER_SECONDS), "server-timing": timing });
  }
  return json(
    200,
    { keys: result.entries.map((e) => entryBody(e, withValues)), next: result.next },
    { "server-timing": `${timing}, steps;desc="${result.steps}", reads;desc="${result.reads}"` },
  );
}


function valueBytes(entries: readonly ListedEntry[]): number {
  return entries.reduce((sum, e) => sum + e.state.value.byteLength, 0);
}

function entryBody({ key, state }: ListedEntry, withValue: boolean) {
  const body = { key, version: state.version, contentType: state.contentType, bytes: state.value.byteLength };
  if (!withValue) return body;
  return { ...body, ...valueFields(state.contentType, state.value) };
}
