import { Proposer, type ProposerConfig } from "../../src/core/proposer.js";
import type { Layout } from "../../src/core/layout/layout.js";
import { ConfigRegisterCache } from "../../src/core/reconfig/config-register.js";
import { LayoutRouter } from "../../src/core/routing/layout-router.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { Transport } from "../../src/core/ports.js";
import { AcceptLog, AcceptorNode, correctAcceptor } from "./acceptor-node.js";
import { noFencingAcceptor, noFloorAcceptor, overwritingAcceptor, randomRoute, type Bug } from "./bugs.js";
import { firstLayout, ObjectDirectory, rootName } from "./layout.js";
import { Life, ProcessClock } from "./clock.js";
import { CLEAN_LINKS, Network, type Endpoint } from "./network.js";
import type { Rng } from "./rng.js";
import type { Scheduler } from "./scheduler.js";

export interface ClusterSpec {
  readonly acceptors: number;
  /** Proposers running at once; a killed one is replaced by a fresh one with a new id. */
  readonly proposers: number;
  readonly config: ProposerConfig;
  /** Each proposer's clock is off by up to this much (ballot counters take the clock as a floor). */
  readonly clockSkewMs: number;
  readonly bug: Bug | null;
  /** Proposers route by a layout read from a config register on a root group of 3 (issue 19); else by index. */
  readonly layouts?: boolean;
}

/** How an armed proposer dies on its next accept round. */
export type KillMode = "before-accept" | "after-one-accept";

export interface ProposerNode extends Endpoint {
  readonly proposer: Proposer;
  readonly transport: Transport;
  readonly clock: ProcessClock;
  killOnAccept: KillMode | null;
}

const never = <T>() => new Promise<T>(() => {});

/** Acceptors, the network between them and the proposers, and the proposers' lifecycle. */
export class Cluster {
  readonly log = new AcceptLog();
  readonly acceptors: AcceptorNode[];
  /** With layouts: acceptor nodes by object name (new names get new nodes), the first layout, the latest written. */
  readonly objects: ObjectDirectory;
  readonly firstLayout: Layout | null;
  /** What a proposer starting cold reads from the config register: the reconfigurer keeps it up to date. */
  published: Layout | null;
  readonly network: Network;
  private readonly slots: ProposerNode[] = [];
  private spawned = 0;
  /** Proposers inside their fatal accept round: the one acceptor index still reached (-1: none). */
  private readonly dying = new Map<ProposerNode, number>();

  constructor(
    readonly spec: ClusterSpec,
    readonly scheduler: Scheduler,
    private readonly rng: Rng,
  ) {
    const handler =
      spec.bug === "overwrite-accept" ? overwritingAcceptor
      : spec.bug === "gc-no-floor" ? noFloorAcceptor
      : spec.bug === "layout-no-fencing" ? noFencingAcceptor
      : correctAcceptor;
    this.acceptors = Array.from({ length: spec.acceptors }, (_, i) => new AcceptorNode(i, handler, this.log));
    this.network = new Network(scheduler, rng.fork("network"), this.acceptors);
    this.objects = new ObjectDirectory(() => {
      const node = new AcceptorNode(this.acceptors.length, handler, this.log);
      this.acceptors.push(node);
      return node.index;
    });
    this.firstLayout = spec.layouts ? firstLayout(spec.acceptors) : null;
    this.published = this.firstLayout;
    if (this.firstLayout !== null) {
      // The first group is nodes 0..N-1 (the faults' targets), the root group the next three.
      this.firstLayout.groups[0]!.acceptors.forEach((ref, i) => this.objects.bind(ref.name, i));
      for (let i = 0; i < 3; i++) this.objects.indexOf(rootName(i));
    }
    for (let slot = 0; slot < spec.proposers; slot++) this.slots.push(this.spawn());
  }

  get proposerSlots(): number {
    return this.slots.length;
  }

  /** The proposer currently serving `slot`. */
  node(slot: number): ProposerNode {
    return this.slots[slot % this.slots.length]!;
  }

  /** Kills the proposer of `slot` (its pending calls hang forever) and starts a fresh one with a new id. */
  kill(node: ProposerNode): void {
    const slot = this.slots.indexOf(node);
    if (slot >= 0) this.slots[slot] = this.spawn();
    node.life.kill();
  }

  /** Ends every fault: acceptors up, no partition, clean links, no armed kills. */
  heal(): void {
    for (const a of this.acceptors) {
      a.restart();
      a.resume();
    }
    this.network.partition = null;
    this.network.links = CLEAN_LINKS;
    for (const node of this.slots) node.killOnAccept = null;
  }

  private spawn(): ProposerNode {
    const n = this.spawned++;
    const rng = this.rng.fork(`proposer-${n}`);
    // Random-looking ids like production's, but fixed by the seed; they only break ballot ties.
    const id = `p${n}-${rng.uint32().toString(36)}`;
    const life = new Life();
    const clock = new ProcessClock(this.scheduler, life, rng.between(0, this.spec.clockSkewMs));
    const quorumOfOne = this.spec.bug === "quorum-1-of-3";
    const route = quorumOfOne ? randomRoute(rng.fork("route"), this.spec.acceptors) : undefined;
    const raw = this.network.transport({ id, life }, route);
    const config = quorumOfOne ? { ...this.spec.config, acceptors: 1 } : this.spec.config;
    let node!: ProposerNode;
    const transport: Transport = { send: (index, request) => this.sendArmed(node, index, request, raw) };
    const proposer = new Proposer(id, config, this.routing(id, transport, clock, rng), clock, rng.fork("proposer"));
    node = { id, life, clock, transport, proposer, killOnAccept: null };
    return node;
  }

  /**
   * Without layouts, the proposer's transport as is. With them, a router over a layout cache of its own (one per
   * isolate): it starts from what a cold start would read (the latest layout written) and then reloads only when an
   * acceptor refuses its epoch, through a proposer of the root group that lives and dies with it.
   */
  private routing(id: string, transport: Transport, clock: ProcessClock, rng: Rng): Transport | LayoutRouter {
    if (this.firstLayout === null) return transport;
    const root = this.rootProposer(`${id}-root`, transport, clock, rng.fork("root"));
    const cache = new ConfigRegisterCache(root, this.firstLayout, this.published ?? this.firstLayout);
    return new LayoutRouter(cache, this.objects.named(transport));
  }

  /** A proposer of the root group (the config register's), over `transport` to nodes by index. */
  rootProposer(id: string, transport: Transport, clock: ProcessClock, rng: Rng): Proposer {
    const root: Transport = { send: (i, request) => transport.send(this.objects.indexOf(rootName(i)), request) };
    return new Proposer(id, { ...this.spec.config, acceptors: 3 }, root, clock, rng);
  }

  /**
   * The transport of a proposer that may be armed to die at its next accept round: before sending any accept, or
   * after exactly one acceptor (chosen at random) got it. runRound sends to all acceptors synchronously, so the
   * death, queued as a microtask, lands right after the round's sends.
   */
  private sendArmed(node: ProposerNode, index: number, request: AcceptorRequest, raw: Transport): Promise<AcceptorReply> {
    if (request.type === "accept" && node.killOnAccept !== null && node.life.isAlive && !this.dying.has(node)) {
      const mode = node.killOnAccept;
      node.killOnAccept = null;
      const n = this.spec.bug === "quorum-1-of-3" ? 1 : this.spec.acceptors;
      this.dying.set(node, mode === "before-accept" ? -1 : this.rng.int(n));
      queueMicrotask(() => {
        this.dying.delete(node);
        this.kill(node);
      });
    }
    const lucky = this.dying.get(node);
    if (lucky !== undefined) return index === lucky ? raw.send(index, request) : never();
    return raw.send(index, request);
  }
}
