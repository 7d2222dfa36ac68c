import { z } from "@hono/zod-openapi";
import type { VersionScan } from "../core/listing/scan-versions.js";
import type { Registers } from "../core/proposer.js";
import { PrefixFeed, type PrefixSignal } from "../core/watch/prefix-feed.js";
import { grantOf } from "./access/guard.js";
import { readableUnder } from "./access/scope.js";
import { errorReply, internal, unauthorized } from "./api-schemas.js";
import { ApiError } from "./errors.js";
import { keyText } from "./list.js";
import { decodeResumeId, encodeResumeId, type ResumePoint } from "./resume-id.js";
import type { Method, Operation, Route } from "./route.js";
import { queryOf, validate } from "./validation.js";
import { HINT_TICK_MS, type WaitSettings } from "./wait.js";
import { eventStreamResponse } from "./event-stream.js";
import type { StreamLimits } from "./stream-lifetime.js";
import { eventText, WatchEvent } from "./watch.js";

/** Reads in flight at once for one prefix stream (its first pass reads every key). */
const READ_CONCURRENCY = 16;

/** The query of `GET /v1/watch?prefix=P`; unknown parameters are refused. */
export const WatchPrefixQuery = z
  .object({
    prefix: keyText("prefix", 0).openapi({
      param: { name: "prefix", in: "query" },
      description: 'Watch every key starting with this ("" for every key the token may read).',
      example: "config/",
    }),
    since: z
      .string()
      .max(8192, { error: '"since" must be the id of an event of this stream' })
      .optional()
      .openapi({ param: { name: "since", in: "query" }, description: "Resume after the event with this `id` (opaque). `Last-Event-ID` wins over it." }),
  })
  .strict();

export const watchPrefixOperations = {
  "/v1/watch": {
    GET: {
      operationId: "watchPrefix",
      summary: "Watch every key under a prefix: a text/event-stream of their states, with a resumable id",
      request: {
        query: WatchPrefixQuery,
        headers: z.object({ "Last-Event-ID": z.string().optional().openapi({ description: "Resume after this event's id (sent by EventSource on reconnect)." }) }),
      },
      responses: {
        200: {
          description:
            "Server-sent events: a `put` for every live key under the prefix, then `synced` (data `{\"keys\": n}`), then a `put` or `delete` per observed change. " +
            "Each `id` resumes the whole stream (opaque; it holds the versions the watcher has, or says `reset` past about 3 KB of keys: the resumed stream then starts with a `reset` event and every live key again). " +
            "Per key, versions strictly increase and each event is a state the key had after the previous one (a linearizable read); versions in between may be skipped. " +
            "A stream over more than 10,000 keys ends with `event: error` (`too_many_keys`). A `: heartbeat` comment comes at least every 15 s. " +
            "The stream ends after at most BALLOT_WATCH_MAX_STREAM_MS (10 minutes by default), client or no client: reconnect with `Last-Event-ID` to resume (EventSource does so by itself).",
          content: { "text/event-stream": { schema: WatchEvent } },
        },
        400: errorReply("invalid_argument: a missing or bad prefix, a resume id that is not one of this prefix's stream, or an unknown parameter."),
        401: unauthorized,
        403: errorReply("forbidden: the token may read no key under the prefix (a token that may read some is sent only those)."),
        500: internal,
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

export interface PrefixWatchSettings extends WaitSettings, StreamLimits {
  /** The keys under a prefix with their acceptors' versions (key-lister.ts `versionScanner`). */
  readonly scanVersions: (prefix: string) => Promise<VersionScan>;
}

/** `GET /v1/watch?prefix=P[&since=ID]`. */
export function watchPrefixRoutes(registers: Pick<Registers, "read">, settings: PrefixWatchSettings): Route[] {
  return [{ pattern: "/v1/watch", methods: { GET: async (request) => watchPrefixRoute(registers, request, settings) }, operations: watchPrefixOperations["/v1/watch"] }];
}

async function watchPrefixRoute(registers: Pick<Registers, "read">, request: Request, settings: PrefixWatchSettings): Promise<Response> {
  const query = validate(WatchPrefixQuery, queryOf(new URL(request.url).searchParams));
  const prefix = query.prefix;
  const grant = grantOf(request);
  const scope = grant === undefined ? "all" : readableUnder(grant, prefix);
  if (scope !== "all" && scope.length === 0) throw new ApiError(403, "forbidden", `this token may not read any key under the prefix ${JSON.stringify(prefix)}`);
  const ranges = scope === "all" ? [prefix] : scope;
  const lastId = request.headers.get("last-event-id")?.trim();
  const resume: ResumePoint = lastId ? decodeResumeId(prefix, lastId) : query.since !== undefined ? decodeResumeId(prefix, query.since) : { kind: "exact", keys: new Map() };
  const held = resume.kind === "exact" ? new Map([...resume.keys].filter(([key]) => ranges.some((r) => key.startsWith(r)))) : new Map<string, number>();

  return eventStreamResponse(request, settings, ({ send, end }) => {
    if (resume.kind === "reset") send("event: reset\ndata: {}\n\n");
    const feed = new PrefixFeed(
      { scan: settings.scanVersions, read: (key) => registers.read(key), clock: settings.clock },
      (signal: PrefixSignal) => {
        if (signal.kind === "event") send(eventText(signal.event, encodeResumeId(prefix, feed.vector)));
        else if (signal.kind === "synced") send(`id: ${encodeResumeId(prefix, feed.vector)}\nevent: synced\ndata: ${JSON.stringify({ keys: signal.keys })}\n\n`);
        else {
          const error = { code: "too_many_keys", message: `more than the keys a watch follows are under the prefix ${JSON.stringify(prefix)}: watch a longer prefix` };
          send(`event: error\ndata: ${JSON.stringify({ error })}\n\n`);
          end();
        }
      },
      { ranges, recheckMs: settings.recheckMs, since: held, readConcurrency: READ_CONCURRENCY },
    );
    // Hints may come from other requests' contexts: they only fill a mailbox, which this request's own timer
    // empties (wait.ts says why).
    const mailbox = new Map<string, number>();
    const unsubscribe = settings.hints.subscribePrefix(prefix, (key, version) => mailbox.set(key, Math.max(version, mailbox.get(key) ?? 0)));
    let open = true;
    feed.start();
    void (async () => {
      while (open) {
        await settings.clock.timer(HINT_TICK_MS).fired;
        if (!open) return;
        for (const [key, version] of mailbox) feed.hint(key, version);
        mailbox.clear();
      }
    })();
    return () => {
      open = false;
      feed.stop();
      unsubscribe();
    };
  });
}
