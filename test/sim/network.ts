import { formatBallot } from "../../src/core/ballot.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { Transport } from "../../src/core/ports.js";
import type { AcceptorNode } from "./acceptor-node.js";
import { currentRequest, type Life } from "./clock.js";
import type { Rng } from "./rng.js";
import type { Scheduler } from "./scheduler.js";

/**
 * What happens to each message between a proposer and an acceptor, in either direction. Only requests are
 * duplicated: a call settles once, so a duplicated reply could never be observed.
 */
export interface LinkFaults {
  /** Probability that a message is lost. */
  readonly loss: number;
  /** Share of lost messages the caller sees as a failed call (an RPC error) instead of silence. */
  readonly lossAsError: number;
  /** Probability that a request is delivered twice (each copy with its own delay, so also reordered). */
  readonly duplicate: number;
  /** Usual one-way delay, uniform in [min, max] virtual ms; different delays reorder messages. */
  readonly delayMs: readonly [number, number];
  /** Probability of a far longer delay, so stale messages arrive rounds later. */
  readonly slow: number;
  readonly slowDelayMs: readonly [number, number];
}

export const CLEAN_LINKS: LinkFaults = {
  loss: 0,
  lossAsError: 0,
  duplicate: 0,
  delayMs: [1, 4],
  slow: 0,
  slowDelayMs: [0, 0],
};

/** A network split: the listed acceptors and proposers on one side, everyone else on the other. */
export interface Partition {
  readonly acceptors: ReadonlySet<number>;
  readonly proposers: ReadonlySet<string>;
}

/** A process that sends requests: a proposer (or the sim's broken reader) with its life. */
export interface Endpoint {
  readonly id: string;
  readonly life: Life;
}

const never = <T>() => new Promise<T>(() => {});

/**
 * Carries requests from proposers to acceptors and replies back, with seeded loss, delay, duplication, reordering,
 * partitions and acceptor crashes. A dead proposer's calls never settle (its code must never run on).
 */
export class Network {
  links: LinkFaults = CLEAN_LINKS;
  partition: Partition | null = null;
  readonly counts = { sent: 0, lost: 0, duplicated: 0, errors: 0 };
  /** When set, every delivery is described here (for replaying one seed by hand). */
  log: ((line: string) => void) | null = null;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
    readonly acceptors: readonly AcceptorNode[],
  ) {}

  /** The Transport port for `from`; `route` maps the proposer's acceptor index to a real one (a negative control). */
  transport(from: Endpoint, route: (index: number) => number = (i) => i): Transport {
    return { send: (index, request) => this.send(from, route(index), request) };
  }

  send(from: Endpoint, index: number, message: AcceptorRequest): Promise<AcceptorReply> {
    const acceptor = this.acceptors[index];
    if (acceptor === undefined) return Promise.reject(new Error(`no acceptor ${index}`));
    if (!from.life.isAlive) return never();
    this.counts.sent++;
    // A call made for a request that is cancelled later is delivered, but never completes.
    const request = currentRequest.getStore();
    const live = () => from.life.isAlive && request?.cancelled !== true;
    return new Promise((resolve, reject) => {
      const fail = () => {
        if (live()) reject(new Error("call failed"));
      };
      const incarnation = acceptor.incarnation;
      const copies = this.rng.chance(this.links.duplicate) ? 2 : 1;
      if (copies === 2) this.counts.duplicated++;
      for (let copy = 0; copy < copies; copy++) {
        if (this.lose(fail)) continue;
        this.scheduler.after(this.delay(), () => {
          if (this.cut(from.id, index) || acceptor.crashed || acceptor.incarnation !== incarnation) {
            if (this.rng.chance(this.links.lossAsError)) this.scheduler.after(this.delay(), fail);
            return;
          }
          acceptor.receive(message, (reply) => {
            this.log?.(`${from.id} -> a${index}: ${describeRequest(message)} => ${describeReply(reply)}`);
            this.answer(from, acceptor, reply, (r) => live() && resolve(r), fail);
          });
        });
      }
    });
  }

  private answer(
    to: Endpoint,
    acceptor: AcceptorNode,
    reply: AcceptorReply,
    resolve: (reply: AcceptorReply) => void,
    fail: () => void,
  ): void {
    if (this.lose(fail)) return;
    const incarnation = acceptor.incarnation;
    this.scheduler.after(this.delay(), () => {
      // Replies in flight die with the acceptor that sent them, and cannot cross a partition.
      if (!to.life.isAlive || this.cut(to.id, acceptor.index) || acceptor.incarnation !== incarnation) return;
      resolve(reply);
    });
  }

  /** Decides whether a message is lost; a lost message sometimes surfaces as a failed call. */
  private lose(fail: () => void): boolean {
    if (!this.rng.chance(this.links.loss)) return false;
    this.counts.lost++;
    if (this.rng.chance(this.links.lossAsError)) {
      this.counts.errors++;
      this.scheduler.after(this.delay(), fail);
    }
    return true;
  }

  private delay(): number {
    const [lo, hi] = this.rng.chance(this.links.slow) ? this.links.slowDelayMs : this.links.delayMs;
    return this.rng.between(lo, hi);
  }

  private cut(proposer: string, acceptor: number): boolean {
    const p = this.partition;
    return p !== null && p.acceptors.has(acceptor) !== p.proposers.has(proposer);
  }
}

export function describeRequest(r: AcceptorRequest): string {
  switch (r.type) {
    case "prepare":
      return `prepare ${r.key} ${formatBallot(r.ballot)}`;
    case "accept":
      return `accept ${r.key} ${formatBallot(r.ballot)} v${r.state?.version ?? 0} by ${r.state?.origin ?? "-"}${r.promiseNext ? ` promise ${formatBallot(r.promiseNext)}` : ""}`;
    case "peek":
      return `peek ${r.key}`;
    case "forget":
      return `forget ${r.key} ${formatBallot(r.ballot)}`;
    case "install":
      return `install epoch ${r.epoch} for ${r.vshards.length} vshards${r.floor ? ` floor v${r.floor.version}` : ""}`;
    case "list":
      return `list ${r.vshards.length} vshards after ${r.after ?? "-"}`;
    case "scan":
      return `scan ${JSON.stringify(r.prefix)} after ${r.after ?? "-"} limit ${r.limit}`;
    case "intents":
      return `intents after ${r.after ?? "-"} limit ${r.limit}`;
  }
}

export function describeReply(r: AcceptorReply): string {
  switch (r.type) {
    case "promised":
    case "peeked":
      return `${r.type} accepted ${formatBallot(r.accepted)} v${r.state?.version ?? 0} by ${r.state?.origin ?? "-"}`;
    case "accepted":
    case "forgotten":
    case "installed":
      return r.type;
    case "stale":
      return `stale: epoch ${r.epoch} served`;
    case "scanned":
      return `scanned ${r.keys.length} keys${r.full ? " (full)" : ""}`;
    case "intent-keys":
      return `${r.keys.length} keys with intents${r.full ? " (full)" : ""}`;
    case "listed":
      return `listed ${r.keys.length} keys${r.next === null ? "" : `, more after ${r.next}`}`;
    case "rejected":
      return `rejected promised ${formatBallot(r.promised)} accepted ${formatBallot(r.accepted)}`;
  }
}
