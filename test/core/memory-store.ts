import { NO_FLOOR, type Floor, type KeyVersion, type Slot, type SlotStore } from "../../src/core/acceptor.js";
import { maxBallot } from "../../src/core/ballot.js";
import { compareKeys, inRange } from "../../src/core/listing/key-order.js";

function higherFloor(a: Floor, b: Floor): Floor {
  return { ballot: maxBallot(a.ballot, b.ballot), version: Math.max(a.version, b.version) };
}

/**
 * An in-memory SlotStore that counts its writes. Floors are kept per bucket; `bucketOf` groups keys (by default all
 * keys share one bucket, the harshest grouping for the floor rules).
 */
export class MemoryStore implements SlotStore {
  readonly slots = new Map<string, Slot>();
  readonly floors = new Map<string, Floor>();
  readonly epochs = new Map<number, number>();
  /** The floor every bucket has at least (raised by an install). */
  baseFloor: Floor = NO_FLOOR;
  writes = 0;

  constructor(private readonly bucketOf: (key: string) => string = () => "all") {}

  read(key: string): Slot | undefined {
    return this.slots.get(key);
  }

  write(key: string, slot: Slot): void {
    this.writes++;
    this.slots.set(key, slot);
  }

  floor(key: string): Floor {
    return higherFloor(this.floors.get(this.bucketOf(key)) ?? NO_FLOOR, this.baseFloor);
  }

  minEpoch(vshard: number): number {
    return this.epochs.get(vshard) ?? 0;
  }

  highestEpoch(): number {
    return Math.max(0, ...this.epochs.values());
  }

  install(vshards: readonly number[], epoch: number, floor: Floor): void {
    this.writes++;
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
    this.writes++;
    this.slots.delete(key);
    const old = this.floor(key);
    this.floors.set(this.bucketOf(key), { ballot: maxBallot(old.ballot, floor.ballot), version: Math.max(old.version, floor.version) });
  }

  /** A deep copy of the contents, to compare before and after. */
  snapshot(): Map<string, Slot> {
    return new Map([...this.slots].map(([k, v]) => [k, structuredClone(v)]));
  }
}
