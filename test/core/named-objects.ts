import { handleRequest } from "../../src/core/acceptor.js";
import type { AcceptorRef } from "../../src/core/layout/layout.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { NamedTransport } from "../../src/core/routing/named-transport.js";
import { MemoryStore } from "./memory-store.js";

/** Acceptor objects by name, created on first use (as Durable Objects are); calls to names in `down` fail. */
export class Objects implements NamedTransport {
  readonly stores = new Map<string, MemoryStore>();
  readonly sent: { name: string; request: AcceptorRequest }[] = [];
  down = new Set<string>();

  store(name: string): MemoryStore {
    let store = this.stores.get(name);
    if (store === undefined) this.stores.set(name, (store = new MemoryStore()));
    return store;
  }

  send(acceptor: AcceptorRef, request: AcceptorRequest): Promise<AcceptorReply> {
    this.sent.push({ name: acceptor.name, request });
    if (this.down.has(acceptor.name)) return Promise.reject(new Error(`${acceptor.name} is down`));
    return Promise.resolve(handleRequest(this.store(acceptor.name), request));
  }

  install(names: readonly string[], vshards: readonly number[], epoch: number): void {
    for (const name of names) handleRequest(this.store(name), { type: "install", vshards, epoch });
  }

  count(type: AcceptorRequest["type"]): number {
    return this.sent.filter((s) => s.request.type === type).length;
  }
}

