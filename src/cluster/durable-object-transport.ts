import type { AcceptorReply, AcceptorRequest } from "../core/messages.js";
import type { Transport } from "../core/ports.js";
import type { Acceptor } from "../acceptor/acceptor-object.js";
import { acceptorObjectName, layoutOf, shardOf } from "./placement.js";

/** Reaches acceptor `index` of a key's shard by Durable Object RPC. */
export class DurableObjectTransport implements Transport {
  private readonly layout: string;
  /** Object ids by shard and index: plain values, derived by hashing names, so computed once per isolate. */
  private readonly ids = new Map<number, DurableObjectId>();

  constructor(
    private readonly namespace: DurableObjectNamespace<Acceptor>,
    private readonly cluster: string,
    acceptors: number,
    private readonly locationHints: readonly (DurableObjectLocationHint | undefined)[],
  ) {
    this.layout = layoutOf(acceptors);
  }

  async send(index: number, request: AcceptorRequest): Promise<AcceptorReply> {
    // Placed by the key's shard: messages without a key (a reconfiguration's) need the elastic layout (issue 19).
    if (!("key" in request)) throw new Error(`${request.type} has no key to place it by`);
    const replies = (await this.stub(shardOf(request.key), index).handle(this.layout, [request])) as AcceptorReply[];
    const reply = replies[0];
    if (reply === undefined) throw new Error("acceptor returned no reply");
    return reply;
  }

  /**
   * A stub per call: stubs are cheap, and one that met an error may stay broken, so they are not kept.
   */
  stub(shard: number, index: number): DurableObjectStub<Acceptor> {
    const slot = shard * 8 + index;
    let id = this.ids.get(slot);
    if (id === undefined) {
      id = this.namespace.idFromName(acceptorObjectName(this.cluster, shard, index));
      this.ids.set(slot, id);
    }
    const locationHint = this.locationHints[index];
    return locationHint === undefined ? this.namespace.get(id) : this.namespace.get(id, { locationHint });
  }
}
