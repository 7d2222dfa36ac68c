import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { AcceptorReply, AcceptorRequest } from "../core/messages.js";
import type { Transport } from "../core/ports.js";

/**
 * The root group: N acceptor objects at fixed names that hold the config register (the layout) and nothing else. It
 * never moves (a layout cannot place the register that holds it), so it is reached by index, like the shards before
 * layouts, and its objects check the N they were created with: a Worker with another BALLOT_ACCEPTORS is refused
 * loudly rather than forming root quorums that do not intersect.
 */
export function rootAcceptorName(cluster: string, index: number): string {
  return `${cluster}/root/acceptor-${index}`;
}

export function rootLayoutOf(acceptors: number): string {
  return `ballot-root acceptors=${acceptors}`;
}

export class RootGroupTransport implements Transport {
  private readonly ids: DurableObjectId[];
  private readonly layout: string;

  constructor(
    private readonly namespace: DurableObjectNamespace<Acceptor>,
    cluster: string,
    acceptors: number,
    private readonly locationHints: readonly (DurableObjectLocationHint | undefined)[],
  ) {
    this.ids = Array.from({ length: acceptors }, (_, i) => namespace.idFromName(rootAcceptorName(cluster, i)));
    this.layout = rootLayoutOf(acceptors);
  }

  async send(index: number, request: AcceptorRequest): Promise<AcceptorReply> {
    const replies = (await this.stub(index).handle(this.layout, [request])) as AcceptorReply[];
    const reply = replies[0];
    if (reply === undefined) throw new Error("acceptor returned no reply");
    return reply;
  }

  stub(index: number): DurableObjectStub<Acceptor> {
    const id = this.ids[index];
    if (id === undefined) throw new RangeError(`no root acceptor ${index}`);
    const locationHint = this.locationHints[index];
    return locationHint === undefined ? this.namespace.get(id) : this.namespace.get(id, { locationHint });
  }
}
