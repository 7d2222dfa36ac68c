/** Ballot (src/index.ts, unchanged) with counting acceptors and a /__bench/stats route, for the accounting phase. */
import ballot, { Acceptor as BallotAcceptor } from "../../src/index.js";

export { Collector } from "../../src/index.js";
import type { AcceptorRequest } from "../../src/core/messages.js";
import { countCall, countingSql, emptyCounts, takeCounts, type Counts } from "./counting.js";

interface Env {
  ACCEPTOR: DurableObjectNamespace<Acceptor>;
  BALLOT_ACCEPTORS?: string;
  BALLOT_CLUSTER?: string;
}

export class Acceptor extends BallotAcceptor {
  private readonly counts: Counts;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.counts = emptyCounts();
    // The acceptor's rows live in its SqliteSlotStore, which keeps `ctx.storage.sql` as `sql`.
    const store = (this as unknown as { store: { sql: SqlStorage } }).store;
    store.sql = countingSql(store.sql, this.counts);
  }

  override handle(layout: string, requests: AcceptorRequest[]) {
    return countCall(this.counts, layout, requests, () => super.handle(layout, requests));
  }

  benchStats(reset: boolean): Counts {
    return takeCounts(this.counts, reset);
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__bench/stats") return ballot.fetch(request as never, env as never);
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
    void ctx;
    return Response.json(total);
  },
};
