import { z } from "@hono/zod-openapi";
import { adminView } from "../core/layout/admin-view.js";
import { ACCEPTOR_COUNTS, parseChangeRequest, type ChangeRequest } from "../core/layout/change-request.js";
import type { Layout } from "../core/layout/layout.js";
import { LOCATION_HINTS } from "../core/layout/location-hint.js";
import { readLayout } from "../core/reconfig/config-register.js";
import type { Registers } from "../core/proposer.js";
import { errorReply, internal, unauthorized } from "./api-schemas.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import type { Method, Operation, Route } from "./route.js";
import { parseJson } from "./validation.js";

/** What the operator's routes need: the config register, the isolate's layout copy, and the reconfigurer. */
export interface LayoutAdmin {
  /** The root group's proposer (the config register). */
  readonly root: Registers;
  /** The layout of a cluster whose register was never written. */
  readonly initial: Layout;
  /** Called with every layout read, so the isolate's copy never lags what the operator was shown. */
  readonly seen: (layout: Layout) => void;
  /** Runs work after the response (the request's waitUntil). */
  readonly background: (work: Promise<unknown>) => void;
  /** Asks the reconfigurer to make sure a running change is worked on (called in the background of a read). */
  readonly nudge: () => Promise<void>;
  readonly start: (request: ChangeRequest) => Promise<
    { readonly ok: true; readonly change: number; readonly epoch: number } | { readonly ok: false; readonly code: string; readonly message: string }
  >;
}

const hint = z.enum(LOCATION_HINTS);
const AcceptorBody = z.object({ name: z.string(), locationHint: hint.nullable() });
const ChangeBody = z
  .object({
    id: z.number().int(),
    kind: z.enum(["groups", "acceptors", "replace"]),
    state: z.enum(["running", "done", "failed"]),
    step: z.enum(["joint", "catch-up", "final", "done"]),
    vshardsDone: z.number().int(),
    vshardsTotal: z.number().int(),
    keysCopied: z.number().int(),
    error: z.string().optional(),
  })
  .openapi("LayoutChange");
const LayoutBody = z
  .object({
    epoch: z.number().int(),
    vshards: z.number().int(),
    groups: z.array(z.object({ id: z.number().int(), acceptors: z.array(AcceptorBody) })),
    change: ChangeBody.nullable(),
  })
  .openapi("Layout");

/**
 * The request bodies, as documented. They are checked by `parseChangeRequest` (src/core/layout/change-request.ts),
 * which the simulator's reconfigurer uses too and which names the field at fault; a test checks that every example
 * here passes it.
 */
export const LayoutChangeBody = z
  .union([
    z.strictObject({ groups: z.number().int().min(1).openapi({ description: "Spread the vshards evenly over this many groups." }) }),
    z.strictObject({
      acceptors: z.number().int().refine((n) => ACCEPTOR_COUNTS.includes(n)).openapi({ description: "Every group to this N: 3, 5 or 7.", enum: [...ACCEPTOR_COUNTS] }),
      locationHints: z.array(hint.nullable()).optional().openapi({ description: "One per acceptor index (null: none)." }),
    }),
    z.strictObject({
      replace: z.strictObject({ group: z.number().int().min(0), index: z.number().int().min(0), locationHint: hint.optional() }),
    }),
  ])
  .openapi({ example: { groups: 32 } });

const StartedBody = z.object({ change: z.number().int(), epoch: z.number().int() }).openapi("LayoutChangeStarted");

const unavailable = errorReply("unavailable: the config register could not be read or written (no majority of the root group); retry after Retry-After.", {
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
});
const forbidden = errorReply("forbidden: the token is not an operator's (BALLOT_ADMIN_TOKENS, or a grant with admin).");

export const layoutOperations = {
  "/v1/admin/layout": {
    GET: {
      operationId: "getLayout",
      summary: "The layout: which group of acceptor objects holds each vshard, and the latest change",
      responses: {
        200: { description: "The layout as the config register holds it.", content: { "application/json": { schema: LayoutBody } } },
        401: unauthorized,
        403: forbidden,
        500: internal,
        503: unavailable,
      },
    },
    POST: {
      operationId: "changeLayout",
      summary: "Start a layout change (split into groups, change N and hints, replace an acceptor); it runs in the background",
      request: { body: { required: true, description: "Exactly one of groups, acceptors, replace.", content: { "application/json": { schema: LayoutChangeBody } } } },
      responses: {
        202: { description: "Started: follow it with GET /v1/admin/layout.", content: { "application/json": { schema: StartedBody } } },
        400: errorReply("invalid_json, invalid_argument (the body), or invalid_request (it does not fit the layout)."),
        401: unauthorized,
        403: forbidden,
        409: errorReply("change_in_progress: another change runs; wait until it is done."),
        413: errorReply("payload_too_large."),
        500: internal,
        503: unavailable,
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/**
 * `GET|POST /v1/admin/layout`: the operator's view of the layout and the way to change it. Served in production too;
 * the access guard lets only operators' tokens through.
 */
export function layoutRoutes(admin: LayoutAdmin): Route[] {
  return [
    {
      pattern: "/v1/admin/layout",
      methods: {
        GET: async () => {
          const read = await readLayout(admin.root, admin.initial);
          if (!read.ok) throw new ApiError(503, "unavailable", read.reason, {}, { "retry-after": "1" });
          admin.seen(read.value.layout);
          if (read.value.layout.change?.state === "running") {
            admin.background(admin.nudge().catch((error: unknown) => console.error(JSON.stringify({ msg: "reconfigurer nudge failed", error: String(error) }))));
          }
          return json(200, adminView(read.value.layout));
        },
        POST: async (request) => {
          const parsed = parseChangeRequest(parseJson(await readBody(request, 4096), 'the body must be JSON like {"groups": 32}'));
          if (!parsed.ok) throw new ApiError(400, "invalid_argument", parsed.error.message);
          const started = await admin.start(parsed.value);
          if (started.ok) return json(202, { change: started.change, epoch: started.epoch });
          if (started.code === "change_in_progress") throw new ApiError(409, "change_in_progress", started.message);
          if (started.code === "invalid_request") throw new ApiError(400, "invalid_request", started.message);
          throw new ApiError(503, "unavailable", started.message, {}, { "retry-after": "1" });
        },
      },
      operations: layoutOperations["/v1/admin/layout"],
    },
  ];
}
