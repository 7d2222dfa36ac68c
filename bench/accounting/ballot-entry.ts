/** Ballot (src/index.ts, unchanged) with counting acceptors and a /__bench/stats route, for the accounting phase. */
import ballot, { Acceptor as BallotAcceptor } from "../../src/index.js";

export { Collector } from "../../src/index.js";
import type { AcceptorRequest } from "../../src/core/messages.js";
import { countCall, countingSql, emptyCounts, sumCounts, takeCounts, type CountingEnv, type Counts } from "./counting.js";

type Env = CountingEnv<Acceptor>;

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

  /** Calls placed by the layout (every data call since the elastic layout): no layout string, an epoch per message. */
  override call(requests: AcceptorRequest[]) {
    return countCall(this.counts, "", requests, () => super.call(requests));
  }

  benchStats(reset: boolean): Counts {
    return takeCounts(this.counts, reset);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__bench/stats") return ballot.fetch(request as never, env as never);
    return Response.json(await sumCounts(env, url.searchParams.has("reset")));
  },
};
