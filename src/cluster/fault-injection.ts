import type { AcceptorReply, AcceptorRequest } from "../core/messages.js";
import type { AcceptorRef } from "../core/layout/layout.js";
import type { Transport } from "../core/ports.js";
import type { NamedTransport } from "../core/routing/named-transport.js";

/**
 * Dev-only fault injection on the real call path Worker -> acceptor. A `FaultyTransport` sits around the
 * DurableObjectTransport, so the proposer meets an injected fault exactly as it would meet a real one: a rejected
 * call, a late answer, or no answer at all. It is only installed when DEV_ADMIN is "true"; otherwise the transport
 * is not wrapped and this code is never on the path.
 */
export type Fault =
  | { readonly mode: "none" }
  /** Every call fails at once. */
  | { readonly mode: "down" }
  /** Every call is delivered `ms` milliseconds late (then answered normally). */
  | { readonly mode: "slow"; readonly ms: number }
  /** No call is delivered and none is ever answered. */
  | { readonly mode: "hang" }
  /** A fraction `rate` (0 to 1) of calls fails at once; the rest pass. */
  | { readonly mode: "flaky"; readonly rate: number };

export type FaultMode = Fault["mode"];
export const FAULT_MODES: readonly FaultMode[] = ["none", "down", "slow", "hang", "flaky"];
const NONE: Fault = { mode: "none" };

/** The faults per acceptor index (all shards, all keys), held in the Worker isolate. */
export class FaultTable {
  private readonly faults = new Map<number, Fault>();

  constructor(readonly acceptors: number) {}

  get(index: number): Fault {
    return this.faults.get(index) ?? NONE;
  }

  set(index: number, fault: Fault): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.acceptors) throw new RangeError(`no acceptor ${index}`);
    if (fault.mode === "none") this.faults.delete(index);
    else this.faults.set(index, fault);
  }

  clear(): void {
    this.faults.clear();
  }

  /** Every acceptor index with its fault ("none" included), in index order. */
  list(): ({ acceptor: number } & Fault)[] {
    return Array.from({ length: this.acceptors }, (_, acceptor) => ({ acceptor, ...this.get(acceptor) }));
  }
}

export class InjectedFault extends Error {}

/**
 * Runs `call` as `fault` dictates. `down` and a flaky miss reject without calling; `hang` returns a promise that
 * never settles (the call is not made); `slow` makes the call after the delay.
 */
export function withFault<T>(fault: Fault, index: number, call: () => Promise<T>, random: () => number = Math.random): Promise<T> {
  switch (fault.mode) {
    case "none":
      return call();
    case "down":
      return Promise.reject(new InjectedFault(`injected fault: acceptor ${index} is down`));
    case "flaky":
      return random() < fault.rate ? Promise.reject(new InjectedFault(`injected fault: acceptor ${index} dropped a call`)) : call();
    case "hang":
      return new Promise<T>(() => {});
    case "slow":
      return new Promise<void>((resolve) => setTimeout(resolve, fault.ms)).then(call);
  }
}

/** A Transport decorator that applies the fault table to every call. */
export class FaultyTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly table: FaultTable,
    private readonly random: () => number = Math.random,
  ) {}

  send(index: number, request: AcceptorRequest): Promise<AcceptorReply> {
    return withFault(this.table.get(index), index, () => this.inner.send(index, request), this.random);
  }
}

/**
 * The acceptor index an object name ends with (`.../acceptor-<i>`, as every name of src/core/layout/object-names.ts
 * and the root group's do): the dev fault table is by index, so "acceptor 1 down" takes down acceptor 1 of every
 * group, as it took down acceptor 1 of every shard before layouts.
 */
export function acceptorIndexOf(name: string): number {
  const match = /\/acceptor-(\d+)$/.exec(name);
  return match === null ? -1 : Number(match[1]);
}

/** A NamedTransport decorator that applies the fault table to every call, by the object's acceptor index. */
export class FaultyNamedTransport implements NamedTransport {
  constructor(
    private readonly inner: NamedTransport,
    private readonly table: FaultTable,
    private readonly random: () => number = Math.random,
  ) {}

  send(acceptor: AcceptorRef, request: AcceptorRequest): Promise<AcceptorReply> {
    const index = acceptorIndexOf(acceptor.name);
    return withFault(this.table.get(index), index, () => this.inner.send(acceptor, request), this.random);
  }
}
