import { describe, expect, it } from "vitest";
import { findWatchScenario, replayWatchCommand, runWatchScenario, WATCH_CONTROLS, WATCH_SCENARIOS } from "./watch/watch-run.js";

// The notification path of list and watch (issue 20), see watch/watch-run.ts. SIM_WATCH_SEEDS=N for more seeds;
// SIM_WATCH_SCENARIO and SIM_WATCH_SEED replay one run and print its report.
const SEEDS = Number(process.env.SIM_WATCH_SEEDS ?? "40");
const FIRST = Number(process.env.SIM_WATCH_FIRST_SEED ?? "1");
const replay = process.env.SIM_WATCH_SCENARIO;

describe.skipIf(replay !== undefined)("watch: every event monotone, chosen and fresh", () => {
  for (const scenario of WATCH_SCENARIOS) {
    it(`${scenario.name}: ${scenario.summary}`, async () => {
      let events = 0;
      for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
        const report = await runWatchScenario(scenario, seed);
        if (report.violations.length > 0) throw new Error(`${report.violations.join("\n")}\nreplay: ${replayWatchCommand(scenario.name, seed)}`);
        events += report.events;
      }
      console.log(`${scenario.name}: ${SEEDS} seeds, ${events} events checked, 0 violations`);
      // The runs must have delivered something to check.
      expect(events).toBeGreaterThan(SEEDS * scenario.keys);
    }, 300_000);
  }

  for (const control of WATCH_CONTROLS) {
    it(`${control.name} is caught`, async () => {
      let caught = 0;
      for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
        const report = await runWatchScenario(control, seed);
        // Each control breaks one guarantee: trusting a hint, `chosen`; believing one acceptor's scan, `fresh`.
        const broken = control.bug === "scan-one" ? "fresh:" : "chosen:";
        if (report.violations.some((v) => v.startsWith(broken))) caught++;
      }
      console.log(`${control.name}: caught in ${caught} of ${SEEDS} seeds`);
      expect(caught).toBeGreaterThan(0);
    }, 300_000);
  }
});

describe.skipIf(replay === undefined)("watch: replay one run", () => {
  it(`${replay} seed ${process.env.SIM_WATCH_SEED}`, async () => {
    const report = await runWatchScenario(findWatchScenario(replay!), Number(process.env.SIM_WATCH_SEED ?? "1"));
    console.log(JSON.stringify(report, null, 2));
  }, 300_000);
});
