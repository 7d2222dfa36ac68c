import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as collectMain } from "../../examples/work-queue/collect.js";
import { sumOfSquares, taskLock } from "../../examples/work-queue/keys.js";
import { UsageError, parseCollectOptions, parseJobOptions, parseWorkerOptions } from "../../examples/work-queue/options.js";
import { createClient } from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "../support/local-server.js";

// examples/work-queue for real: worker processes (node, bundled as a user would) coordinate only through a local
// Ballot, one is SIGKILLed while it holds a task's lease, and the output still holds every result exactly once.
const ROOT = resolve(import.meta.dirname, "../..");
const TASKS = 150;
const TTL_MS = 2000;
const JOB = "squares-test";

interface Worker {
  readonly id: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  /** Resolves with the first match of `pattern` in the worker's stdout. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

describe("examples/work-queue", () => {
  let server: LocalServer;
  let dir: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballot-work-queue-"));
    await build({
      entryPoints: [join(ROOT, "examples/work-queue/worker.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: join(dir, "worker.mjs"),
      logLevel: "warning",
    });
    server = await startLocalServer({ persistTo: join(dir, "state") });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function startWorker(id: string, delayMs: number): Worker {
    const args = [join(dir, "worker.mjs"), "--url", server.url, "--job", JOB, "--tasks", String(TASKS), "--id", id];
    const child = spawn(process.execPath, [...args, "--ttl-ms", String(TTL_MS), "--delay-ms", String(delayMs)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
    const check = () => {
      for (const w of waiters.splice(0)) {
        const m = out.match(w.pattern);
        if (m) w.resolve(m);
        else waiters.push(w);
      }
    };
    child.stdout?.on("data", (chunk: Buffer) => ((out += chunk.toString()), check()));
    child.stderr?.on("data", (chunk: Buffer) => void (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const worker: Worker = {
      id,
      child,
      exited,
      output: () => out,
      waitFor: (pattern) =>
        new Promise((resolveMatch, reject) => {
          waiters.push({ pattern, resolve: resolveMatch });
          check();
          void exited.then(() => reject(new Error(`${id} exited before printing ${pattern}:\n${out}`)));
        }),
    };
    workers.push(worker);
    return worker;
  }

  it("a worker killed mid-task loses its task to another, and every result is recorded and counted exactly once", async () => {
    const client = createClient({ baseUrl: server.url });
    // The victim takes a long time over each task, so it is surely mid-task when killed.
    const victim = startWorker("victim", 60_000);
    const claim = await victim.waitFor(/victim claimed task (\d+) \(lease token (\d+)\)/);
    const victimTask = Number(claim[1]);
    const victimToken = Number(claim[2]);
    const helpers = ["w1", "w2", "w3"].map((id) => startWorker(id, 20));

    // It holds the lease now (renewing it); SIGKILL gives it no chance to release or record anything.
    expect(await client.getLock(taskLock(JOB, victimTask))).toMatchObject({ owner: "victim", token: victimToken });
    victim.child.kill("SIGKILL");
    await victim.exited;

    const codes = await Promise.all(helpers.map((w) => w.exited));
    expect(codes, helpers.map((w) => w.output().slice(-2000)).join("\n")).toEqual([0, 0, 0]);

    const lines: string[] = [];
    const report = await collectMain({ url: server.url, job: JOB, tasks: TASKS, list: true }, (line) => lines.push(line));
    expect(report.missing).toEqual([]);
    expect(report.wrong).toEqual([]);
    report.results.forEach((result, i) => expect(result).toMatchObject({ task: i + 1, value: (i + 1) ** 2 }));
    expect(report.sumOfResults).toBe(sumOfSquares(TASKS));
    expect(report.doneCounter).toBe(TASKS);
    expect(report.sumCounter).toBe(sumOfSquares(TASKS));
    expect(report.ok).toBe(true);
    expect(lines.at(-1)).toBe("every check holds");

    // The killed worker's task was finished by another worker under a later lease.
    const taken = report.results[victimTask - 1];
    expect(taken?.worker).not.toBe("victim");
    expect(taken?.token).toBeGreaterThan(victimToken);
    expect(report.byWorker.victim).toBeUndefined();
    expect(lines).toContain(`task ${victimTask} = ${victimTask ** 2} by ${taken?.worker} (lease token ${taken?.token})`);

    // No double counting: each worker says how many results it recorded (and so counted); they add up to the tasks,
    // and match the results that carry its name.
    const recorded = helpers.map((w) => Number(/finished: recorded (\d+) result/.exec(w.output())?.[1] ?? NaN));
    expect(recorded.reduce((a, b) => a + b, 0)).toBe(TASKS);
    helpers.forEach((w, i) => expect(report.byWorker[w.id] ?? 0).toBe(recorded[i]));
    // Every recorded line names a distinct task.
    const recordedTasks = helpers.flatMap((w) => [...w.output().matchAll(/ recorded task (\d+) =/g)].map((m) => Number(m[1])));
    expect(new Set(recordedTasks).size).toBe(TASKS);
    expect(recordedTasks).toHaveLength(TASKS);
  }, 60_000);
});

describe("examples/work-queue options", () => {
  it("takes defaults from the environment and refuses bad input with a one-line UsageError", () => {
    expect(parseJobOptions([], { BALLOT_URL: "http://127.0.0.1:9999", BALLOT_TOKEN: "t" })).toEqual({ url: "http://127.0.0.1:9999", token: "t", job: "squares", tasks: 1000 });
    expect(parseWorkerOptions(["--id", "w1", "--tasks", "10", "--ttl-ms", "500"], {})).toMatchObject({ id: "w1", tasks: 10, ttlMs: 500, delayMs: 0 });
    expect(() => parseJobOptions(["--tasks", "0"], {})).toThrow(new UsageError('--tasks must be an integer from 1 to 200000, got "0"'));
    expect(() => parseJobOptions(["--tasks", "1e3"], {})).toThrow(UsageError);
    expect(() => parseJobOptions(["--job", "a/b"], {})).toThrow("--job must be a non-empty name without '/'");
    expect(() => parseJobOptions(["--url", "ftp://x"], {})).toThrow(UsageError);
    expect(() => parseWorkerOptions(["--ttl-ms", "50"], {})).toThrow("--ttl-ms must be an integer from 100");
    expect(() => parseWorkerOptions(["--bogus"], {})).toThrow(UsageError);
    expect(parseCollectOptions(["--list"], {})).toMatchObject({ list: true, tasks: 1000 });
    expect(() => parseCollectOptions(["--delay-ms", "5"], {})).toThrow(UsageError);
  });
});
