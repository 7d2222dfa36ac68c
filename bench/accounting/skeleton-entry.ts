/** The skeleton (bench/skeleton) with counting acceptors and a /__bench/stats route, for the accounting phase. */
import skeleton, { SkeletonAcceptor as Base } from "../skeleton/worker.js";
import { countCall, countingSql, emptyCounts, takeCounts, type Counts } from "./counting.js";

interface Env {
  ACCEPTOR: DurableObjectNamespace<SkeletonAcceptor>;
  BALLOT_ACCEPTORS?: string;
  BALLOT_CLUSTER?: string;
}

export class SkeletonAcceptor extends Base {
  private readonly counts: Counts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env as never);
    this.counts = emptyCounts();
    const self = this as unknown as { sql: SqlStorage };
    self.sql = countingSql(self.sql, this.counts);
  }

  override handle(layout: string, requests: Parameters<Base["handle"]>[1]) {
    return countCall(this.counts, layout, requests, () => super.handle(layout, requests));
  }

  benchStats(reset: boolean): Counts {
    return takeCounts(this.counts, reset);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__bench/stats") return skeleton.fetch(request, env as never);
    const total = emptyCounts();
    const n = Number(env.BALLOT_ACCEPTORS ?? "3");
    const cluster = env.BALLOT_CLUSTER ?? "main";
    for (let s = 0; s < 16; s++) {
      for (let i = 0; i < n; i++) {
        const stub = env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`${cluster}/shard-${s}/acceptor-${i}`));
        const c = (await stub.benchStats(url.searchParams.has("reset"))) as Counts;
        for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += c[k];
      }
    }
    return Response.json(total);
  },
};
