/**
 * A src/core bug the shared-counter scenario found (10 proposers incrementing one key): one request proposed two
 * different candidates with the same version. Its first accept (v18, built on p5's v17) reached one acceptor; its
 * next prepare found another v17 (p3's) at the majority it heard from, recovery said "lost" (v17 is at or below our
 * lowest candidate), and it proposed v18 again, built on p3's v17, under the same origin. Another proposer meanwhile
 * built on the first v18, which was chosen. The third prepare found our origin in the lineage at v18 and answered the
 * caller from the base recorded for version 18, which by then was p3's v17: the increment was reported on top of a
 * state it was never applied to (not linearizable).
 *
 *   npm run sim -- --scenario shared-counter-n3 --seed 340 --trace /tmp/t.txt --history   (key-0, c0's increment(2))
 *
 * Fixed in src/core/proposer.ts: every candidate of a request has an origin of its own (the request's, then `.2`,
 * `.3`, ...), and recovery answers from the base of the very candidate the lineage names.
 */
import { describe, expect, it } from "vitest";
import { describeFailure, runScenario } from "./run.js";
import { findScenario } from "./scenarios.js";

describe("recovery with two candidates of one version", () => {
  it("shared-counter-n3 seed 340 holds every invariant", async () => {
    const report = await runScenario(findScenario("shared-counter-n3"), 340);
    expect(report.violations, describeFailure(report)).toEqual([]);
  });
});
