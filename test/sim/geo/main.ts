/**
 * `npm run sim:geo`: the geo model (issue 21), every system x workload x client region, in virtual time. Prints the
 * tables, writes the figures to bench/results/geo.json and the chart to docs/geo-latency.svg. Exits 1 if a
 * nearest-majority check fails. Options: --ops N (per cell, default 200), --seed N (default 1), --no-write.
 */
import { writeFileSync } from "node:fs";
import { runModel, rttMatrix, CHECK_TOLERANCE_MS, SYSTEMS } from "./model.js";
import { fitted, SAME_REGION_RTT_MS, SITES } from "./regions.js";
import { JITTER, SERVICE_MS } from "./links.js";
import { formatChecks, formatNearestMajority, formatRecommendations, formatTables, formatWork, recommendations, svgChart } from "./report.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ops = option("--ops", 200);
const seed = option("--seed", 1);
const command = `npm run sim:geo${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`;
const root = process.env.GEO_ROOT ?? ".";

const started = Date.now();
const result = await runModel({ seed, ops, progress: (line) => process.stderr.write(`  ${line}\n`) });
const seconds = (Date.now() - started) / 1000;
const say = (text = "") => process.stdout.write(`${text}\n`);

say(`$ ${command}   (virtual time; seed ${seed}, ${ops} operations per cell, ${seconds.toFixed(1)} s)`);
say();
say(formatTables(result));
say();
say(formatWork(result));
say();
say(formatNearestMajority());
say();
say(formatRecommendations(result));
say();
say(formatChecks(result));

if (!args.includes("--no-write")) {
  const json = {
    command,
    date: new Date().toISOString(),
    seconds,
    seed,
    ops,
    model: {
      rttSource: "Latency Between AWS Global Regions (average ping), as tabulated in https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html; afr and me estimated by a distance fit",
      sites: SITES,
      sameRegionRttMs: SAME_REGION_RTT_MS,
      distanceFit: fitted,
      rttMs: rttMatrix(),
      jitter: JITTER,
      serviceMs: SERVICE_MS,
      checkToleranceMs: CHECK_TOLERANCE_MS,
    },
    systems: SYSTEMS,
    cells: result.cells,
    checks: result.checks,
    recommendations: recommendations(result),
  };
  writeFileSync(`${root}/bench/results/geo.json`, `${JSON.stringify(json, null, 1)}\n`);
  writeFileSync(`${root}/docs/geo-latency.svg`, svgChart(result, command));
  say();
  say("figures: bench/results/geo.json; chart: docs/geo-latency.svg");
}
if (result.checks.some((c) => !c.pass)) process.exit(1);
