import { NO_FLOOR, type Floor, type Slot, type SlotStore } from "../../src/core/acceptor.js";
import { maxBallot } from "../../src/core/ballot.js";

/**
 * An in-memory SlotStore that counts its writes. Floors are kept per bucket; `bucketOf` groups keys (by default all
 * keys share one bucket, the harshest grouping for the floor rules).
 */
export class MemoryStore implements SlotStore {
  readonly slots = new Map<string, Slot>();
  readonly floors = new Map<string, Floor>();
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
    return this.floors.get(this.bucketOf(key)) ?? NO_FLOOR;
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
