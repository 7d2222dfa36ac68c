import { describe, expect, it } from "vitest";
import { compareAndSet, increment, write } from "../../../src/core/change.js";
import { acquire } from "../../../src/core/lock.js";
import type { Registers } from "../../../src/core/proposer.js";
import { TxnRegisters } from "../../../src/core/txn/registers.js";
import { Cluster } from "../harness.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** The same single-key operations, through the proposer itself or through the transaction-aware registers. */
async function workload(cluster: Cluster, registers: Registers): Promise<void> {
  const run = <T>(p: Promise<T>) => cluster.clock.runUntil(p);
  await run(registers.change("a", write(enc("1"), "text/plain")));
  await run(registers.read("a"));
  await run(registers.change("a", compareAndSet(1, enc("2"), "text/plain")));
  await run(registers.change("a", increment(5)));
  await run(registers.read("a"));
  await run(registers.change("lock", acquire("me", 1_000, cluster.clock.now())));
  await run(registers.read("never-written"));
}

describe("transaction-aware registers on keys without intents", () => {
  it("send exactly the messages the proposer sends (same rounds, same messages)", async () => {
    const plain = new Cluster(3);
    const p = plain.proposer("p");
    await workload(plain, p.proposer);

    const wrapped = new Cluster(3);
    const w = wrapped.proposer("p");
    await workload(wrapped, new TxnRegisters(w.proposer, wrapped.clock, { staleMs: 1_000, pollMs: 1, deadlineMs: 1_000 }));

    const shape = (link: typeof p.link) => link.sent.map((s) => `${s.index} ${s.request.type} ${"key" in s.request ? s.request.key : ""}`);
    expect(shape(w.link)).toEqual(shape(p.link));
    expect(w.link.sent.length).toBeGreaterThan(10);
    expect(wrapped.writes).toBe(plain.writes);
  });
});
