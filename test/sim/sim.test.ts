/**
 * The CI budget of the deterministic simulator: a fixed set of seeds for every scenario, every negative control
 * caught, and exact replay. A failure prints its scenario, seed and the command that replays it.
 */
import { describe, expect, it } from "vitest";
import { SAFETY } from "./invariants.js";
import { describeFailure, replayCommand, runScenario } from "./run.js";
import { CONTROLS, SCENARIOS, findScenario } from "./scenarios.js";

/**
 * Seeds per scenario. On CI's two cores 200 seeds made this file 258 s of a 651 s suite and 120 made it 134 s of
 * 765 s; 80 keep the suite from growing past its time as the workerd tests grow. Every control is caught within
 * them (the seeds are fixed, so this holds on every run), and the campaigns of docs/correctness.md run 1,000 fresh
 * seeds a scenario.
 */
const CI_SEEDS = Array.from({ length: 80 }, (_, i) => 1 + i);
/**
 * The layout scenarios (issue 19) take about 45 ms a run: 40 seeds each keeps the whole budget near its time before
 * them. Their 1,000-seed campaigns are in docs/correctness.md.
 */
const LAYOUT_CI_SEEDS = CI_SEEDS.slice(0, 40);
const TIMEOUT_MS = 120_000;

describe("deterministic simulator", () => {
  it("replays a seed exactly, and another seed differently", async () => {
    const scenario = findScenario("chaos-n5");
    const [a, b, c] = [await runScenario(scenario, 7), await runScenario(scenario, 7), await runScenario(scenario, 8)];
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.counts).toEqual(a.counts);
    expect(b.events).toBe(a.events);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  describe.each(SCENARIOS.map((s) => ({ name: s.name, scenario: s })))("scenario $name", ({ scenario }) => {
    it(
      `holds every invariant for ${(scenario.layout === null ? CI_SEEDS : LAYOUT_CI_SEEDS).length} seeds`,
      async () => {
        const failures: string[] = [];
        let collected = 0;
        let changesDone = 0;
        for (const seed of scenario.layout === null ? CI_SEEDS : LAYOUT_CI_SEEDS) {
          const report = await runScenario(scenario, seed);
          collected += report.gc?.collected ?? 0;
          changesDone += report.layout?.changesDone ?? 0;
          if (report.inconclusive !== null) {
            failures.push(`inconclusive check, ${replayCommand(scenario.name, seed)}: ${report.inconclusive}`);
          }
          if (report.violations.length > 0) failures.push(describeFailure(report));
          if (failures.length >= 3) break;
        }
        expect(failures, failures.join("\n\n")).toEqual([]);
        // A GC scenario that never collects a key proves nothing about collection.
        if (scenario.gc !== null) expect(collected, `${scenario.name}: keys collected over the CI seeds`).toBeGreaterThan(0);
        // Every run must finish its changes (a liveness violation otherwise): at least one change per seed.
        if (scenario.layout !== null) expect(changesDone, `${scenario.name}: layout changes done`).toBeGreaterThanOrEqual(LAYOUT_CI_SEEDS.length);
      },
      TIMEOUT_MS,
    );
  });

  describe.each(CONTROLS.map((s) => ({ name: s.name, scenario: s })))("negative control $name", ({ scenario }) => {
    it(
      "is caught by a safety invariant",
      async () => {
        for (const seed of CI_SEEDS) {
          const report = await runScenario(scenario, seed);
          if (report.violations.some((v) => SAFETY.includes(v.invariant))) return;
        }
        throw new Error(`${scenario.name}: the broken piece passed all ${CI_SEEDS.length} seeds; the simulator proves nothing`);
      },
      TIMEOUT_MS,
    );
  });
});
