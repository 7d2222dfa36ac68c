import { describe, expect, it } from "vitest";
import { handleRequest } from "../../src/core/acceptor.js";
import type { Ballot } from "../../src/core/ballot.js";
import { increment, write } from "../../src/core/change.js";
import type { Outcome } from "../../src/core/proposer.js";
import type { LineageEntry, Register } from "../../src/core/register.js";
import { Cluster } from "./harness.js";

const K = "counter";
const enc = (s: string) => new TextEncoder().encode(s);
const text = (r: Register) => (r === null || r.value === null ? null : new TextDecoder().decode(r.value));

/** Another proposer's accept, delivered straight to the acceptors listed. */
function acceptAt(cluster: Cluster, indexes: readonly number[], ballot: Ballot, value: string, version: number, lineage: LineageEntry[]) {
  const state = { version, value: enc(value), contentType: "text/plain", origin: lineage[0]!.origin, lineage };
  for (const i of indexes) {
    const reply = handleRequest(cluster.stores[i]!, { type: "accept", key: K, ballot, state });
    expect(reply.type, `accept at acceptor ${i}`).toBe("accepted");
  }
}

// The deterministic form of shared-counter-n3 seed 340 (test/sim/recovery-origins.test.ts). One request proposes two
// different candidates of the same version: the first (built on x's v2) reaches one acceptor; the next prepare hears
// a majority where y's v2 is the highest, recovery rightly says "lost", and the second candidate (built on y's v2)
// reaches nobody. Then z builds on the first candidate and gets chosen. Recovery finds the request's origin in z's
// lineage: the caller must be answered from the base of that first candidate ("20" + 1), not from the last base
// recorded for version 3 ("30" + 1, a state the increment was never applied to).
describe("proposer: recovery when one request proposed two candidates of one version", () => {
  it("answers from the base of the candidate the lineage names", async () => {
    const cluster = new Cluster(3);
    const { proposer: w } = cluster.proposer("w");
    const first = await cluster.clock.runUntil(w.change(K, write(enc("10"), "text/plain")));
    const wOrigin = first.kind === "applied" ? first.state!.origin : "";
    acceptAt(cluster, [1], { counter: 1_500, proposer: "x" }, "20", 2, [{ origin: "x:1", version: 2 }, { origin: wOrigin, version: 1 }]);
    acceptAt(cluster, [2], { counter: 1_600, proposer: "y" }, "30", 2, [{ origin: "y:1", version: 2 }, { origin: wOrigin, version: 1 }]);

    const { proposer: p, link } = cluster.proposer("p", { clockOffsetMs: 10_000 });
    let prepares = 0;
    let firstCandidate = "";
    link.rule = (i, request) => {
      if (request.type === "prepare" && i === 0) prepares++;
      const attempt = prepares;
      if (attempt === 1) {
        // Hears acceptors 0 and 1 (x's v2 is the highest); its accept reaches acceptor 1 only.
        if (request.type === "prepare") return i === 2 ? "hang" : "ok";
        if (request.type === "accept" && i === 1) firstCandidate = request.state?.origin ?? "";
        return request.type === "accept" && i === 1 ? "ok" : "fail";
      }
      if (attempt === 2) {
        // Hears acceptors 0 and 2 (y's v2 is the highest); its accept reaches nobody.
        if (request.type === "prepare") return i === 1 ? "hang" : "ok";
        return "fail";
      }
      if (attempt === 3 && request.type === "prepare" && i === 0) {
        // Meanwhile z builds its v4 on the first candidate (read at acceptor 1) and a majority accepts it.
        acceptAt(cluster, [0, 1], { counter: 50_000, proposer: "z" }, "22", 4, [
          { origin: "z:1", version: 4 },
          { origin: firstCandidate, version: 3 },
          { origin: "x:1", version: 2 },
          { origin: wOrigin, version: 1 },
        ]);
      }
      return "ok";
    };

    const outcome: Outcome = await cluster.clock.runUntil(p.change(K, increment(1)));
    expect(firstCandidate).not.toBe("");
    if (outcome.kind !== "applied") throw new Error(`expected applied, got ${JSON.stringify(outcome)}`);
    expect(text(outcome.state)).toBe("21");
    expect(outcome.state?.version).toBe(3);
    expect(text(outcome.previous)).toBe("20");
    // z's state, which holds the increment once, is what the key now holds everywhere the write-back reached.
    const { proposer: reader } = cluster.proposer("r", { clockOffsetMs: 60_000 });
    const read = await cluster.clock.runUntil(reader.read(K));
    expect(read.kind === "applied" ? text(read.state) : read.kind).toBe("22");
  });
});
