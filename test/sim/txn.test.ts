import { describe, expect, it } from "vitest";
import { runBank } from "./txn/bank.js";
import { BANK_CONTROLS, BANK_SCENARIOS, findBankScenario, replayBankCommand } from "./txn/scenarios.js";

// Multi-key transactions (issue 23), see txn/bank.ts and txn/check.ts. SIM_TXN_SEEDS=N seeds per scenario (CI: a
// few), SIM_TXN_FIRST_SEED to start elsewhere, SIM_TXN_ONLY=name to run one scenario; SIM_TXN_SCENARIO and
// SIM_TXN_SEED replay one run with its log.
const SEEDS = Number(process.env.SIM_TXN_SEEDS ?? "8");
const FIRST = Number(process.env.SIM_TXN_FIRST_SEED ?? "1");
const ONLY = process.env.SIM_TXN_ONLY;
const replay = process.env.SIM_TXN_SCENARIO;

describe.skipIf(replay !== undefined)("transactions: the bank under every fault", () => {
  for (const scenario of BANK_SCENARIOS.filter((s) => ONLY === undefined || s.name === ONLY)) {
    it(`${scenario.name}: ${scenario.summary}`, async () => {
      const sum = { transfers: 0, succeeded: 0, compareFailed: 0, unavailable: 0, conflicts: 0, unknown: 0, killed: 0, unknownApplied: 0, atomicReads: 0, plainOps: 0, sweptIntents: 0, sweeps: 0, sweeperDeaths: 0, wakes: 0, wakesLost: 0 };
      const killedAt: Record<string, number> = {};
      let clearedMs = 0;
      const started = Date.now();
      for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
        const report = await runBank(scenario, seed);
        if (report.violations.length > 0) {
          throw new Error(`${scenario.name} seed ${seed}: ${report.violations.length} violation(s)\n${report.violations.slice(0, 5).join("\n")}\nreplay: ${replayBankCommand(scenario.name, seed)}`);
        }
        for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += report.counts[k];
        for (const [step, n] of Object.entries(report.counts.killedAt)) killedAt[step] = (killedAt[step] ?? 0) + n;
        clearedMs = Math.max(clearedMs, report.counts.clearedMs);
      }
      console.log(`${scenario.name}: ${SEEDS} seeds from ${FIRST}, 0 violations, ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(sum)}, coordinators killed at ${JSON.stringify(killedAt)}, last wave's intents gone within ${clearedMs} ms at most`);
      // The runs must have done what they are about: transfers of every ending, atomic reads, swept leftovers.
      expect(sum.succeeded).toBeGreaterThan(SEEDS * 2);
      expect(sum.atomicReads).toBeGreaterThan(SEEDS);
      expect(sum.killed).toBeGreaterThan(0);
      if (SEEDS >= 20) expect(Object.keys(killedAt).sort()).toEqual(["begun", "committed", "intent-placed", "intent-resolved", "prepared"]);
    }, 3_600_000);
  }

  for (const control of BANK_CONTROLS.filter((s) => ONLY === undefined || s.name === ONLY)) {
    it(`${control.name} (negative control: ${control.summary}) is caught`, async () => {
      let caught = 0;
      const seeds = SEEDS;
      let example = "";
      // Which checkers caught it, in how many seeds each.
      const by = new Map<string, number>();
      for (let seed = FIRST; seed < FIRST + seeds; seed++) {
        const report = await runBank(control, seed);
        if (report.violations.length > 0) {
          caught++;
          example ||= `seed ${seed}: ${report.violations[0]}`;
          for (const tag of new Set(report.violations.map((v) => /^\[([a-z-]+)\]/.exec(v)?.[1] ?? "?"))) by.set(tag, (by.get(tag) ?? 0) + 1);
        }
      }
      console.log(`${control.name}: caught in ${caught} of ${seeds} seeds, by ${[...by].map(([t, n]) => `${t} ${n}`).join(", ")} (${example.split("\n")[0]})`);
      expect(caught).toBeGreaterThan(0);
    }, 3_600_000);
  }
});

describe.skipIf(replay === undefined)("transactions: replay one run", () => {
  it(`${replay} seed ${process.env.SIM_TXN_SEED}`, async () => {
    const report = await runBank(findBankScenario(replay!), Number(process.env.SIM_TXN_SEED ?? "1"), (line) => console.log(line));
    console.log(JSON.stringify(report, null, 2));
  }, 300_000);
});
