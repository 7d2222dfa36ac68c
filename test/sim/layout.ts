import type { ChangeRequest } from "../../src/core/layout/change-request.js";
import type { AcceptorRef, Layout } from "../../src/core/layout/layout.js";
import { validateLayout } from "../../src/core/layout/validate.js";
import { VSHARD_COUNT } from "../../src/core/layout/vshard.js";
import type { Transport } from "../../src/core/ports.js";
import type { NamedTransport } from "../../src/core/routing/named-transport.js";

/** Layout changes run by a reconfigurer during the faulty phase (issue 19). */
export interface LayoutSpec {
  /** Run one after another (chained); each is started once the previous one is done. */
  readonly changes: readonly ChangeRequest[];
  /** When the first change starts, in virtual ms from the start of the run. */
  readonly startMs: readonly [number, number];
  /** Pause between two steps of a change, and between two changes. */
  readonly pauseMs: readonly [number, number];
  /** Each step's chance of the reconfigurer dying during it (a fresh one resumes from the config register). */
  readonly crash: number;
  readonly restartMs: readonly [number, number];
  /** Each catch-up step's chance of crashing one object of a moving group meanwhile, for `downMs`. */
  readonly crashDuringCatchUp: number;
  readonly downMs: readonly [number, number];
  readonly roundTimeoutMs: number;
  /** Moving vshards per recorded catch-up step. */
  readonly vshardsPerStep: number;
}

export const SIM_CLUSTER = "sim";

/** Object names: the root group holds the config register; group 0 holds every vshard in epoch 1. */
export const rootName = (i: number) => `${SIM_CLUSTER}/root/acceptor-${i}`;
const firstGroupName = (i: number) => `${SIM_CLUSTER}/group-0/acceptor-${i}`;

/**
 * Epoch 1 of a simulated cluster: one group of N objects owning every vshard, so that the few keys of a workload
 * all live on it and every change moves some of them.
 */
export function firstLayout(n: number): Layout {
  const acceptors: AcceptorRef[] = Array.from({ length: n }, (_, i) => ({ name: firstGroupName(i) }));
  const layout: Layout = {
    epoch: 1,
    vshards: VSHARD_COUNT,
    cluster: SIM_CLUSTER,
    acceptors: n,
    locationHints: Array.from({ length: n }, () => null),
    nextGroupId: 1,
    groups: [{ id: 0, acceptors }],
    owners: [{ from: 0, to: VSHARD_COUNT, owner: { group: 0 }, since: 1 }],
    change: null,
  };
  const valid = validateLayout(layout);
  if (!valid.ok) throw new Error(`the simulator's first layout is invalid: ${valid.error.message}`);
  return layout;
}

/**
 * Acceptor objects by name over the simulated network: a name never seen gets a new acceptor node (created on
 * first use, as a Durable Object is).
 */
export class ObjectDirectory {
  private readonly indexes = new Map<string, number>();

  constructor(private readonly create: () => number) {}

  /** Binds a name to an existing node. */
  bind(name: string, index: number): void {
    this.indexes.set(name, index);
  }

  indexOf(name: string): number {
    let index = this.indexes.get(name);
    if (index === undefined) {
      index = this.create();
      this.indexes.set(name, index);
    }
    return index;
  }

  /** The names bound so far, with their nodes. */
  entries(): IterableIterator<[string, number]> {
    return this.indexes.entries();
  }

  named(transport: Transport): NamedTransport {
    return { send: (ref, request) => transport.send(this.indexOf(ref.name), request) };
  }
}
