/**
 * The simulator campaign behind `npm run sim` (see run.mjs): skipped unless SIM_SEEDS or SIM_SEED is set.
 *   SIM_SCENARIO  comma-separated scenario names (default: all, negative controls included)
 *   SIM_SEEDS     how many seeds per scenario, from SIM_FIRST_SEED (default 1)
 *   SIM_SEED      replay one seed: full violation reports, SIM_TRACE=file for a message trace, SIM_HISTORY=1
 */
import { writeFileSync } from "node:fs";
import { describe, it } from "vitest";
import { describeEvent } from "../lin/checker.js";
import { formatFailures, formatTable, runCampaign } from "./campaign.js";
import { replayCommand, runScenario } from "./run.js";
import { CONTROLS, SCENARIOS, findScenario, type Scenario } from "./scenarios.js";

const env = process.env;
const out = (text: string) => process.stdout.write(`${text}\n`);
const scenarios: readonly Scenario[] = env.SIM_SCENARIO ? env.SIM_SCENARIO.split(",").map((n) => findScenario(n.trim())) : [...SCENARIOS, ...CONTROLS];

describe.skipIf(env.SIM_SEEDS === undefined && env.SIM_SEED === undefined)("simulation campaign", () => {
  it.runIf(env.SIM_SEED !== undefined)("replays one seed", async () => {
    const seed = Number(env.SIM_SEED);
    let clean = true;
    for (const scenario of scenarios) {
      const lines: string[] = [];
      const report = await runScenario(scenario, seed, env.SIM_TRACE ? { log: (line) => lines.push(line) } : {});
      out(`scenario ${scenario.name} (${scenario.summary}), seed ${seed}`);
      out(`  ${JSON.stringify(report.counts)}`);
      out(`  paths taken: ${JSON.stringify(report.paths)}`);
      out(`  messages: ${JSON.stringify(report.messages)}`);
      if (report.gc !== null) out(`  garbage collector: ${JSON.stringify(report.gc)}`);
      if (report.layout !== null) out(`  reconfigurer: ${JSON.stringify(report.layout)}, final epoch ${report.finalEpoch}`);
      out(`  virtual ${report.virtualMs} ms, ${report.events} events, history of ${report.history.length}, trace hash ${report.traceHash}`);
      if (env.SIM_TRACE) {
        const file = scenarios.length > 1 ? `${env.SIM_TRACE}.${scenario.name}` : env.SIM_TRACE;
        writeFileSync(file, `${lines.join("\n")}\n`);
        out(`  message trace: ${file}`);
      }
      if (env.SIM_HISTORY) {
        const events = [...report.history].sort((a, b) => a.key.localeCompare(b.key) || a.call - b.call);
        for (const e of events) out(`    ${describeEvent(e)}`);
      }
      if (report.inconclusive !== null) out(`  INCONCLUSIVE: ${report.inconclusive}`);
      for (const v of report.violations) out(`  VIOLATION [${v.invariant}] ${v.message}`);
      if (report.violations.length === 0) out("  all invariants hold");
      if (report.violations.length > 0 && scenario.bug === null) clean = false;
      out(`  replay: ${replayCommand(scenario.name, seed)}`);
    }
    if (!clean) throw new Error("violations found (see above)");
  }, 3_600_000);

  it.runIf(env.SIM_SEED === undefined)("runs many seeds", async () => {
    const count = Number(env.SIM_SEEDS);
    const first = Number(env.SIM_FIRST_SEED ?? 1);
    const seeds = Array.from({ length: count }, (_, i) => first + i);
    out(`simulating ${scenarios.length} scenario(s) x ${count} seeds (${first}..${first + count - 1})`);
    const tallies = await runCampaign(scenarios, seeds, (t) =>
      out(`  ${t.scenario}: ${t.runs} runs, ${t.failedRuns} failed, ${(t.wallMs / 1000).toFixed(1)} s`),
    );
    out("");
    out(formatTable(tallies));
    const regular = tallies.filter((t) => findScenario(t.scenario).bug === null);
    const controls = tallies.filter((t) => findScenario(t.scenario).bug !== null);
    const failures = formatFailures(regular);
    if (failures) out(`\nFAILURES\n${failures}`);
    for (const t of controls) out(`negative control ${t.scenario}: caught in ${t.failedRuns} of ${t.runs} runs`);
    const failed = regular.filter((t) => t.failedRuns > 0 || t.inconclusive > 0).map((t) => t.scenario);
    const missed = controls.filter((t) => t.failedRuns === 0).map((t) => t.scenario);
    if (failed.length > 0) throw new Error(`violations or inconclusive checks in: ${failed.join(", ")} (see above)`);
    if (missed.length > 0) throw new Error(`negative controls never caught: ${missed.join(", ")}`);
  }, 24 * 3_600_000);
});
