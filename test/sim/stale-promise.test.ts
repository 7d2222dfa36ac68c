/**
 * Regression test for what the campaign's liveness invariant found first: a proposer whose piggybacked promise went
 * stale (another proposer changed the key twice since) answered its next write "unknown" although every acceptor
 * rejected the accept, so the write certainly did not apply. No faults at all. (Recovery by lineage fixed this case;
 * it still happens when the key moved more than LINEAGE_LENGTH versions: `npm run sim -- --scenario clean-n3 --seed 2`.)
 */
import { describe, expect, it } from "vitest";
import { write } from "../../src/core/change.js";
import type { Outcome, ProposerConfig } from "../../src/core/proposer.js";
import { Cluster } from "./cluster.js";
import { Rng } from "./rng.js";
import { Scheduler } from "./scheduler.js";

const CONFIG: ProposerConfig = {
  acceptors: 3,
  roundTimeoutMs: 40,
  deadlineMs: 400,
  backoff: { baseMs: 2, maxMs: 40 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 100,
  maxBatch: 16,
  pollMs: 1,
};

async function setup(piggyback: boolean) {
  const scheduler = new Scheduler();
  const cluster = new Cluster(
    { acceptors: 3, proposers: 2, config: { ...CONFIG, piggyback }, clockSkewMs: 0, bug: null },
    scheduler,
    new Rng(1),
  );
  const lines: string[] = [];
  cluster.network.log = (line) => lines.push(`${scheduler.now.toFixed(1).padStart(7)}  ${line}`);
  const settle = async (running: Promise<Outcome>): Promise<Outcome> => {
    let outcome: Outcome | undefined;
    void running.then((o) => (outcome = o));
    await scheduler.runUntil(() => outcome !== undefined, scheduler.now + 10_000);
    if (outcome === undefined) throw new Error("no outcome");
    return outcome;
  };
  const bytes = (s: string) => new TextEncoder().encode(s);
  const [p0, p1] = [cluster.node(0).proposer, cluster.node(1).proposer];
  expect((await settle(p0.change("k", write(bytes("a"), "text/plain")))).kind).toBe("applied");
  expect((await settle(p1.change("k", write(bytes("b"), "text/plain")))).kind).toBe("applied");
  expect((await settle(p1.change("k", write(bytes("c"), "text/plain")))).kind).toBe("applied");
  return { last: await settle(p0.change("k", write(bytes("d"), "text/plain"))), lines };
}

describe("a write after another proposer wrote the key twice, no faults", () => {
  it("is applied without piggybacked promises", async () => {
    const { last } = await setup(false);
    expect(last.kind).toBe("applied");
  });

  it("is applied with piggybacked promises, though the stale promise's accept is rejected by all", async () => {
    const { last, lines } = await setup(true);
    expect(last.kind, `${JSON.stringify(last)}\n${lines.join("\n")}`).toBe("applied");
  });
});
