/**
 * Virtual time and the event queue. Every timer, message and fault of a run is an event ordered by (time, sequence
 * number); the loop runs one event, then lets the promise reactions it caused run to completion before the next.
 * Nothing else in the simulator schedules macrotasks, so one seed always yields one interleaving.
 */

export interface Scheduled {
  cancel(): void;
}

interface Entry {
  readonly time: number;
  readonly seq: number;
  readonly action: () => void;
  cancelled: boolean;
}

/** Waits until the microtask queue is empty: setImmediate runs only after it drained. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Scheduler {
  private clock = 0;
  private seq = 0;
  private readonly heap: Entry[] = [];
  /** Events run so far; also a cheap fingerprint of the schedule (see trace). */
  executed = 0;
  private traceHash = 0x811c9dc5;

  get now(): number {
    return this.clock;
  }

  at(time: number, action: () => void): Scheduled {
    if (!Number.isFinite(time)) throw new Error(`event scheduled at ${time}`);
    const entry: Entry = { time: Math.max(time, this.clock), seq: this.seq++, action, cancelled: false };
    this.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  after(delay: number, action: () => void): Scheduled {
    return this.at(this.clock + delay, action);
  }

  /** A promise resolved `delay` virtual ms from now. */
  sleep(delay: number): Promise<void> {
    return new Promise((resolve) => this.after(delay, resolve));
  }

  /** Mixes a value into the run's trace hash (the schedule itself is always mixed in). */
  trace(value: number): void {
    let h = this.traceHash ^ (value >>> 0);
    h = Math.imul(h, 0x01000193);
    h ^= (value / 4294967296) >>> 0;
    this.traceHash = Math.imul(h, 0x01000193) >>> 0;
  }

  get hash(): number {
    return this.traceHash >>> 0;
  }

  /**
   * Runs events until `done()` holds (true), the queue is empty or the next event lies beyond `limit` (false; the
   * clock then stands at `limit`). `maxEvents` guards against a run that never quiesces.
   */
  async runUntil(done: () => boolean, limit: number, maxEvents = 5_000_000): Promise<boolean> {
    await settle();
    while (!done()) {
      const entry = this.pop();
      if (entry === undefined) return false;
      if (entry.time > limit) {
        this.push(entry);
        this.clock = Math.max(this.clock, limit);
        return false;
      }
      this.clock = entry.time;
      this.trace(Math.round(entry.time * 1000));
      this.trace(entry.seq);
      if (++this.executed > maxEvents) throw new Error(`simulation exceeded ${maxEvents} events`);
      entry.action();
      await settle();
    }
    return true;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** The earliest live event, skipping cancelled ones. */
  private pop(): Entry | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      if (!top.cancelled) return top;
    }
    return undefined;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
