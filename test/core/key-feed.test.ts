import { describe, expect, it } from "vitest";
import type { Outcome } from "../../src/core/proposer.js";
import type { Register } from "../../src/core/register.js";
import { KeyFeed, type KeyEvent } from "../../src/core/watch/key-feed.js";
import { flush, ManualClock } from "./manual-clock.js";

const stats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };
const state = (version: number, value: string | null = `v${version}`): Register => ({
  version,
  value: value === null ? null : new TextEncoder().encode(value),
  contentType: "text/plain",
  origin: `o${version}`,
});

/** A register whose reads the test answers one by one. */
class Reads {
  readonly pending: ((outcome: Outcome) => void)[] = [];
  read = (): Promise<Outcome> => new Promise((resolve) => this.pending.push(resolve));
  answer(register: Register): void {
    this.pending.shift()!({ kind: "applied", state: register, previous: register, stats });
  }
  fail(): void {
    this.pending.shift()!({ kind: "unavailable", reason: "no majority", stats });
  }
}

function feed(since = 0) {
  const reads = new Reads();
  const clock = new ManualClock();
  const events: KeyEvent[] = [];
  const f = new KeyFeed("k", reads, clock, (e) => events.push(e), { recheckMs: 1000, since });
  return { reads, clock, events, f };
}

describe("KeyFeed", () => {
  it("emits only versions above the last one, from reads (never from hints)", async () => {
    const { reads, events, f } = feed(2);
    f.start();
    await flush();
    reads.answer(state(2)); // what the watcher had: nothing to send
    await flush();
    expect(events).toEqual([]);
    f.hint(5);
    await flush();
    reads.answer(state(4)); // the read is what counts, even below the hint's version
    await flush();
    expect(events.map((e) => [e.version, e.kind])).toEqual([[4, "put"]]);
    f.hint(4); // already delivered: no read
    await flush();
    expect(reads.pending).toHaveLength(0);
  });

  it("a hint during a read makes exactly one more read after it; a failed read sends nothing", async () => {
    const { reads, events, f } = feed();
    f.hint();
    f.hint(3);
    f.hint(3);
    await flush();
    expect(reads.pending).toHaveLength(1);
    reads.answer(state(1));
    await flush();
    expect(reads.pending).toHaveLength(1); // the coalesced second look
    reads.fail();
    await flush();
    expect(reads.pending).toHaveLength(0);
    expect(events.map((e) => e.version)).toEqual([1]);
  });

  it("rechecks on its own, so a lost hint delays an event by at most the period; deletes are delete events", async () => {
    const { reads, clock, events, f } = feed();
    f.start();
    await flush();
    reads.answer(null); // never written: nothing
    await flush();
    await clock.advance(999);
    expect(reads.pending).toHaveLength(0);
    await clock.advance(1);
    reads.answer(state(7, null));
    await flush();
    expect(events.map((e) => [e.version, e.kind])).toEqual([[7, "delete"]]);
    f.stop();
    await clock.advance(5000);
    expect(reads.pending).toHaveLength(0);
  });
});
