import type { AcceptorRef } from "../layout/layout.js";
import type { AcceptorReply, AcceptorRequest } from "../messages.js";

/**
 * Reaches one acceptor object by its name (and location hint). With a layout, a key's acceptors depend on the epoch,
 * not on the key alone, so the router names the object and the adapter only delivers.
 */
export interface NamedTransport {
  /** Rejects when the call fails; may also never settle. */
  send(acceptor: AcceptorRef, request: AcceptorRequest): Promise<AcceptorReply>;
}
