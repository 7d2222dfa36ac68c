import { handleRequest } from "../../../src/core/acceptor.js";
import { compareAndSet, write, type Refusal } from "../../../src/core/change.js";
import { acquire, release } from "../../../src/core/lock.js";
import type { AcceptorReply, AcceptorRequest } from "../../../src/core/messages.js";
import type { Transport } from "../../../src/core/ports.js";
import { DEFAULT_PROPOSER_CONFIG, Proposer, type Outcome } from "../../../src/core/proposer.js";
import { versionOf } from "../../../src/core/register.js";
import { AcceptLog, AcceptorNode, correctAcceptor } from "../acceptor-node.js";
import { Life, ProcessClock } from "../clock.js";
import type { Rng } from "../rng.js";
import type { Scheduler } from "../scheduler.js";
import { Links, SERVICE_MS, SerialServer } from "./links.js";
import type { Region } from "./regions.js";

/** The three designs the model compares. */
export type SystemSpec =
  /** Ballot: the real src/core proposer at the client's PoP, acceptors where their hints put them. */
  | { readonly kind: "ballot"; readonly id: string; readonly label: string; readonly hints: readonly Region[]; readonly nearestPeeks: boolean }
  /** One Durable Object holding the key, in one region. */
  | { readonly kind: "one-do"; readonly id: string; readonly label: string; readonly region: Region }
  /**
   * One leader-based group (etcd, or one Raft group across regions): the PoP forwards to the leader (members[0]),
   * which replicates each change to a majority of members (its own log write included) before answering, and
   * answers a read after a heartbeat round confirms it still leads (etcd's ReadIndex).
   */
  | { readonly kind: "leader"; readonly id: string; readonly label: string; readonly members: readonly Region[] };

/** What an operation answered: whether it applied, the version it saw or made. */
export interface Answer {
  readonly ok: boolean;
  readonly version: number;
  /** Not an answer about the key: unavailable or unknown (retried by the workloads). */
  readonly failed?: boolean;
}

/** Storage work done by the system's objects: requests to them and rows read and written. */
export interface Work {
  requests: number;
  rowsRead: number;
  rowsWritten: number;
}

/** A key-value service as clients at a PoP see it. */
export interface Store {
  read(pop: Region, key: string): Promise<Answer>;
  write(pop: Region, key: string, value: string): Promise<Answer>;
  cas(pop: Region, key: string, expected: number, value: string): Promise<Answer>;
  /** Acquire a lock; `version` is the fencing token. */
  acquire(pop: Region, key: string, owner: string, ttlMs: number): Promise<Answer>;
  release(pop: Region, key: string, owner: string, token: number): Promise<Answer>;
  /** Work done by the objects (Durable Objects, or members' logs) so far for clients at `pop`. */
  workOf(pop: Region): Work;
}

/** Work counters per PoP. */
class WorkByPop {
  private readonly byPop = new Map<Region, Work>();

  of(pop: Region): Work {
    let work = this.byPop.get(pop);
    if (work === undefined) {
      work = { requests: 0, rowsRead: 0, rowsWritten: 0 };
      this.byPop.set(pop, work);
    }
    return work;
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
const sleep = (scheduler: Scheduler, ms: number) => scheduler.sleep(ms);

export function buildStore(spec: SystemSpec, scheduler: Scheduler, rng: Rng): Store {
  const links = new Links(rng.fork("links"));
  switch (spec.kind) {
    case "ballot":
      return new BallotStore(spec.hints, spec.nearestPeeks, scheduler, links, rng.fork("proposers"));
    case "one-do":
      return new OneObjectStore(spec.region, scheduler, links);
    case "leader":
      return new LeaderStore(spec.members, scheduler, links);
  }
}

function answerOf(outcome: Outcome): Answer {
  switch (outcome.kind) {
    case "applied":
      return { ok: true, version: versionOf(outcome.state) };
    case "refused":
      return { ok: false, version: versionOf(refusedAt(outcome.refusal)) };
    default:
      return { ok: false, version: 0, failed: true };
  }
}

function refusedAt(refusal: Refusal) {
  return "current" in refusal ? refusal.current : null;
}

/** Ballot over the geo links: the real proposer and acceptor rules; each acceptor a single-threaded object. */
class BallotStore implements Store {
  private readonly work = new WorkByPop();
  workOf = (pop: Region): Work => this.work.of(pop);
  private readonly nodes: AcceptorNode[];
  private readonly servers: SerialServer[];
  private readonly proposers = new Map<Region, Proposer>();

  constructor(
    private readonly hints: readonly Region[],
    private readonly nearestPeeks: boolean,
    private readonly scheduler: Scheduler,
    private readonly links: Links,
    private readonly rng: Rng,
  ) {
    const log = new AcceptLog();
    this.nodes = hints.map((_, i) => new AcceptorNode(i, correctAcceptor, log));
    this.servers = hints.map((region) => new SerialServer(region, scheduler));
  }

  /** The Worker at the client's PoP: one proposer (isolate) per PoP. */
  private proposer(pop: Region): Proposer {
    let proposer = this.proposers.get(pop);
    if (proposer === undefined) {
      const transport: Transport = { send: (i, request) => this.send(pop, i, request) };
      const config = {
        ...DEFAULT_PROPOSER_CONFIG,
        acceptors: this.hints.length,
        // Above the slowest quorum's round trip, as docs/operations.md advises across regions.
        roundTimeoutMs: 1_500,
        deadlineMs: 6_000,
        nearestPeeks: this.nearestPeeks,
      };
      proposer = new Proposer(`p-${pop}`, config, transport, new ProcessClock(this.scheduler, new Life()), this.rng.fork(pop));
      this.proposers.set(pop, proposer);
    }
    return proposer;
  }

  private send(pop: Region, index: number, request: AcceptorRequest): Promise<AcceptorReply> {
    const node = this.nodes[index] as AcceptorNode;
    const server = this.servers[index] as SerialServer;
    const work = this.work.of(pop);
    work.requests++;
    work.rowsRead++;
    const commits = request.type === "prepare" || request.type === "accept" || request.type === "forget";
    if (commits) work.rowsWritten++;
    return new Promise((resolve) => {
      this.scheduler.after(this.links.oneWayMs(pop, server.region), () => {
        void server
          .serve(commits ? SERVICE_MS.commit : SERVICE_MS.read, () => handleRequest(node.store, request))
          .then((reply) => this.scheduler.after(this.links.oneWayMs(server.region, pop), () => resolve(reply)));
      });
    });
  }

  async read(pop: Region, key: string): Promise<Answer> {
    return answerOf(await this.proposer(pop).read(key));
  }

  async write(pop: Region, key: string, value: string): Promise<Answer> {
    return answerOf(await this.proposer(pop).change(key, write(enc(value), "text/plain")));
  }

  async cas(pop: Region, key: string, expected: number, value: string): Promise<Answer> {
    return answerOf(await this.proposer(pop).change(key, compareAndSet(expected, enc(value), "text/plain")));
  }

  async acquire(pop: Region, key: string, owner: string, ttlMs: number): Promise<Answer> {
    return answerOf(await this.proposer(pop).change(key, acquire(owner, ttlMs, this.scheduler.now)));
  }

  async release(pop: Region, key: string, owner: string, token: number): Promise<Answer> {
    return answerOf(await this.proposer(pop).change(key, release(owner, token)));
  }
}

interface Held {
  version: number;
  owner?: string;
  expiresAt?: number;
}

/** The state machine one object (or a leader's log) applies: versions, compare-and-set and leases. */
class Registers {
  private readonly keys = new Map<string, Held>();

  get(key: string): Held {
    let held = this.keys.get(key);
    if (held === undefined) {
      held = { version: 0 };
      this.keys.set(key, held);
    }
    return held;
  }

  read(key: string): Answer {
    return { ok: true, version: this.get(key).version };
  }

  write(key: string): Answer {
    const held = this.get(key);
    held.version++;
    return { ok: true, version: held.version };
  }

  cas(key: string, expected: number): Answer {
    const held = this.get(key);
    if (held.version !== expected) return { ok: false, version: held.version };
    return this.write(key);
  }

  acquire(key: string, owner: string, ttlMs: number, now: number): Answer {
    const held = this.get(key);
    if (held.owner !== undefined && held.owner !== owner && (held.expiresAt ?? 0) > now) return { ok: false, version: held.version };
    held.version++;
    held.owner = owner;
    held.expiresAt = now + ttlMs;
    return { ok: true, version: held.version };
  }

  release(key: string, owner: string): Answer {
    const held = this.get(key);
    if (held.owner !== owner) return { ok: false, version: held.version };
    held.owner = undefined;
    return this.write(key);
  }
}

/** One Durable Object per key in one region: a request there, served, and back. */
class OneObjectStore implements Store {
  private readonly work = new WorkByPop();
  workOf = (pop: Region): Work => this.work.of(pop);
  private readonly server: SerialServer;
  private readonly registers = new Registers();

  constructor(
    region: Region,
    private readonly scheduler: Scheduler,
    private readonly links: Links,
  ) {
    this.server = new SerialServer(region, scheduler);
  }

  private async call(pop: Region, writes: boolean, work: () => Answer): Promise<Answer> {
    const counted = this.work.of(pop);
    counted.requests++;
    counted.rowsRead++;
    if (writes) counted.rowsWritten++;
    await sleep(this.scheduler, this.links.oneWayMs(pop, this.server.region));
    const answer = await this.server.serve(writes ? SERVICE_MS.commit : SERVICE_MS.read, work);
    // A refused change commits nothing, but the object has no way to know before it runs: counted as a write.
    await sleep(this.scheduler, this.links.oneWayMs(this.server.region, pop));
    return answer;
  }

  read(pop: Region, key: string) {
    return this.call(pop, false, () => this.registers.read(key));
  }
  write(pop: Region, key: string) {
    return this.call(pop, true, () => this.registers.write(key));
  }
  cas(pop: Region, key: string, expected: number) {
    return this.call(pop, true, () => this.registers.cas(key, expected));
  }
  acquire(pop: Region, key: string, owner: string, ttlMs: number) {
    return this.call(pop, true, () => this.registers.acquire(key, owner, ttlMs, this.scheduler.now));
  }
  release(pop: Region, key: string, owner: string) {
    return this.call(pop, true, () => this.registers.release(key, owner));
  }
}

/**
 * A leader-based group. Changes are applied in log order at the leader when they arrive (so compare-and-set and
 * leases are decided there), then the entry must be durable on a majority of members, the leader's own log write
 * included, before the answer leaves. A read confirms leadership with one heartbeat round to a majority first.
 */
class LeaderStore implements Store {
  private readonly work = new WorkByPop();
  workOf = (pop: Region): Work => this.work.of(pop);
  private readonly servers: SerialServer[];
  private readonly registers = new Registers();

  constructor(
    private readonly members: readonly Region[],
    private readonly scheduler: Scheduler,
    private readonly links: Links,
  ) {
    this.servers = members.map((region) => new SerialServer(region, scheduler));
  }

  private get leader(): SerialServer {
    return this.servers[0] as SerialServer;
  }

  /** Resolves once `needed` of the followers answered a message that costs `serviceMs` at each. */
  private followers(counted: Work, serviceMs: number, needed: number): Promise<void> {
    const leader = this.leader.region;
    return new Promise((resolve) => {
      let acks = 0;
      if (needed <= 0) resolve();
      for (const follower of this.servers.slice(1)) {
        counted.requests++;
        if (serviceMs > 0) counted.rowsWritten++;
        this.scheduler.after(this.links.oneWayMs(leader, follower.region), () => {
          void follower.serve(serviceMs, () => undefined).then(() =>
            this.scheduler.after(this.links.oneWayMs(follower.region, leader), () => {
              if (++acks === needed) resolve();
            }),
          );
        });
      }
    });
  }

  private async call(pop: Region, writes: boolean, work: () => Answer): Promise<Answer> {
    const leader = this.leader;
    const others = Math.floor(this.members.length / 2); // a majority, the leader being one of it
    await sleep(this.scheduler, this.links.oneWayMs(pop, leader.region));
    const counted = this.work.of(pop);
    counted.requests++;
    counted.rowsRead++;
    let answer: Answer;
    if (writes) {
      answer = work();
      counted.rowsWritten++;
      await Promise.all([leader.serve(SERVICE_MS.commit, () => undefined), this.followers(counted, SERVICE_MS.commit, others)]);
    } else {
      await this.followers(counted, 0, others);
      answer = await leader.serve(SERVICE_MS.read, work);
    }
    await sleep(this.scheduler, this.links.oneWayMs(leader.region, pop));
    return answer;
  }

  read(pop: Region, key: string) {
    return this.call(pop, false, () => this.registers.read(key));
  }
  write(pop: Region, key: string) {
    return this.call(pop, true, () => this.registers.write(key));
  }
  cas(pop: Region, key: string, expected: number) {
    return this.call(pop, true, () => this.registers.cas(key, expected));
  }
  acquire(pop: Region, key: string, owner: string, ttlMs: number) {
    return this.call(pop, true, () => this.registers.acquire(key, owner, ttlMs, this.scheduler.now));
  }
  release(pop: Region, key: string, owner: string) {
    return this.call(pop, true, () => this.registers.release(key, owner));
  }
}
