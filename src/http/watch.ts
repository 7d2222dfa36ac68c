import { z } from "@hono/zod-openapi";
import type { Registers } from "../core/proposer.js";
import type { KeyEvent } from "../core/watch/key-feed.js";
import { errorReply, internal, keyParam, unauthorized } from "./api-schemas.js";
import { ApiError } from "./errors.js";
import { eventStreamResponse } from "./event-stream.js";
import { decodeKey } from "./key-path.js";
import { valueFields } from "./value-encoding.js";
import type { Method, Operation, Route } from "./route.js";
import { queryOf, validate } from "./validation.js";
import type { StreamLimits } from "./stream-lifetime.js";
import { watchKey, type WaitSettings } from "./wait.js";

const SINCE = { error: '"since" must be a non-negative integer (a version)' };
const LAST_EVENT_ID = { error: '"Last-Event-ID" must be a non-negative integer (a version)' };

const versionText = (error: { error: string }) =>
  z
    .string()
    .regex(/^\d{1,16}$/, error)
    .refine((raw) => Number.isSafeInteger(Number(raw)), error);

/** The query of `GET /v1/watch/{key}`; unknown parameters are refused (a misspelt `since` would replay the key). */
export const WatchQuery = z
  .object({
    since: versionText(SINCE)
      .optional()
      .openapi({
        param: { name: "since", in: "query" },
        description: "Resume after this version (the last event's `id`): only states above it are sent. `Last-Event-ID` wins over it.",
        type: "integer",
        minimum: 0,
        example: 0,
      }),
  })
  .strict();

export const WatchEvent = z
  .object({
    key: z.string(),
    version: z.number().int(),
    contentType: z.string().optional().openapi({ description: "For a put." }),
    value: z.string().optional().openapi({ description: "For a put of a text content type holding UTF-8." }),
    valueBase64: z.string().optional().openapi({ description: "For a put of any other value." }),
  })
  .openapi("WatchEvent");

export const watchOperations = {
  "/v1/watch/:key": {
    GET: {
      operationId: "watchKey",
      summary: "Watch a key: a text/event-stream of its states (put and delete events, id = version)",
      request: {
        params: keyParam("key", "greeting"),
        query: WatchQuery,
        headers: z.object({ "Last-Event-ID": z.string().optional().openapi({ description: "Resume after this version (sent by EventSource on reconnect)." }) }),
      },
      responses: {
        200: {
          description:
            "Server-sent events, one per observed state: `id: <version>`, `event: put | delete`, `data: <WatchEvent JSON>`; a `: heartbeat` comment at least every 15 s. " +
            "The stream ends after at most BALLOT_WATCH_MAX_STREAM_MS (10 minutes by default), client or no client: reconnect with `Last-Event-ID` to resume (EventSource does so by itself). " +
            "Versions strictly increase; each event is a state the key had after the previous one (a linearizable read); versions in between may be skipped.",
          content: { "text/event-stream": { schema: WatchEvent } },
        },
        400: errorReply("invalid_key, or invalid_argument: a bad `since` or `Last-Event-ID`, or an unknown parameter."),
        401: unauthorized,
        403: errorReply("forbidden: the token may not read the key."),
        500: internal,
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/** `GET /v1/watch/{key}[?since=V]`. */
export function watchRoutes(registers: Pick<Registers, "read">, settings: WaitSettings & StreamLimits): Route[] {
  return [
    {
      pattern: "/v1/watch/:key",
      methods: { GET: async (request, params) => watchKeyRoute(registers, decodeKey(params.key ?? ""), request, settings) },
      operations: watchOperations["/v1/watch/:key"],
    },
  ];
}

/** Where a stream resumes: `Last-Event-ID` (what EventSource sends on reconnect), else `since`, else 0 (everything). */
export function resumeVersion(request: Request): number {
  const { since } = validate(WatchQuery, queryOf(new URL(request.url).searchParams));
  const last = request.headers.get("last-event-id");
  if (last !== null && last.trim() !== "") {
    if (!versionText(LAST_EVENT_ID).safeParse(last.trim()).success) throw new ApiError(400, "invalid_argument", LAST_EVENT_ID.error);
    return Number(last.trim());
  }
  return since === undefined ? 0 : Number(since);
}

async function watchKeyRoute(registers: Pick<Registers, "read">, key: string, request: Request, settings: WaitSettings & StreamLimits): Promise<Response> {
  const since = resumeVersion(request);
  return eventStreamResponse(request, settings, ({ send }) => watchKey(registers, key, since, settings, (event) => send(eventText(event))));
}

/**
 * One server-sent event: `id` what `Last-Event-ID` resumes from (a key stream's: the version), `event` put or delete,
 * `data` JSON.
 */
export function eventText(event: KeyEvent, id: string = String(event.version)): string {
  const state = event.state;
  let data: Record<string, unknown> = { key: event.key, version: event.version };
  if (event.kind === "put" && state !== null && state.value !== null) {
    data = { ...data, contentType: state.contentType, ...valueFields(state.contentType, state.value) };
  }
  return `id: ${id}\nevent: ${event.kind}\ndata: ${JSON.stringify(data)}\n\n`;
}


