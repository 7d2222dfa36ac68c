import { spawn } from "node:child_process";
import { constants, hostname } from "node:os";
import { LockHeld, type BallotError, type LockHandle } from "../../client/index.js";
import type { Command, Context } from "../command.js";
import { parseDuration } from "../durations.js";
import { EXIT, UsageError, describeError, type ExitCode } from "../exit-codes.js";
import { jsonLine } from "../output.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const lock: Command = {
  name: "lock",
  summary: "hold a lock (with a fencing token) while a command runs, or until interrupted",
  help: `ballot lock NAME [--owner ID] [--ttl DURATION] [--wait DURATION] [-- COMMAND [ARGS...]]
ballot lock NAME --status [--json]

Acquires the lock NAME, waiting while another owner holds it, and keeps renewing its lease.
With a COMMAND: runs it while holding the lock, with BALLOT_LOCK_NAME, BALLOT_LOCK_OWNER and
BALLOT_LOCK_TOKEN in its environment, releases the lock when it ends and exits with its exit code.
If the lease is lost meanwhile, the command gets SIGTERM and ballot exits 5.
Without a COMMAND: prints the lease and holds it until SIGINT or SIGTERM, then releases it.
BALLOT_LOCK_TOKEN is the fencing token: strictly increasing across holders, so a resource that
remembers the highest token it has seen can refuse a stale holder.
      --owner ID          who holds it (default: host-pid-random, unique per run)
      --ttl DURATION      lease length, renewed every third of it (default 10s; 500ms, 10s, 2m, or seconds)
      --wait DURATION     give up after waiting this long for another holder (exit 5); default: wait forever;
                          0: do not wait
      --status            print the current holder ("free" when none) instead of acquiring`,
  options: { owner: { type: "string" }, ttl: { type: "string" }, wait: { type: "string" }, status: { type: "boolean" } },
  takesCommand: true,
  async run(context) {
    if (context.args.length !== 1) throw new UsageError("usage: ballot lock NAME [-- COMMAND [ARGS...]]");
    const name = context.args[0] as string;
    if (context.values.status === true) return status(context, name);
    const ttlMs = parseDuration("--ttl", typeof context.values.ttl === "string" ? context.values.ttl : "10s");
    if (ttlMs < 100) throw new UsageError("--ttl must be at least 100ms");
    const waitMs = typeof context.values.wait === "string" ? parseDuration("--wait", context.values.wait) : Infinity;
    const owner = typeof context.values.owner === "string" ? context.values.owner : `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

    const interrupted = context.io.interrupted();
    let lost: (reason: BallotError) => void = () => {};
    const lostPromise = new Promise<BallotError>((resolve) => (lost = resolve));
    const handle = await Promise.race([acquire(context, name, owner, ttlMs, waitMs, (r) => lost(r)), interrupted.then(() => null)]);
    if (handle === null) return 130;
    const lease = { name, owner, token: handle.token, expiresAt: handle.expiresAt };
    if (context.rest.length === 0) {
      context.io.stdout(context.json ? jsonLine(lease) : `${name} held by ${owner} with fencing token ${handle.token}; Ctrl-C releases it\n`);
      const end = await Promise.race([interrupted.then(() => "interrupted" as const), lostPromise]);
      if (end !== "interrupted") {
        context.io.stderr(`ballot: lost the lock ${JSON.stringify(name)}: ${describeError(end)}`);
        return EXIT.conflict;
      }
      await release(context, handle);
      return EXIT.ok;
    }
    return runHolding(context, handle, interrupted, lostPromise);
  },
};

async function acquire(context: Context, name: string, owner: string, ttlMs: number, waitMs: number, onLost: (r: BallotError) => void): Promise<LockHandle> {
  const giveUpAt = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await context.client.lock(name, { owner, ttlMs, onLost });
    } catch (error) {
      if (!(error instanceof LockHeld) || Date.now() >= giveUpAt) throw error;
      // Poll until the holder's lease ends (server clock: only a hint), at most a second apart, with jitter.
      const hint = error.holder === null ? 250 : error.holder.expiresAt - Date.now();
      const pause = Math.min(Math.max(50, hint), 1_000, Math.max(0, giveUpAt - Date.now())) * (0.8 + 0.4 * Math.random());
      if (attempt === 1) context.io.stderr(`ballot: ${JSON.stringify(name)} is held by ${error.holder?.owner ?? "another owner"}; waiting`);
      await sleep(pause);
    }
  }
}

async function runHolding(context: Context, handle: LockHandle, interrupted: Promise<string>, lostPromise: Promise<BallotError>): Promise<ExitCode | number> {
  const [command, ...args] = context.rest as [string, ...string[]];
  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...context.io.env, BALLOT_LOCK_NAME: handle.name, BALLOT_LOCK_OWNER: handle.owner, BALLOT_LOCK_TOKEN: String(handle.token) },
  });
  const exited = new Promise<number>((resolve) => {
    child.once("error", (error) => {
      context.io.stderr(`ballot: cannot run ${JSON.stringify(command)}: ${error.message}`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
  let wasLost = false;
  void lostPromise.then((reason) => {
    wasLost = true;
    context.io.stderr(`ballot: lost the lock ${JSON.stringify(handle.name)} (${describeError(reason)}); stopping the command`);
    child.kill("SIGTERM");
  });
  void interrupted.then((signal) => child.kill(signal as NodeJS.Signals));
  const code = await exited;
  if (wasLost) return EXIT.conflict;
  await release(context, handle);
  return code;
}

async function release(context: Context, handle: LockHandle): Promise<void> {
  try {
    await handle.release();
  } catch (error) {
    // The lease ends by itself at its expiry; say so rather than fail the command that already ran.
    context.io.stderr(`ballot: could not release ${JSON.stringify(handle.name)} (it expires by itself): ${describeError(error)}`);
  }
}

async function status(context: Context, name: string): Promise<ExitCode> {
  const lease = await context.client.getLock(name);
  if (context.json) context.io.stdout(jsonLine({ name, holder: lease }));
  else if (lease === null) context.io.stdout(`${name} is free\n`);
  else context.io.stdout(`${name} held by ${lease.owner} with fencing token ${lease.token} until ${new Date(lease.expiresAt).toISOString()}\n`);
  return EXIT.ok;
}

/** A command killed by a signal exits 128 + its number, as a shell reports it. */
function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
