import { describe, expect, it } from "vitest";
import { handleRequest } from "../../../src/core/acceptor.js";
import { increment, write } from "../../../src/core/change.js";
import type { Outcome } from "../../../src/core/proposer.js";
import { LINEAGE_LENGTH, type LineageEntry, type Register, type RegisterState } from "../../../src/core/register.js";
import { Cluster } from "../harness.js";

const K = "counter";
const enc = (s: string) => new TextEncoder().encode(s);
const text = (r: Register) => (r === null || r.value === null ? null : new TextDecoder().decode(r.value));

/**
 * Why the proposer's recovery orders states by (version, hidden) and not by version alone (register.ts positionOf).
 * A request's increment (v6 "11") is chosen, but its proposer hears no confirmation. Before it prepares again, other
 * transactions place and drop intents on the key eight times: invisible changes, all at v6, and the lineage (eight
 * entries) no longer names the increment. By versions alone the proposer would conclude "the current state is at or
 * below my candidate's version and not mine: lost", and apply the increment again (v7 "12": counted twice). By
 * positions, (6, 8) is above the candidate's (6, 0) and the lineage does not reach back to it: "unknown", honestly.
 */
describe("proposer: recovery across invisible changes (transactions' intents)", () => {
  it("never applies a change twice when intents pushed it out of the lineage", async () => {
    const cluster = new Cluster(3);
    const { proposer: w } = cluster.proposer("w");
    await cluster.clock.runUntil(w.change(K, write(enc("10"), "text/plain")));
    for (let i = 0; i < 4; i++) await cluster.clock.runUntil(w.change(K, increment(0)));

    const { proposer: p, link } = cluster.proposer("p", { clockOffsetMs: 10_000, config: { piggyback: false } });
    let prepares = 0;
    let ours: RegisterState | null = null;
    link.rule = (i, request) => {
      if (request.type === "prepare" && i === 0) prepares++;
      if (prepares === 1 && request.type === "accept") {
        // Stored by acceptors 0 and 1 (chosen), but every reply is lost.
        if (i < 2) handleRequest(cluster.stores[i]!, request);
        ours = request.state;
        return "fail";
      }
      if (prepares === 2 && request.type === "prepare" && i === 0 && ours !== null) {
        // Meanwhile, eight invisible changes on top of ours, accepted by everyone.
        let state: RegisterState = ours;
        for (let h = 1; h <= 8; h++) {
          const entry: LineageEntry = { origin: `t${h}:1`, version: 6, hidden: h };
          const { intent: _, ...rest } = state;
          state = {
            ...rest,
            hidden: h,
            ...(h % 2 === 1 ? { intent: { txn: `t${h}`, record: `\u0001txn:t${h}`, startedAt: 0, success: { kind: "keep" as const }, failure: { kind: "keep" as const } } } : {}),
            lineage: [entry, ...(state.lineage ?? [])].slice(0, LINEAGE_LENGTH),
          };
          for (const s of cluster.stores) handleRequest(s, { type: "accept", key: K, ballot: { counter: 20_000 + h, proposer: "t" }, state });
        }
      }
      return "ok";
    };

    const outcome: Outcome = await cluster.clock.runUntil(p.change(K, increment(1)));
    expect(ours).not.toBeNull();
    expect(ours!.version).toBe(6);
    expect(outcome.kind).toBe("unknown");
    const { proposer: reader } = cluster.proposer("r", { clockOffsetMs: 60_000 });
    const read = await cluster.clock.runUntil(reader.read(K));
    expect(read.kind === "applied" ? [read.state?.version, text(read.state)] : read.kind).toEqual([6, "11"]);
  });
});
