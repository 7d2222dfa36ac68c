import { z } from "@hono/zod-openapi";
import { errorReply, internal, unauthorized } from "./api-schemas.js";
import { ApiError, json } from "./errors.js";
import type { Method, Operation, Route } from "./route.js";
import { validate } from "./validation.js";
import type { AcceptorProbe } from "../cluster/acceptor-probe.js";
import { SHARD_COUNT } from "../cluster/placement.js";

export type AcceptorHealth =
  | { readonly index: number; readonly ok: true; readonly latencyMs: number; readonly locationHint: string | null }
  | { readonly index: number; readonly ok: false; readonly latencyMs: number; readonly locationHint: string | null; readonly error: string };

export interface ShardHealth {
  readonly shard: number;
  readonly reachable: number;
  /** A majority of this shard's acceptors answered: its keys can be read and written. */
  readonly majority: boolean;
  readonly acceptors: readonly AcceptorHealth[];
}

/** `?shard=s`: one shard of `shards`, as 1 to 4 decimal digits. */
export function HealthQuery(shards: number) {
  const SHARD = { error: `shard must be an integer from 0 to ${shards - 1}` };
  const shard = z
    .string()
    .regex(/^\d{1,4}$/, SHARD)
    .refine((raw) => Number(raw) < shards, SHARD)
    .optional()
    .openapi({ param: { name: "shard", in: "query" }, description: "Probe this shard only.", type: "integer", minimum: 0, maximum: shards - 1, example: 3 });
  return z.object({ shard });
}

const AcceptorHealthBody = z.object({
  index: z.number().int(),
  ok: z.boolean(),
  latencyMs: z.number(),
  locationHint: z.string().nullable(),
  error: z.string().optional(),
});
const HealthBody = z
  .object({
    status: z.enum(["ok", "degraded", "unavailable"]),
    acceptors: z.number().int(),
    majority: z.number().int(),
    shards: z.array(z.object({ shard: z.number().int(), reachable: z.number().int(), majority: z.boolean(), acceptors: z.array(AcceptorHealthBody) })),
  })
  .openapi("Health");

/** The OpenAPI operation of the health route. */
export const healthOperations = {
  "/v1/health": {
    GET: {
      operationId: "health",
      summary: "Ping every acceptor (of one shard, or of all shards); shards are the layout's groups, by id",
      request: { query: HealthQuery(SHARD_COUNT) },
      responses: {
        200: { description: "Every probed shard has a reachable majority (status ok or degraded).", content: { "application/json": { schema: HealthBody } } },
        400: errorReply("invalid_argument: a bad shard."),
        401: unauthorized,
        500: internal,
        503: { description: "Some probed shard has no reachable majority (status unavailable).", content: { "application/json": { schema: HealthBody } } },
      },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/**
 * `GET /v1/health[?shard=s]`: pings every acceptor of one shard (or of every shard) and reports which answered and
 * how fast. 200 when every probed shard has a reachable majority (`status` "ok", or "degraded" if some acceptor is
 * down), 503 `unavailable` otherwise. Pings are read-only RPCs; they do not go through the proposer.
 */
export function healthRoutes(probe: AcceptorProbe, now: () => number = () => Date.now()): Route[] {
  const majority = Math.floor(probe.acceptors / 2) + 1;

  const hintsOf = (shard: number) => probe.groupHints?.(shard) ?? probe.locationHints;

  const pingOne = async (shard: number, index: number, hints: readonly (string | undefined)[]): Promise<AcceptorHealth> => {
    const locationHint = hints[index] ?? null;
    const started = now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${probe.timeoutMs} ms`)), probe.timeoutMs);
    });
    try {
      const { layout } = await Promise.race([probe.ping(shard, index), timeout]);
      if (layout !== null && layout !== probe.layout) {
        return { index, ok: false, latencyMs: now() - started, locationHint, error: `layout mismatch: acceptor has "${layout}"` };
      }
      return { index, ok: true, latencyMs: now() - started, locationHint };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { index, ok: false, latencyMs: now() - started, locationHint, error: message };
    } finally {
      clearTimeout(timer);
    }
  };

  const shardHealth = async (shard: number): Promise<ShardHealth> => {
    const hints = hintsOf(shard);
    // A group has its own N (a change to 5 acceptors makes groups of 5 while the others still have 3).
    const size = probe.groupHints === undefined ? probe.acceptors : hints.length;
    const acceptors = await Promise.all(Array.from({ length: size }, (_, i) => pingOne(shard, i, hints)));
    const reachable = acceptors.filter((a) => a.ok).length;
    return { shard, reachable, majority: reachable >= Math.floor(size / 2) + 1, acceptors };
  };

  return [
    {
      pattern: "/v1/health",
      methods: {
        GET: async (request) => {
          // The shards are the layout's groups: ids from 0, with gaps once a change retired some.
          const ids = probe.groupIds?.() ?? Array.from({ length: probe.shards }, (_, s) => s);
          const { shard } = validate(HealthQuery(Math.max(...ids) + 1), { shard: new URL(request.url).searchParams.get("shard") ?? undefined });
          if (shard !== undefined && !ids.includes(Number(shard))) {
            throw new ApiError(400, "invalid_argument", `shard must be one of the layout's groups: ${ids.length > 12 ? `${ids.slice(0, 12).join(", ")}, ...` : ids.join(", ")}`);
          }
          const shards = shard === undefined ? ids : [Number(shard)];
          const results = await Promise.all(shards.map(shardHealth));
          const healthy = results.every((s) => s.majority);
          const allUp = results.every((s) => s.reachable === s.acceptors.length);
          return json(healthy ? 200 : 503, {
            status: !healthy ? "unavailable" : allUp ? "ok" : "degraded",
            acceptors: probe.acceptors,
            majority,
            shards: results,
          });
        },
      },
      operations: healthOperations["/v1/health"],
    },
  ];
}
