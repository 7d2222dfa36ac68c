/**
 * One worker of the job: claims tasks with a lock lease, computes them and records each result once. Run several
 * at once (see README.md); kill any of them at any time and the others finish its task after its lease expires.
 *
 *   node dist/work-queue/worker.mjs --id w1 [--job squares] [--tasks 1000] [--ttl-ms 2000] [--delay-ms 0]
 */
import { BallotError, LockHeld, OutcomeUnknown, PreconditionFailed, Unavailable, createClient, type BallotClient, type LockHandle } from "../../src/client/index.js";
import { doneKey, nextKey, parseResult, resultKey, square, sumKey, taskLock, type TaskResult } from "./keys.js";
import { UsageError, parseWorkerOptions, type WorkerOptions } from "./options.js";

/** What one worker did. */
export interface WorkerReport {
  /** Tasks whose result this worker's write created (the only ones it counted). */
  readonly won: number[];
  /** Tasks it computed but another worker had recorded first. */
  readonly lost: number[];
  /** Tasks whose summary increment had an unknown outcome: the counters may be missing them (never double). */
  readonly uncertain: number[];
}

type Attempt = "done" | "busy" | "won" | "lost";

export async function runWorker(options: WorkerOptions, log: (line: string) => void = (line) => console.log(line)): Promise<WorkerReport> {
  const client = createClient({ baseUrl: options.url, ...(options.token === undefined ? {} : { token: options.token }) });
  const { job, tasks, id } = options;
  const report: WorkerReport = { won: [], lost: [], uncertain: [] };

  // Finding work. A shared hint, kept by increment, hands out task numbers in order, so no worker scans 1..N while
  // there is fresh work. A number handed out twice is harmless (the lease and the create-if-absent write sort it out),
  // and a number skipped, or held by a worker that then died, is found by the sweep below.
  for (;;) {
    const task = await takeHint(client, job);
    if (task > tasks) break;
    await attempt(task);
  }
  // The sweep: every task without a result, from a random start so that workers spread out. A task whose lock is held
  // is retried after a pause: its holder either finishes it or dies and lets the lease expire. The done counter cuts
  // it short: it only counts distinct recorded results, so once it reaches N there is nothing left to look for (when
  // it falls short after an unknown outcome, the sweep itself is the fallback).
  const start = Math.floor(Math.random() * tasks);
  let pending = Array.from({ length: tasks }, (_, i) => ((start + i) % tasks) + 1);
  sweep: while (pending.length > 0) {
    const busy: number[] = [];
    for (const [i, task] of pending.entries()) {
      if (i % 50 === 0 && (await countedDone(client, job)) >= tasks) break sweep;
      if ((await attempt(task)) === "busy") busy.push(task);
    }
    pending = busy;
    if (pending.length > 0) await sleep(Math.min(500, options.ttlMs / 4));
  }
  log(`${id} finished: recorded ${report.won.length} result(s), lost ${report.lost.length} race(s), ${report.uncertain.length} uncertain count(s)`);
  return report;

  async function attempt(task: number): Promise<Attempt> {
    if ((await readResult(client, job, task)) !== null) return "done";
    let lease: LockHandle;
    try {
      // Renewed in the background while this process lives; a killed worker stops renewing and the lease expires.
      lease = await client.lock(taskLock(job, task), { owner: id, ttlMs: options.ttlMs, onLost: (reason) => log(`${id} lost the lease on task ${task}: ${reason.code}`) });
    } catch (error) {
      // Held by another worker, or no answer: come back to it later (an acquire that did land for us is re-entrant).
      if (error instanceof LockHeld || error instanceof Unavailable || error instanceof OutcomeUnknown) return "busy";
      throw error;
    }
    try {
      log(`${id} claimed task ${task} (lease token ${lease.token})`);
      // The previous holder may have recorded it between our first look and our acquire.
      const earlier = await readResult(client, job, task);
      if (earlier !== null) return "done";
      await sleep(options.delayMs);
      const value = square(task);
      // A lease lost while computing (a long pause) does not make the result wrong, but another worker may be on it
      // now: let it record the task. Were both to write, the create-if-absent write would still keep exactly one.
      if (!lease.held) return "busy";
      const record: TaskResult = { task, value, worker: id, token: lease.token };
      if (!(await recordOnce(client, resultKey(job, task), record))) {
        report.lost.push(task);
        log(`${id} computed task ${task} but another worker recorded it first`);
        return "lost";
      }
      report.won.push(task);
      log(`${id} recorded task ${task} = ${value} (lease token ${lease.token})`);
      if (!(await count(client, job, value))) {
        report.uncertain.push(task);
        log(`${id} summary increment for task ${task} had an unknown outcome: not retried`);
      }
      return "won";
    } finally {
      // A release refused because the lease already ended changes nothing.
      await lease.release().catch(() => undefined);
    }
  }
}

/** The next task number from the shared hint. */
async function takeHint(client: BallotClient, job: string): Promise<number> {
  for (;;) {
    try {
      return (await client.increment(nextKey(job))).value;
    } catch (error) {
      // Unavailable: not applied. OutcomeUnknown: maybe applied, and then that number is skipped; the sweep finds it.
      if (error instanceof Unavailable) await sleep(error.retryAfter * 1000);
      else if (!(error instanceof OutcomeUnknown)) throw error;
    }
  }
}

/**
 * Writes the result only if the task has none; true when this write is the one that created it. A create-if-absent
 * can be retried as is after OutcomeUnknown: if the first attempt landed, the retry is refused, and the stored record
 * says whose it is (worker and fencing token together name one lease, as tokens are never reused).
 */
async function recordOnce(client: BallotClient, key: string, record: TaskResult): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.putJSON(key, record, { ifAbsent: true });
      return true;
    } catch (error) {
      if (error instanceof PreconditionFailed) {
        const stored = parseResult((await client.getJSON(key))?.value, record.task);
        return stored !== null && stored.worker === record.worker && stored.token === record.token;
      }
      if (!(error instanceof Unavailable || error instanceof OutcomeUnknown) || attempt >= 20) throw error;
      await sleep(error instanceof Unavailable ? error.retryAfter * 1000 : 200);
    }
  }
}

/**
 * Adds one result to the summary; false if an increment's outcome is unknown. Only the worker whose write created the
 * result gets here, once per task, so a summary can never count a task twice through two workers. An increment is not
 * idempotent, and reading the counter after OutcomeUnknown cannot tell whether it landed (other workers move it too),
 * so it is never re-sent then: the counters may fall short (the collector says by how much, against the results,
 * which are the truth), but never count twice. A worker killed between its winning write and these increments leaves
 * them short the same way. Unavailable means not applied, so that one is retried.
 */
async function count(client: BallotClient, job: string, value: number): Promise<boolean> {
  let certain = true;
  for (const [key, by] of [[doneKey(job), 1], [sumKey(job), value]] as const) {
    for (;;) {
      try {
        await client.increment(key, by);
        break;
      } catch (error) {
        if (error instanceof OutcomeUnknown) {
          certain = false;
          break;
        }
        if (!(error instanceof Unavailable)) throw error;
        await sleep(error.retryAfter * 1000);
      }
    }
  }
  return certain;
}

/** The summary's done counter (0 when it cannot be read now: the sweep then just goes on). */
async function countedDone(client: BallotClient, job: string): Promise<number> {
  try {
    return Number((await client.getText(doneKey(job)))?.value ?? 0);
  } catch (error) {
    if (error instanceof Unavailable) return 0;
    throw error;
  }
}

async function readResult(client: BallotClient, job: string, task: number): Promise<TaskResult | null> {
  for (;;) {
    try {
      const entry = await client.getJSON(resultKey(job, task));
      return entry === null ? null : parseResult(entry.value, task);
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      await sleep(error.retryAfter * 1000);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  try {
    await runWorker(parseWorkerOptions(process.argv.slice(2), process.env));
  } catch (error) {
    // One line, no stack trace: a usage mistake, or a Ballot error with its code.
    if (error instanceof UsageError) console.error(`worker: ${error.message}`);
    else if (error instanceof BallotError) console.error(`worker: ${error.name} (${error.code}): ${error.message}`);
    else console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
