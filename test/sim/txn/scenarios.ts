import type { LinkFaults } from "../network.js";
import type { BankScenario } from "./bank.js";

const LOSSY: LinkFaults = { loss: 0.08, lossAsError: 0.3, duplicate: 0.1, delayMs: [1, 15], slow: 0.04, slowDelayMs: [40, 400] };
const LIGHT_LOSS: LinkFaults = { ...LOSSY, loss: 0.02, duplicate: 0.05, slow: 0.02 };

const BASE: BankScenario = {
  name: "bank",
  summary: "",
  shards: 3,
  acceptors: 3,
  proposers: 3,
  accounts: 6,
  initialBalance: 20,
  transferers: 4,
  readers: 2,
  plain: 2,
  thinkMs: [0, 20],
  faultyMs: 1500,
  faults: {},
  killCoordinator: 0.15,
  clockSkewMs: 100,
  sweepMinPeriodMs: 100,
  sweeperDeaths: 0.05,
  txn: { staleMs: 250, lockWaitMs: 60 },
};

export const BANK_SCENARIOS: readonly BankScenario[] = [
  { ...BASE, name: "bank-lossy-n3", summary: "loss, delay, duplication, reordering; proposers die mid-round; coordinators die at every step", faults: { links: LOSSY, proposerKills: 4 } },
  { ...BASE, name: "bank-crash-n3", summary: "acceptors crash and restart or stall; light loss; coordinators die at every step", faults: { links: LIGHT_LOSS, crashes: 4, stalls: 3, downMs: [20, 300] } },
  {
    ...BASE,
    name: "bank-partition-n5",
    summary: "N=5: minority and majority partitions, light loss, proposer deaths",
    acceptors: 5,
    faults: { links: LIGHT_LOSS, minorityPartitions: 3, majorityPartitions: 1, partitionMs: [50, 300], proposerKills: 3 },
  },
  {
    ...BASE,
    name: "bank-chaos-n3",
    summary: "everything at once, a quarter of the coordinators die, 8 accounts, skewed clocks",
    accounts: 8,
    transferers: 6,
    killCoordinator: 0.25,
    clockSkewMs: 300,
    faults: { links: LOSSY, crashes: 3, stalls: 2, downMs: [20, 250], minorityPartitions: 2, partitionMs: [50, 300], proposerKills: 6 },
  },
];

/** Negative controls: each breaks one piece and must be caught. */
export const BANK_CONTROLS: readonly BankScenario[] = [
  { ...BASE, name: "bug-commit-unchecked-intent", summary: "a placement takes a key whatever intent is there", bug: "commit-unchecked-intent", killCoordinator: 0.05, faults: {} },
  { ...BASE, name: "bug-read-pending-intent", summary: "a read answers a pending intent's next state", bug: "read-pending-intent", faults: {} },
  { ...BASE, name: "bug-single-round-snapshot", summary: "an atomic read of all accounts reads each once, unchecked", bug: "single-round-snapshot", killCoordinator: 0, faults: {} },
  { ...BASE, name: "bug-sweep-one-acceptor", summary: "the sweep asks acceptor 0 alone for the keys holding intents", bug: "sweep-one-acceptor", faults: {} },
];

export function findBankScenario(name: string): BankScenario {
  const found = [...BANK_SCENARIOS, ...BANK_CONTROLS].find((s) => s.name === name);
  if (found === undefined) throw new Error(`no bank scenario ${name}`);
  return found;
}

export function replayBankCommand(name: string, seed: number): string {
  return `SIM_TXN_SCENARIO=${name} SIM_TXN_SEED=${seed} npx vitest run --project node test/sim/txn.test.ts`;
}
