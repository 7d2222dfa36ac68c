/** Command-line options of the worker and of the collector, with a clear message for anything wrong. */
import { hostname } from "node:os";
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface JobOptions {
  readonly url: string;
  readonly token?: string;
  /** Key prefix of the job; every worker and the collector of one job use the same one. */
  readonly job: string;
  /** Tasks 1..tasks. */
  readonly tasks: number;
}

export interface CollectOptions extends JobOptions {
  /** Print every result with the worker and the lease (fencing token) that recorded it. */
  readonly list: boolean;
}

export interface WorkerOptions extends JobOptions {
  /** Lock owner and the name in the results: unique per worker process. */
  readonly id: string;
  /** Lease length: how long a killed worker's task stays blocked. */
  readonly ttlMs: number;
  /** Extra time each task takes, so a worker can be killed mid-task by hand or by the test. */
  readonly delayMs: number;
}

/** A mistake in the command line: printed as one line, without a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const shared = {
  url: { type: "string" },
  token: { type: "string" },
  job: { type: "string", default: "squares" },
  tasks: { type: "string", default: "1000" },
} as const;

export function parseJobOptions(argv: readonly string[], env: NodeJS.ProcessEnv): JobOptions {
  const { values } = parse(argv, shared);
  return jobOptions(values, env);
}

export function parseCollectOptions(argv: readonly string[], env: NodeJS.ProcessEnv): CollectOptions {
  const { values } = parse(argv, { ...shared, list: { type: "boolean", default: false } });
  return { ...jobOptions(values, env), list: values.list };
}

export function parseWorkerOptions(argv: readonly string[], env: NodeJS.ProcessEnv): WorkerOptions {
  const { values } = parse(argv, {
    ...shared,
    id: { type: "string", default: `${hostname()}-${process.pid}` },
    "ttl-ms": { type: "string", default: "2000" },
    "delay-ms": { type: "string", default: "0" },
  });
  const id = values.id;
  if (id.length < 1 || id.length > 200) throw new UsageError("--id must be 1 to 200 characters");
  return {
    ...jobOptions(values, env),
    id,
    ttlMs: integer("--ttl-ms", values["ttl-ms"], 100, 86_400_000),
    delayMs: integer("--delay-ms", values["delay-ms"], 0, 86_400_000),
  };
}

function jobOptions(values: { url?: string; token?: string; job: string; tasks: string }, env: NodeJS.ProcessEnv): JobOptions {
  const url = values.url ?? env.BALLOT_URL ?? "http://127.0.0.1:8787";
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be http(s)://..., got ${JSON.stringify(url)}`);
  if (values.job === "" || values.job.includes("/")) throw new UsageError("--job must be a non-empty name without '/'");
  const token = values.token ?? env.BALLOT_TOKEN;
  // 200,000 keeps the sum of squares (about n³/3) a safe integer for the summary counter.
  const tasks = integer("--tasks", values.tasks, 1, 200_000);
  return { url, job: values.job, tasks, ...(token === undefined ? {} : { token }) };
}

/** parseArgs, with its errors turned into UsageError. */
function parse<O extends ParseArgsConfig["options"]>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}
