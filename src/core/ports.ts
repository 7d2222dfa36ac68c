import type { AcceptorReply, AcceptorRequest } from "./messages.js";

/**
 * The proposer's only ways to reach the world. workerd plugs in Durable Object RPC and real timers; the simulator
 * plugs in a seeded message queue and a virtual clock, and runs the very same proposer code.
 */
export interface Transport {
  /** Deliver a request to acceptor `index` (0..N-1). Rejects when the call fails; may also never settle. */
  send(index: number, request: AcceptorRequest): Promise<AcceptorReply>;
}

export interface Timer {
  readonly fired: Promise<void>;
  /** Releases the timer early; `fired` then never settles. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds; only differences and a floor for ballots are taken from it. */
  now(): number;
  timer(ms: number): Timer;
}

export interface Random {
  /** A number in [0, 1). */
  next(): number;
}
