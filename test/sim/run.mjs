#!/usr/bin/env node
// `npm run sim -- [options]`: runs the deterministic simulator campaign (test/sim/campaign.test.ts) through vitest,
// which compiles the TypeScript; plain Node 20 cannot run it directly.
//   --scenario NAME[,NAME...]  scenarios to run (default: all, negative controls included)
//   --seeds N                  seeds per scenario (default 100), starting at --first-seed (default 1)
//   --seed X                   replay one seed and print every violation in full
//   --trace FILE               with --seed: write every message delivery and client operation to FILE
//   --history                  with --seed: print the client history
//   --lin-steps N              the linearizability checker's search budget per key (default 10,000,000), to decide
//                              a history it reported inconclusive
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const env = { ...process.env };
const usage = "usage: npm run sim -- [--scenario NAME[,NAME]] [--seeds N] [--first-seed N] [--seed X [--trace FILE] [--history]] [--lin-steps N]";

for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  const value = () => {
    const v = args[++i];
    if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
    return v;
  };
  switch (flag) {
    case "--scenario":
      env.SIM_SCENARIO = value();
      break;
    case "--seeds":
      env.SIM_SEEDS = value();
      break;
    case "--first-seed":
      env.SIM_FIRST_SEED = value();
      break;
    case "--seed":
      env.SIM_SEED = value();
      break;
    case "--trace":
      env.SIM_TRACE = resolve(value());
      break;
    case "--history":
      env.SIM_HISTORY = "1";
      break;
    case "--lin-steps":
      env.SIM_LIN_STEPS = value();
      break;
    case "--help":
    case "-h":
      console.log(usage);
      process.exit(0);
      break;
    default:
      console.error(`unknown option ${flag}\n${usage}`);
      process.exit(2);
  }
}
if (env.SIM_SEED === undefined) env.SIM_SEEDS ??= "100";

const result = spawnSync("npx", ["vitest", "run", "test/sim/campaign.test.ts", "--reporter=dot"], {
  cwd: root,
  env,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
