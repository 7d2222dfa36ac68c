import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { AcceptorRef } from "../core/layout/layout.js";
import type { AcceptorReply, AcceptorRequest } from "../core/messages.js";
import type { NamedTransport } from "../core/routing/named-transport.js";

/**
 * Reaches an acceptor object of the layout by its name, with Durable Object RPC (`call`: fenced by the epoch each
 * message carries). The location hint only matters the first time an object is used anywhere: that is where it is
 * created.
 */
export class DurableObjectNamedTransport implements NamedTransport {
  /** Object ids by name: derived by hashing, so computed once per isolate (a layout names at most 2,000). */
  private readonly ids = new Map<string, DurableObjectId>();

  constructor(private readonly namespace: DurableObjectNamespace<Acceptor>) {}

  async send(acceptor: AcceptorRef, request: AcceptorRequest): Promise<AcceptorReply> {
    const replies = (await this.stub(acceptor).call([request])) as AcceptorReply[];
    const reply = replies[0];
    if (reply === undefined) throw new Error("acceptor returned no reply");
    return reply;
  }

  /** A stub per call: stubs are cheap, and one that met an error may stay broken, so they are not kept. */
  stub(acceptor: AcceptorRef): DurableObjectStub<Acceptor> {
    let id = this.ids.get(acceptor.name);
    if (id === undefined) {
      id = this.namespace.idFromName(acceptor.name);
      this.ids.set(acceptor.name, id);
    }
    return acceptor.locationHint === undefined ? this.namespace.get(id) : this.namespace.get(id, { locationHint: acceptor.locationHint });
  }
}
