/**
 * Starts the Worker as a real local server (`wrangler dev`: local workerd, no Cloudflare account, no network) for
 * tests that run in Node and talk HTTP to it: crash tests, client tests, benchmarks.
 *
 *   const server = await startLocalServer({ persistTo: await mkdtemp(join(tmpdir(), "ballot-")) });
 *   await fetch(`${server.url}/v1/keys/a`, { method: "PUT", body: "x" });
 *   await server.kill("SIGKILL");   // crash: the whole process group, no chance to flush anything
 *   const again = await startLocalServer({ persistTo: server.persistTo }); // same durable state
 *   await again.stop();
 *
 * wrangler runs in its own process group (detached) so that `kill` reaches workerd and every helper process too.
 * Durable Object storage lives under `persistTo`; reuse the directory to restart on the same state.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

export interface LocalServerOptions {
  /** Directory for the persisted state (Durable Object SQLite files). Reuse it to restart on the same state. */
  readonly persistTo: string;
  /** Port on 127.0.0.1; a free one is picked when omitted. */
  readonly port?: number;
  /** Vars overriding wrangler.toml's `[vars]` (passed as `--var NAME:VALUE`). */
  readonly vars?: Readonly<Record<string, string>>;
  /** wrangler environment (`--env`), e.g. "production"; default: the top-level (dev) configuration. */
  readonly environment?: string;
  /** How long to wait for the server to answer HTTP. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Project root holding wrangler.toml; default: this repository. */
  readonly cwd?: string;
}

export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly persistTo: string;
  /** The wrangler process id; also the id of its process group. */
  readonly pid: number;
  /** Sends `signal` to the whole process group and waits until wrangler has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Graceful stop: SIGTERM to the group, SIGKILL after 5 s. Safe to call twice. */
  stop(): Promise<void>;
  /** Everything wrangler printed so far (stdout and stderr), for failure messages. */
  output(): string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const cwd = options.cwd ?? ROOT;
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)];
  args.push("--persist-to", options.persistTo, "--show-interactive-dev-session=false");
  if (options.environment !== undefined) args.push("--env", options.environment);
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);

  const child = spawn(resolve(cwd, "node_modules/.bin/wrangler"), args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  let log = "";
  const append = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  let alive = true;
  void exited.then(() => (alive = false));
  const pid = child.pid;
  if (pid === undefined) throw new Error("wrangler did not start");

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  // Signals the group even when wrangler itself has exited: its workerd children may still be running.
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    signalGroup(signal);
    await exited;
  };
  const stop = async () => {
    const force = setTimeout(() => signalGroup("SIGKILL"), 5000);
    await kill("SIGTERM");
    clearTimeout(force);
    // Helpers of the group (workerd) may outlive wrangler for a moment.
    signalGroup("SIGKILL");
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (!alive) {
      signalGroup("SIGKILL");
      throw new Error(`wrangler exited before it served HTTP:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/__local-server-ready-probe`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      // The Worker answers JSON (a 404 for this unknown route; touches no acceptor): the Worker itself is up.
      if (res.headers.get("content-type")?.startsWith("application/json")) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await kill("SIGKILL");
      throw new Error(`wrangler did not serve ${url} in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, persistTo: options.persistTo, pid, kill, stop, output: () => log };
}
