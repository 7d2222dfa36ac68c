import { formatBallot, maxBallot, type Ballot } from "../../src/core/ballot.js";
import { handleRequest, NO_FLOOR, type Floor, type KeyVersion, type Slot, type SlotStore } from "../../src/core/acceptor.js";
import type { AcceptorReply, AcceptorRequest } from "../../src/core/messages.js";
import type { Register } from "../../src/core/register.js";
import { compareKeys, inRange } from "../../src/core/listing/key-order.js";

/** The acceptor's rules: src/core's handleRequest, or a deliberately broken one for a negative control. */
export type AcceptorHandler = (store: SlotStore, request: AcceptorRequest) => AcceptorReply;

/**
 * Everything in a state (version, origin, value bytes and any other field): two accepts at one ballot must carry
 * equal fingerprints.
 */
export function fingerprint(state: Register): string {
  if (state === null) return "empty";
  return JSON.stringify(state, (_, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/**
 * Every (key, ballot, state) any acceptor ever stored. Invariant: one ballot never carries two different states
 * anywhere (so no two different states can be accepted by a majority at one ballot either).
 */
export class AcceptLog {
  private readonly byBallot = new Map<string, { acceptor: number; print: string }>();
  readonly conflicts: string[] = [];
  stored = 0;

  record(acceptor: number, key: string, ballot: Ballot, state: Register): void {
    const id = `${key}\u0000${formatBallot(ballot)}`;
    const print = fingerprint(state);
    const first = this.byBallot.get(id);
    if (first === undefined) {
      this.byBallot.set(id, { acceptor, print });
      this.stored++;
    } else if (first.print !== print && this.conflicts.length < 10) {
      this.conflicts.push(
        `key ${JSON.stringify(key)} ballot ${formatBallot(ballot)}: acceptor ${first.acceptor} stored {${first.print}}, ` +
          `acceptor ${acceptor} stored {${print}}`,
      );
    }
  }
}

/**
 * Durable slots in memory; they survive crashes (only in-flight messages are lost). Logs every accepted state.
 * Floors of forgotten rows are kept per bucket of keys (two buckets), so collected keys share a floor as in SQLite.
 */
class MemoryStore implements SlotStore {
  readonly slots = new Map<string, Slot>();
  readonly floors = new Map<number, Floor>();
  readonly epochs = new Map<number, number>();
  /** The floor every bucket has at least (raised by an install). */
  private baseFloor: Floor = NO_FLOOR;

  constructor(
    private readonly index: number,
    private readonly log: AcceptLog,
  ) {}

  read(key: string): Slot | undefined {
    return this.slots.get(key);
  }

  write(key: string, slot: Slot): void {
    this.slots.set(key, slot);
    if (slot.accepted !== null) this.log.record(this.index, key, slot.accepted, slot.state);
  }

  floor(key: string): Floor {
    return higherFloor(this.floors.get(bucketOf(key)) ?? NO_FLOOR, this.baseFloor);
  }

  minEpoch(vshard: number): number {
    return this.epochs.get(vshard) ?? 0;
  }

  highestEpoch(): number {
    return Math.max(0, ...this.epochs.values());
  }

  install(vshards: readonly number[], epoch: number, floor: Floor): void {
    for (const v of vshards) this.epochs.set(v, Math.max(this.minEpoch(v), epoch));
    this.baseFloor = higherFloor(this.baseFloor, floor);
  }

  keysAfter(after: string | null, limit: number): readonly string[] {
    return [...this.slots.keys()].filter((k) => after === null || k > after).sort().slice(0, limit);
  }

  keysUnder(prefix: string, after: string | null, limit: number): readonly KeyVersion[] {
    const keys = [...this.slots.keys()].filter((k) => inRange(k, prefix, after)).sort(compareKeys).slice(0, limit);
    return keys.map((key) => ({ key, version: this.slots.get(key)?.state?.version ?? 0 }));
  }

  keysWithIntents(after: string | null, limit: number): readonly string[] {
    const keys = [...this.slots].filter(([k, slot]) => slot.state?.intent !== undefined && (after === null || compareKeys(k, after) > 0)).map(([k]) => k);
    return keys.sort(compareKeys).slice(0, limit);
  }

  highestFloor(): Floor {
    return [...this.floors.values()].reduce(higherFloor, this.baseFloor);
  }

  remove(key: string, floor: Floor): void {
    this.slots.delete(key);
    const old = this.floor(key);
    this.floors.set(bucketOf(key), { ballot: maxBallot(old.ballot, floor.ballot), version: Math.max(old.version, floor.version) });
  }
}

function higherFloor(a: Floor, b: Floor): Floor {
  return { ballot: maxBallot(a.ballot, b.ballot), version: Math.max(a.version, b.version) };
}

function bucketOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % 2;
}

/**
 * One simulated acceptor. Crashed: it neither receives nor answers, and a restart bumps its incarnation so messages
 * in flight to or from the old one are lost. Stalled: it is alive but answers nothing until it resumes, then works
 * off the requests that queued up meanwhile (a long pause, a slow disk).
 */
export class AcceptorNode {
  readonly store: MemoryStore;
  incarnation = 0;
  crashed = false;
  private stalledQueue: (() => void)[] | null = null;

  constructor(
    readonly index: number,
    private readonly handler: AcceptorHandler,
    log: AcceptLog,
  ) {
    this.store = new MemoryStore(index, log);
  }

  get stalled(): boolean {
    return this.stalledQueue !== null;
  }

  crash(): void {
    this.crashed = true;
    this.incarnation++;
    this.stalledQueue = null; // queued requests die with the process
  }

  restart(): void {
    this.crashed = false;
  }

  stall(): void {
    if (!this.crashed) this.stalledQueue ??= [];
  }

  resume(): void {
    const queued = this.stalledQueue ?? [];
    this.stalledQueue = null;
    for (const work of queued) work();
  }

  /** Handles a request now, or when the stall ends; `answer` gets the reply. Dropped while crashed. */
  receive(request: AcceptorRequest, answer: (reply: AcceptorReply) => void): void {
    if (this.crashed) return;
    const work = () => answer(this.handler(this.store, request));
    if (this.stalledQueue !== null) this.stalledQueue.push(work);
    else work();
  }
}

export const correctAcceptor: AcceptorHandler = handleRequest;
