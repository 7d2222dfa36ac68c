import type { Slot, SlotStore } from "../../src/core/acceptor.js";

/** An in-memory SlotStore that counts (and logs) its writes. */
export class MemoryStore implements SlotStore {
  readonly slots = new Map<string, Slot>();
  writes = 0;

  read(key: string): Slot | undefined {
    return this.slots.get(key);
  }

  write(key: string, slot: Slot): void {
    this.writes++;
    this.slots.set(key, slot);
  }

  /** A deep copy of the contents, to compare before and after. */
  snapshot(): Map<string, Slot> {
    return new Map([...this.slots].map(([k, v]) => [k, structuredClone(v)]));
  }
}
