import type { AcceptorReply, AcceptorRequest } from "../core/messages.js";
import type { Transport } from "../core/ports.js";
import type { Acceptor } from "../acceptor/acceptor-object.js";
import { acceptorObjectName, layoutOf, shardOf } from "./placement.js";

/** Reaches acceptor `index` of a key's shard by Durable Object RPC. */
export class DurableObjectTransport implements Transport {
  private readonly layout: string;

  constructor(
    private readonly namespace: DurableObjectNamespace<Acceptor>,
    private readonly cluster: string,
    acceptors: number,
    private readonly locationHints: readonly (DurableObjectLocationHint | undefined)[],
  ) {
    this.layout = layoutOf(acceptors);
  }

  async send(index: number, request: AcceptorRequest): Promise<AcceptorReply> {
    const replies = (await this.stub(shardOf(request.key), index).handle(this.layout, [request])) as AcceptorReply[];
    const reply = replies[0];
    if (reply === undefined) throw new Error("acceptor returned no reply");
    return reply;
  }

  stub(shard: number, index: number): DurableObjectStub<Acceptor> {
    const id = this.namespace.idFromName(acceptorObjectName(this.cluster, shard, index));
    const locationHint = this.locationHints[index];
    return locationHint === undefined ? this.namespace.get(id) : this.namespace.get(id, { locationHint });
  }
}
