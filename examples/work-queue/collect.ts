/**
 * The job's output, checked: every result 1..N present exactly once with the right value, the summary counters
 * against the results, and who computed how many under which lease.
 *
 *   node dist/work-queue/collect.mjs [--job squares] [--tasks 1000] [--list]   # exit 0 when every check holds
 */
import { BallotError, createClient, type BallotClient } from "../../src/client/index.js";
import { doneKey, parseResult, resultKey, square, sumKey, sumOfSquares, type TaskResult } from "./keys.js";
import { UsageError, parseCollectOptions, type CollectOptions } from "./options.js";

export interface JobReport {
  readonly tasks: number;
  /** results[i - 1] is task i's stored record, or null when it has none (or an unreadable one). */
  readonly results: readonly (TaskResult | null)[];
  readonly missing: number[];
  /** Tasks whose stored value is not the square. */
  readonly wrong: number[];
  /** Sum of the stored values, and the summary counters as kept by increments. */
  readonly sumOfResults: number;
  readonly doneCounter: number;
  readonly sumCounter: number;
  /** How many results each worker recorded. */
  readonly byWorker: Readonly<Record<string, number>>;
  /** Every check held. */
  readonly ok: boolean;
}

export async function collect(client: BallotClient, job: string, tasks: number): Promise<JobReport> {
  const results: (TaskResult | null)[] = new Array<TaskResult | null>(tasks).fill(null);
  // A few reads in flight at once: fast enough for 1000 keys, gentle on a local server.
  let next = 1;
  const reader = async () => {
    for (let task = next++; task <= tasks; task = next++) results[task - 1] = parseResult((await client.getJSON(resultKey(job, task)))?.value, task);
  };
  await Promise.all(Array.from({ length: 8 }, reader));
  const counter = async (key: string) => Number((await client.getText(key))?.value ?? 0);

  const missing: number[] = [];
  const wrong: number[] = [];
  const byWorker: Record<string, number> = {};
  let sumOfResults = 0;
  results.forEach((result, i) => {
    if (result === null) return void missing.push(i + 1);
    if (result.value !== square(i + 1)) wrong.push(i + 1);
    sumOfResults += result.value;
    byWorker[result.worker] = (byWorker[result.worker] ?? 0) + 1;
  });
  const doneCounter = await counter(doneKey(job));
  const sumCounter = await counter(sumKey(job));
  const ok = missing.length === 0 && wrong.length === 0 && sumOfResults === sumOfSquares(tasks) && doneCounter === tasks && sumCounter === sumOfResults;
  return { tasks, results, missing, wrong, sumOfResults, doneCounter, sumCounter, byWorker, ok };
}

/** The report as a person reads it. */
export function describe(report: JobReport): string[] {
  const expected = sumOfSquares(report.tasks);
  const mark = (good: boolean) => (good ? "ok  " : "FAIL");
  const present = report.tasks - report.missing.length;
  const lines = [
    `${mark(report.missing.length === 0)} results present: ${present} of ${report.tasks}${report.missing.length ? ` (missing: ${report.missing.slice(0, 20).join(", ")})` : ""}`,
    `${mark(report.wrong.length === 0)} every value is the square of its task${report.wrong.length ? ` (wrong: ${report.wrong.slice(0, 20).join(", ")})` : ""}`,
    `${mark(report.sumOfResults === expected)} sum of results ${report.sumOfResults}, n(n+1)(2n+1)/6 = ${expected}`,
    // The counters are kept by increments of the winning writer only; they can fall short after an unknown outcome,
    // and a counter above the results would mean a task counted twice.
    `${mark(report.doneCounter === report.tasks)} summary/done ${report.doneCounter}, tasks ${report.tasks}${report.doneCounter > present ? " (counted twice!)" : ""}`,
    `${mark(report.sumCounter === report.sumOfResults)} summary/sum ${report.sumCounter}, sum of results ${report.sumOfResults}`,
    "results by worker:",
    ...Object.entries(report.byWorker)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([worker, n]) => `  ${worker}: ${n}`),
  ];
  lines.push(report.ok ? "every check holds" : "some checks FAILED");
  return lines;
}

export async function main(options: CollectOptions, log: (line: string) => void = (line) => console.log(line)): Promise<JobReport> {
  const client = createClient({ baseUrl: options.url, ...(options.token === undefined ? {} : { token: options.token }) });
  const report = await collect(client, options.job, options.tasks);
  // Tokens order the leases of one task; across tasks they are not comparable (each lock counts on its own).
  if (options.list) for (const r of report.results) if (r !== null) log(`task ${r.task} = ${r.value} by ${r.worker} (lease token ${r.token})`);
  for (const line of describe(report)) log(line);
  return report;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  try {
    const report = await main(parseCollectOptions(process.argv.slice(2), process.env));
    process.exitCode = report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) console.error(`collect: ${error.message}`);
    else if (error instanceof BallotError) console.error(`collect: ${error.name} (${error.code}): ${error.message}`);
    else console.error(`collect: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
