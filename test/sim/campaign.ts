import { describeFailure, runScenario, type RunReport } from "./run.js";
import type { Scenario } from "./scenarios.js";
import type { Invariant } from "./invariants.js";

export interface ScenarioTally {
  readonly scenario: string;
  runs: number;
  ops: number;
  unknown: number;
  unavailable: number;
  /** Runs with at least one violation. */
  failedRuns: number;
  /** Violations by invariant, over all runs. */
  readonly byInvariant: Map<Invariant, number>;
  inconclusive: number;
  /** Garbage collection (GC scenarios only, else null): collections run, and keys actually collected. */
  gc: { attempts: number; collected: number; runsCollecting: number } | null;
  /** Operations answered by the peek and piggyback fast paths, composed into a shared round, or after retries. */
  readonly paths: RunReport["paths"];
  wallMs: number;
  readonly failures: RunReport[];
}

/** Runs every scenario under every seed; keeps the first few failing reports per scenario. */
export async function runCampaign(
  scenarios: readonly Scenario[],
  seeds: readonly number[],
  onTally: (tally: ScenarioTally) => void = () => {},
): Promise<ScenarioTally[]> {
  const tallies: ScenarioTally[] = [];
  for (const scenario of scenarios) {
    const tally: ScenarioTally = {
      scenario: scenario.name,
      runs: 0,
      ops: 0,
      unknown: 0,
      unavailable: 0,
      failedRuns: 0,
      byInvariant: new Map(),
      inconclusive: 0,
      gc: scenario.gc === null ? null : { attempts: 0, collected: 0, runsCollecting: 0 },
      paths: { peek: 0, piggyback: 0, coalesced: 0, retried: 0 },
      wallMs: 0,
      failures: [],
    };
    const started = performance.now();
    for (const seed of seeds) {
      const report = await runScenario(scenario, seed);
      tally.runs++;
      tally.ops += report.counts.ops;
      tally.unknown += report.counts.unknown;
      tally.unavailable += report.counts.unavailable;
      if (report.inconclusive !== null) tally.inconclusive++;
      if (tally.gc !== null && report.gc !== null) {
        tally.gc.attempts += report.gc.attempts;
        tally.gc.collected += report.gc.collected;
        if (report.gc.collected > 0) tally.gc.runsCollecting++;
      }
      for (const k of Object.keys(tally.paths) as (keyof RunReport["paths"])[]) tally.paths[k] += report.paths[k];
      if (report.violations.length > 0) tally.failedRuns++;
      if ((report.violations.length > 0 || report.inconclusive !== null) && tally.failures.length < 3) {
        tally.failures.push(report);
      }
      for (const v of report.violations) tally.byInvariant.set(v.invariant, (tally.byInvariant.get(v.invariant) ?? 0) + 1);
    }
    tally.wallMs = performance.now() - started;
    tallies.push(tally);
    onTally(tally);
  }
  return tallies;
}

/** The campaign table: one row per scenario, plus a total. */
export function formatTable(tallies: readonly ScenarioTally[]): string {
  const header = ["scenario", "runs", "operations", "unknown", "unavailable", "failed runs", "violations", "inconclusive", "wall s", "peek/piggyback/coalesced/retried", "gc collected/tries (runs)"];
  const rows = tallies.map((t) => [
    t.scenario,
    String(t.runs),
    String(t.ops),
    String(t.unknown),
    String(t.unavailable),
    String(t.failedRuns),
    [...t.byInvariant].map(([k, n]) => `${k}:${n}`).join(" ") || "-",
    String(t.inconclusive),
    (t.wallMs / 1000).toFixed(1),
    `${t.paths.peek}/${t.paths.piggyback}/${t.paths.coalesced}/${t.paths.retried}`,
    t.gc === null ? "-" : `${t.gc.collected}/${t.gc.attempts} (${t.gc.runsCollecting})`,
  ]);
  const sum = (f: (t: ScenarioTally) => number) => String(tallies.reduce((s, t) => s + f(t), 0));
  rows.push([
    "TOTAL",
    sum((t) => t.runs),
    sum((t) => t.ops),
    sum((t) => t.unknown),
    sum((t) => t.unavailable),
    sum((t) => t.failedRuns),
    "",
    sum((t) => t.inconclusive),
    (tallies.reduce((s, t) => s + t.wallMs, 0) / 1000).toFixed(1),
    "",
    "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 || i === 6 || i === 9 || i === 10 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Failure details for the table's failing scenarios, each with its replay command. */
export function formatFailures(tallies: readonly ScenarioTally[]): string {
  return tallies
    .flatMap((t) => t.failures)
    .map(describeFailure)
    .join("\n\n");
}
