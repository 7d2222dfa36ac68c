import { describe, expect, it } from "vitest";
import { CLEAN_LINKS, type LinkFaults } from "./network.js";
import { runLockScenario, type LockScenario } from "./locks.js";

const LOSSY: LinkFaults = { loss: 0.05, lossAsError: 0.3, duplicate: 0.1, delayMs: [1, 12], slow: 0.03, slowDelayMs: [40, 300] };

const BASE: LockScenario = {
  name: "locks-n3",
  acceptors: 3,
  proposers: 3,
  contenders: 8,
  clockSkewMs: 0,
  links: LOSSY,
  killProposer: 0.03,
  holderCrash: 0.05,
  durationMs: 1500,
  ttlMs: [30, 120],
};

const SCENARIOS: LockScenario[] = [
  BASE,
  { ...BASE, name: "locks-n5", acceptors: 5, proposers: 4 },
  { ...BASE, name: "locks-clean-many", links: CLEAN_LINKS, contenders: 24, killProposer: 0.01 },
  // Skewed clocks may break mutual exclusion, never the fencing order: only the token check applies.
  { ...BASE, name: "locks-skewed-clocks", clockSkewMs: 200 },
];

const SEEDS = Number(process.env.SIM_LOCK_SEEDS ?? 40);

describe("locks under the simulator", () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: tokens strictly increase${scenario.clockSkewMs === 0 ? " and leases never overlap" : ""} (${SEEDS} seeds)`, async () => {
      let grants = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const report = await runLockScenario(scenario, seed);
        grants += report.grants.length;
        expect(report.violations, `${scenario.name} seed ${seed}`).toEqual([]);
      }
      // The runs really contend: many distinct acquisitions happened.
      expect(grants).toBeGreaterThan(SEEDS * 5);
    }, 120_000);
  }

  for (const bug of ["fast-clock", "reused-token"] as const) {
    it(`negative control ${bug} is caught`, async () => {
      let caught = 0;
      for (let seed = 1; seed <= 20; seed++) {
        const report = await runLockScenario({ ...BASE, name: bug, bug, links: CLEAN_LINKS }, seed);
        if (report.violations.length > 0) caught++;
      }
      expect(caught).toBeGreaterThan(0);
    }, 120_000);
  }
});
