/** The skeleton (bench/skeleton) with counting acceptors and a /__bench/stats route, for the accounting phase. */
import skeleton, { SkeletonAcceptor as Base } from "../skeleton/worker.js";
import { countCall, countingSql, emptyCounts, sumCounts, takeCounts, type CountingEnv, type Counts } from "./counting.js";

type Env = CountingEnv<SkeletonAcceptor>;

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
    return Response.json(await sumCounts(env, url.searchParams.has("reset")));
  },
};
