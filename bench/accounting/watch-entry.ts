/**
 * Ballot (src/index.ts, unchanged) with every Durable Object request of the watch path counted, for bench/watch.mjs:
 * acceptor calls (`call` and `handle`, by the first message's type, root group apart), watch hub requests (the
 * subscribing WebSocket upgrades, `publish`, and the hibernation handlers), and the collector's `wake` and `alarm`.
 * `GET /__bench/stats[?reset]` answers the counts (and zeroes them with `reset`).
 *
 * The counts are module globals rather than fields of each object: in workerd the objects of a Worker's classes run
 * in that Worker's isolate, so one map sees them all, and an object evicted from memory (a hibernated hub) loses
 * nothing. A counter costs one increment: the timed cells run on this build too. The reconfigurer (layout changes
 * only) is not counted.
 */
import ballot, { Acceptor as BaseAcceptor, Collector as BaseCollector, WatchHub as BaseHub } from "../../src/index.js";

export { LayoutReconfigurer } from "../../src/index.js";
import type { AcceptorRequest } from "../../src/core/messages.js";

type Counts = Record<string, number>;
let counts: Counts = {};
const add = (name: string, n = 1) => {
  counts[name] = (counts[name] ?? 0) + n;
};

export class Acceptor extends BaseAcceptor {
  private readonly kind: string;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    // idFromName ids carry their name: the root group's objects are "<cluster>/root/acceptor-<i>".
    const name = (ctx.id as { name?: string }).name;
    this.kind = name === undefined ? "acceptor" : name.includes("/root/") ? "root" : "acceptor";
  }

  private count(requests: readonly AcceptorRequest[]) {
    add(`${this.kind}.calls`);
    add(`${this.kind}.messages`, requests.length);
    add(`${this.kind}.call.${requests[0]?.type ?? "empty"}`);
  }

  override handle(layout: string, requests: AcceptorRequest[]) {
    this.count(requests);
    return super.handle(layout, requests);
  }

  override call(requests: AcceptorRequest[]) {
    this.count(requests);
    return super.call(requests);
  }
}

export class WatchHub extends BaseHub {
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    add(url.searchParams.has("prefix") ? "hub.subscribe.prefix" : "hub.subscribe.key");
    return super.fetch(request);
  }

  override async publish(key: string, version: number): Promise<number> {
    add("hub.publish");
    const told = await super.publish(key, version);
    add("hub.sent", told);
    return told;
  }

  override async webSocketMessage(...args: Parameters<BaseHub["webSocketMessage"]>): Promise<void> {
    add("hub.webSocketMessage");
    return super.webSocketMessage(...args);
  }

  override async webSocketClose(...args: Parameters<BaseHub["webSocketClose"]>): Promise<void> {
    add("hub.webSocketClose");
    return super.webSocketClose(...args);
  }
}

export class Collector extends BaseCollector {
  override async wake(...args: Parameters<BaseCollector["wake"]>): Promise<void> {
    add("collector.wake");
    return super.wake(...args);
  }

  override async alarm(): Promise<void> {
    add("collector.alarm");
    return super.alarm();
  }
}

export default {
  async fetch(request: Request, env: never): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__bench/stats") return ballot.fetch(request as never, env);
    const out = counts;
    if (url.searchParams.has("reset")) counts = {};
    return Response.json(out);
  },
};
