import { ApiError, json } from "./errors.js";
import type { Route } from "./router.js";
import type { AcceptorProbe } from "../cluster/acceptor-probe.js";

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

/**
 * `GET /v1/health[?shard=s]`: pings every acceptor of one shard (or of every shard) and reports which answered and
 * how fast. 200 when every probed shard has a reachable majority (`status` "ok", or "degraded" if some acceptor is
 * down), 503 `unavailable` otherwise. Pings are read-only RPCs; they do not go through the proposer.
 */
export function healthRoutes(probe: AcceptorProbe, now: () => number = () => Date.now()): Route[] {
  const majority = Math.floor(probe.acceptors / 2) + 1;

  const pingOne = async (shard: number, index: number): Promise<AcceptorHealth> => {
    const locationHint = probe.locationHints[index] ?? null;
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
    const acceptors = await Promise.all(Array.from({ length: probe.acceptors }, (_, i) => pingOne(shard, i)));
    const reachable = acceptors.filter((a) => a.ok).length;
    return { shard, reachable, majority: reachable >= majority, acceptors };
  };

  return [
    {
      pattern: "/v1/health",
      methods: {
        GET: async (request) => {
          const raw = new URL(request.url).searchParams.get("shard");
          let shards: number[];
          if (raw === null) shards = Array.from({ length: probe.shards }, (_, s) => s);
          else {
            const shard = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
            if (!(shard < probe.shards)) {
              throw new ApiError(400, "invalid_argument", `shard must be an integer from 0 to ${probe.shards - 1}`);
            }
            shards = [shard];
          }
          const results = await Promise.all(shards.map(shardHealth));
          const healthy = results.every((s) => s.majority);
          const allUp = results.every((s) => s.reachable === probe.acceptors);
          return json(healthy ? 200 : 503, {
            status: !healthy ? "unavailable" : allUp ? "ok" : "degraded",
            acceptors: probe.acceptors,
            majority,
            shards: results,
          });
        },
      },
    },
  ];
}
