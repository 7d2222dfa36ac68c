/**
 * The `ballot` CLI against a real local server (wrangler dev, with a token): in-process through main() for most
 * commands, and as a real process (bundled from src/cli/bin.ts) for standard input, signals and `lock -- COMMAND`.
 * Exit codes for 503/504/network failures are also checked through a fetch that answers as the server would.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { startLocalServer, type LocalServer } from "../support/local-server.js";

const TOKEN = "cli-test-token-0123456789";
let server: LocalServer;
let dir: string;
let bin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ballot-cli-"));
  bin = join(dir, "ballot.mjs");
  const [started] = await Promise.all([
    startLocalServer({ persistTo: join(dir, "state"), vars: { BALLOT_TOKENS: TOKEN, BALLOT_ROUND_TIMEOUT_MS: "250", BALLOT_DEADLINE_MS: "1000" } }),
    build({ entryPoints: [resolve(import.meta.dirname, "../../src/cli/bin.ts")], bundle: true, platform: "node", format: "esm", target: "node20", outfile: bin, logLevel: "silent" }),
  ]);
  server = started;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  bytes: Uint8Array;
  stderr: string;
}

/** main() in-process with captured output; `stdin` given means piped input, absent means a terminal. */
async function cli(args: string[], options: { stdin?: string | Uint8Array; env?: Record<string, string | undefined>; fetch?: CliIO["fetch"] } = {}): Promise<Run> {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const encoder = new TextEncoder();
  const io: CliIO = {
    stdout: (chunk) => void out.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk),
    stderr: (line) => void err.push(line),
    readStdin: async () => (typeof options.stdin === "string" ? encoder.encode(options.stdin) : (options.stdin ?? new Uint8Array())),
    stdinIsTTY: options.stdin === undefined,
    env: options.env ?? { BALLOT_URL: server.url, BALLOT_TOKEN: TOKEN },
    readFile: async (path) => new Uint8Array(await (await import("node:fs/promises")).readFile(path)),
    interrupted: () => new Promise(() => {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const code = await main(args, io);
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString("utf8"), bytes: new Uint8Array(bytes), stderr: err.join("\n") };
}

/** The bundled CLI as a real process. */
function spawnCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, BALLOT_URL: server.url, BALLOT_TOKEN: TOKEN, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => void (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => void (stderr += c.toString()));
  if (options.input !== undefined) child.stdin.end(options.input);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveDone) =>
    child.once("exit", (code) => setImmediate(() => resolveDone({ code, stdout, stderr }))),
  );
  return { child, done, output: () => stdout };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("ballot keys", () => {
  it("puts, gets, compares-and-sets and deletes, with the exit code for each refusal", async () => {
    expect(await cli(["put", "cli/greeting", "hello"])).toMatchObject({ code: 0, stdout: "version 1 (created)\n" });
    expect(await cli(["get", "cli/greeting"])).toMatchObject({ code: 0, stdout: "hello" });
    expect(await cli(["cas", "cli/greeting", "1", "bye"])).toMatchObject({ code: 0, stdout: "version 2\n" });

    const stale = await cli(["cas", "cli/greeting", "1", "again"]);
    expect(stale.code).toBe(EXIT.preconditionFailed);
    expect(stale.stderr).toMatch(/precondition failed/);
    expect((await cli(["get", "cli/greeting"])).stdout).toBe("bye");

    expect((await cli(["cas", "cli/greeting", "0", "x"])).code).toBe(EXIT.preconditionFailed);
    expect((await cli(["cas", "cli/fresh", "0", "x"])).code).toBe(EXIT.ok);
    expect((await cli(["put", "cli/fresh", "y", "--if-absent"])).code).toBe(EXIT.preconditionFailed);
    expect((await cli(["put", "cli/fresh", "y", "--if-version", "1"])).code).toBe(EXIT.ok);

    expect((await cli(["del", "cli/greeting", "--if-version", "1"])).code).toBe(EXIT.preconditionFailed);
    expect((await cli(["del", "cli/greeting"])).code).toBe(EXIT.ok);
    expect((await cli(["del", "cli/greeting"])).code).toBe(EXIT.notFound);
    const missing = await cli(["get", "cli/greeting"]);
    expect(missing).toMatchObject({ code: EXIT.notFound, stdout: "" });
    expect(missing.stderr).toContain("not found");
  });

  it("ls lists keys by prefix: names, --long, --json (--values), --limit; bad flags are usage errors", async () => {
    for (const k of ["b", "a", "c"]) expect((await cli(["put", `cli-ls/${k}`, k])).code).toBe(0);
    expect((await cli(["del", "cli-ls/c"])).code).toBe(0);
    expect(await cli(["ls", "cli-ls/"])).toMatchObject({ code: 0, stdout: "cli-ls/a\ncli-ls/b\n" });
    expect((await cli(["ls", "cli-ls/", "--long"])).stdout).toBe("1\t1\ttext/plain; charset=utf-8\tcli-ls/a\n1\t1\ttext/plain; charset=utf-8\tcli-ls/b\n");
    expect((await cli(["ls", "cli-ls/", "--limit", "1"])).stdout).toBe("cli-ls/a\n");
    const json = (await cli(["ls", "cli-ls/", "--json", "--values"])).stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown);
    expect(json).toEqual([
      { key: "cli-ls/a", version: 1, contentType: "text/plain; charset=utf-8", value: "a", bytes: 1 },
      { key: "cli-ls/b", version: 1, contentType: "text/plain; charset=utf-8", value: "b", bytes: 1 },
    ]);
    expect((await cli(["ls", "cli-ls/", "--values"])).code).toBe(EXIT.usage);
    expect((await cli(["ls", "cli-ls/", "--limit", "0"])).code).toBe(EXIT.usage);
    expect((await cli(["ls", "a", "b"])).code).toBe(EXIT.usage);
  });

  it("watch prints a line per event (put, delete), resumes with --since, --json; bad flags are usage errors", async () => {
    expect((await cli(["put", "cli-watch/k", "one"])).code).toBe(0);
    expect(await cli(["watch", "cli-watch/k", "--count", "1"])).toMatchObject({ code: 0, stdout: "1 put one\n" });
    const later = cli(["watch", "cli-watch/k", "--since", "1", "--count", "1", "--json"]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await cli(["put", "cli-watch/k", "two"])).code).toBe(0);
    expect(JSON.parse((await later).stdout)).toEqual({ event: "put", key: "cli-watch/k", version: 2, contentType: "text/plain; charset=utf-8", value: "two" });
    const deleted = cli(["watch", "cli-watch/k", "--since", "2", "--count", "1"]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await cli(["del", "cli-watch/k"])).code).toBe(0);
    expect(await deleted).toMatchObject({ code: 0, stdout: "3 delete\n" });
    expect((await cli(["watch"])).code).toBe(EXIT.usage);
    expect((await cli(["watch", "k", "--count", "0"])).code).toBe(EXIT.usage);
  });

  it("watch --prefix prints every key, synced on stderr, then changes; --json carries ids that --since resumes from", async () => {
    for (const k of ["b", "a"]) expect((await cli(["put", `cli-wp/${k}`, k])).code).toBe(0);
    const first = await cli(["watch", "--prefix", "cli-wp/", "--count", "2"]);
    expect(first.code).toBe(0);
    expect(first.stdout.split("\n").filter(Boolean).sort()).toEqual(["cli-wp/a 1 put a", "cli-wp/b 1 put b"]);
    const json = cli(["watch", "--prefix", "cli-wp/", "--count", "3", "--json"]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await cli(["put", "cli-wp/c", "c"])).code).toBe(0);
    const lines = (await json).stdout.trim().split("\n").map((line) => JSON.parse(line) as { event: string; key?: string; keys?: number; id: string });
    const shown = lines.map((l) => (l.event === "synced" ? `synced ${l.keys}` : `${l.event} ${l.key}`));
    expect([...shown.slice(0, 2).sort(), ...shown.slice(2)]).toEqual(["put cli-wp/a", "put cli-wp/b", "synced 2", "put cli-wp/c"]);
    const synced = lines.find((l) => l.event === "synced")!;
    const resumed = cli(["watch", "--prefix", "cli-wp/", "--since", synced.id, "--count", "1"]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await cli(["del", "cli-wp/a"])).code).toBe(0);
    // From the synced id: c (put after it), then the delete of a; --count 1 stops after c.
    expect(await resumed).toMatchObject({ code: 0, stdout: "cli-wp/c 1 put c\n" });
    expect((await cli(["watch", "k", "--prefix", "p/"])).code).toBe(EXIT.usage);
    expect((await cli(["watch", "--prefix", "p/", "--since", "nonsense", "--count", "1"])).code).not.toBe(0);
  });

  it("takes values from an argument, a file and standard input, and prints JSON with --json", async () => {
    const binary = new Uint8Array([0, 1, 2, 255, 254, 10]);
    const file = join(dir, "value.bin");
    await writeFile(file, binary);
    expect((await cli(["put", "cli/bin", "--file", file])).code).toBe(0);
    const raw = await cli(["get", "cli/bin"]);
    expect([...raw.bytes]).toEqual([...binary]);
    expect(JSON.parse((await cli(["get", "cli/bin", "--json"])).stdout)).toEqual({
      key: "cli/bin", version: 1, contentType: "application/octet-stream", valueBase64: Buffer.from(binary).toString("base64"),
    });

    const put = await cli(["put", "cli/doc", "-t", "application/json", "--json"], { stdin: '{"a":1}' });
    expect(JSON.parse(put.stdout)).toEqual({ key: "cli/doc", version: 1, created: true });
    expect(JSON.parse((await cli(["get", "cli/doc", "--json"])).stdout)).toEqual({ key: "cli/doc", version: 1, contentType: "application/json", value: '{"a":1}' });
    expect((await cli(["put", "cli/doc", "-"], { stdin: "from dash" })).code).toBe(0);
    expect((await cli(["get", "cli/doc"])).stdout).toBe("from dash");

    // A terminal on stdin and no value: a usage error, not a hang.
    const none = await cli(["put", "cli/doc"]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain("no value");
    expect((await cli(["put", "cli/doc", "x", "--file", file])).code).toBe(EXIT.usage);
  });

  it("increments, and refuses to increment what is not an integer (exit 5)", async () => {
    expect(await cli(["incr", "cli/visits", "--by", "5"])).toMatchObject({ code: 0, stdout: "5\n" });
    expect(JSON.parse((await cli(["incr", "cli/visits", "--json"])).stdout)).toEqual({ key: "cli/visits", value: 6, version: 2 });
    expect((await cli(["incr", "cli/visits", "--by=-10"])).stdout).toBe("-4\n");
    await cli(["put", "cli/text", "abc"]);
    expect((await cli(["incr", "cli/text"])).code).toBe(EXIT.conflict);
    expect((await cli(["incr", "cli/visits", "--by", "1.5"])).code).toBe(EXIT.usage);
  });

  it("pipes standard input into a real process", async () => {
    const run = spawnCli(["put", "cli/piped"], { input: "piped value" });
    expect((await run.done).code).toBe(0);
    const read = spawnCli(["get", "cli/piped"]);
    expect(await read.done).toMatchObject({ code: 0, stdout: "piped value" });
  });
});

describe("ballot txn", () => {
  it("--if / --then / --else: a transfer, then the same one failing with exit 4 and the --else reads; --json", async () => {
    await cli(["put", "cli-tx/a", "10"]);
    await cli(["put", "cli-tx/b", "0"]);
    const transfer = ["txn", "--if", "cli-tx/a version=1", "--if", "cli-tx/b value=0", "--then", "incr cli-tx/a -5", "--then", "incr cli-tx/b 5", "--else", "get cli-tx/a", "--else", "get cli-tx/b"];
    expect(await cli(transfer)).toMatchObject({ code: EXIT.ok, stdout: "succeeded\ncli-tx/a 2 increment 5\ncli-tx/b 2 increment 5\n" });
    expect(await cli(transfer)).toMatchObject({ code: EXIT.preconditionFailed, stdout: "failed\ncli-tx/a 2 get 5\ncli-tx/b 2 get 5\n" });
    const json = JSON.parse((await cli([...transfer, "--json"])).stdout) as { succeeded: boolean; txn: string; results: unknown[] };
    expect(json).toEqual({
      succeeded: false,
      txn: expect.stringMatching(/^[0-9a-f]{32}$/),
      results: [
        { op: "get", key: "cli-tx/a", version: 2, contentType: "text/plain; charset=utf-8", value: "5" },
        { op: "get", key: "cli-tx/b", version: 2, contentType: "text/plain; charset=utf-8", value: "5" },
      ],
    });
    // Claim a name if absent: put (text, spaces kept) and delete; the results say each op's version.
    await cli(["put", "cli-tx/old", "x"]);
    const claim = await cli(["txn", "--if", "cli-tx/name absent", "--then", "put cli-tx/name ada lovelace", "--then", "del cli-tx/old", "--json"]);
    expect(JSON.parse(claim.stdout)).toMatchObject({ succeeded: true, results: [{ op: "put", key: "cli-tx/name", version: 1 }, { op: "delete", key: "cli-tx/old", version: 2 }] });
    expect(await cli(["get", "cli-tx/name", "--json"])).toMatchObject({ stdout: expect.stringContaining('"contentType":"text/plain; charset=utf-8","value":"ada lovelace"') });
    expect((await cli(["txn", "--if", "cli-tx/name exists", "--then", "get cli-tx/name"])).stdout).toBe("succeeded\ncli-tx/name 1 get ada lovelace\n");
  });

  it("an atomic read of several keys: text, bytes and absent keys", async () => {
    await cli(["put", "cli-tx/bin"], { stdin: new Uint8Array([0, 255]) });
    await cli(["put", "cli-tx/two-lines", "a\nb"]);
    expect(await cli(["txn", "--then", "get cli-tx/bin", "--then", "get cli-tx/two-lines", "--then", "get cli-tx/nothing"])).toMatchObject({
      code: 0,
      stdout: "succeeded\ncli-tx/bin 1 get (2 bytes)\ncli-tx/two-lines 1 get a\\nb\ncli-tx/nothing 0 get (absent)\n",
    });
  });

  it("takes the JSON body of POST /v1/txn from a file, from standard input, or from a real process's stdin", async () => {
    const body = {
      compare: [{ key: "cli-tx/json", exists: false }],
      success: [
        { op: "put", key: "cli-tx/json", valueBase64: Buffer.from([0, 255, 1]).toString("base64") },
        { op: "put", key: "cli-tx/json-doc", value: '{"a":1}', contentType: "application/json" },
        { op: "increment", key: "cli-tx/json-n", by: 3 },
      ],
      failure: [{ op: "get", key: "cli-tx/json" }],
    };
    const file = join(dir, "txn.json");
    await writeFile(file, JSON.stringify(body));
    expect(await cli(["txn", "-f", file])).toMatchObject({ code: 0, stdout: "succeeded\ncli-tx/json 1 put\ncli-tx/json-doc 1 put\ncli-tx/json-n 1 increment 3\n" });
    expect(JSON.parse((await cli(["get", "cli-tx/json", "--json"])).stdout)).toEqual({ key: "cli-tx/json", version: 1, contentType: "application/octet-stream", valueBase64: "AP8B" });
    expect(JSON.parse((await cli(["get", "cli-tx/json-doc", "--json"])).stdout)).toMatchObject({ contentType: "application/json", value: '{"a":1}' });
    // Again, from standard input ("-" or no flags at all): the comparison fails now.
    expect(await cli(["txn", "-"], { stdin: JSON.stringify(body) })).toMatchObject({ code: EXIT.preconditionFailed, stdout: "failed\ncli-tx/json 1 get (3 bytes)\n" });
    expect((await cli(["txn"], { stdin: JSON.stringify(body) })).code).toBe(EXIT.preconditionFailed);
    const real = spawnCli(["txn", "--json"], { input: JSON.stringify({ success: [{ op: "get", key: "cli-tx/json-n" }] }) });
    const done = await real.done;
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ succeeded: true, results: [{ op: "get", key: "cli-tx/json-n", version: 1, value: "3" }] });
  });

  it("exit codes: 2 for what is malformed (here or at the server), 5 for an increment of a non-integer, 6/7/8 as for single keys", async () => {
    for (const bad of [
      ["txn"], // a terminal on stdin and no flags
      ["txn", "--then", "frob cli-tx/x"],
      ["txn", "--then", "get"],
      ["txn", "--then", "get cli-tx/x extra"],
      ["txn", "--then", "incr cli-tx/x 1.5"],
      ["txn", "--if", "cli-tx/x version=-1", "--then", "get cli-tx/x"],
      ["txn", "--if", "cli-tx/x newer", "--then", "get cli-tx/x"],
      ["txn", "--then", "get cli-tx/x", "-f", "txn.json"],
      ["txn", "--then", "put cli-tx/x 1", "--then", "incr cli-tx/x"], // a key twice in a branch: the server's 400
    ]) {
      const run = await cli(bad);
      expect(run.code, bad.join(" ")).toBe(EXIT.usage);
      expect(run.stderr, bad.join(" ")).toMatch(/^ballot: /);
    }
    for (const body of ["{", '{"compares": []}', '{"success": [{"op": "put", "key": "k", "valeu": "x"}]}', '{"success": [{"op": "get"}]}']) {
      expect((await cli(["txn"], { stdin: body })).code, body).toBe(EXIT.usage);
    }
    await cli(["put", "cli-tx/word", "abc"]);
    const conflict = await cli(["txn", "--then", "incr cli-tx/word"]);
    expect(conflict.code).toBe(EXIT.conflict);
    expect(conflict.stderr).toContain("not_integer");
    expect((await cli(["txn", "--then", "get cli-tx/word"], { env: { BALLOT_URL: server.url } })).code).toBe(EXIT.unauthorized);

    const answer = (status: number, code: string, headers: Record<string, string> = {}) => async () =>
      new Response(JSON.stringify({ error: { code, message: "as the server says" } }), { status, headers: { "content-type": "application/json", ...headers } });
    expect((await cli(["txn", "--then", "get k"], { fetch: answer(403, "forbidden") })).code).toBe(EXIT.unauthorized);
    const busy = await cli(["txn", "--then", "incr k"], { fetch: answer(503, "unavailable", { "retry-after": "2" }) });
    expect(busy.code).toBe(EXIT.unavailable);
    expect(busy.stderr).toContain("safe to retry after 2 s");
    expect((await cli(["txn", "--then", "incr k"], { fetch: answer(504, "outcome_unknown") })).code).toBe(EXIT.outcomeUnknown);
    const lost = async () => {
      throw new TypeError("fetch failed");
    };
    expect((await cli(["txn", "--then", "incr k"], { fetch: lost })).code).toBe(EXIT.outcomeUnknown);
    expect((await cli(["txn", "--then", "get k"], { fetch: lost })).code).toBe(EXIT.unavailable);
  });
});

describe("ballot lock", () => {
  it("runs a command holding the lock, with the fencing token in its environment, and passes on its exit code", async () => {
    const run = spawnCli(["lock", "cli/job", "--ttl", "2s", "--", process.execPath, "-e", "console.log('token=' + process.env.BALLOT_LOCK_TOKEN + ' name=' + process.env.BALLOT_LOCK_NAME); process.exit(3)"]);
    const result = await run.done;
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^token=\d+ name=cli\/job\n$/);
    // Released afterwards.
    expect((await cli(["lock", "cli/job", "--status"])).stdout).toBe("cli/job is free\n");
  });

  it("holds until interrupted; meanwhile another owner waits or gives up with exit 5, and gets a higher token", async () => {
    const holder = spawnCli(["lock", "cli/leader", "--owner", "first", "--ttl", "3s", "--json"]);
    await until(() => holder.output().includes("token"), "the first holder");
    const first = JSON.parse(holder.output()) as { token: number; owner: string };
    expect(first.owner).toBe("first");

    const status = JSON.parse((await cli(["lock", "cli/leader", "--status", "--json"])).stdout) as { holder: { owner: string; token: number } };
    expect(status.holder).toMatchObject({ owner: "first", token: first.token });
    const impatient = await cli(["lock", "cli/leader", "--owner", "second", "--wait", "0"]);
    expect(impatient.code).toBe(EXIT.conflict);

    const waiter = spawnCli(["lock", "cli/leader", "--owner", "second", "--ttl", "3s", "--json"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(waiter.output()).toBe("");
    holder.child.kill("SIGINT");
    expect((await holder.done).code).toBe(0);
    await until(() => waiter.output().includes("token"), "the second holder");
    const second = JSON.parse(waiter.output()) as { token: number; owner: string };
    expect(second.owner).toBe("second");
    expect(second.token).toBeGreaterThan(first.token);
    waiter.child.kill("SIGTERM");
    expect((await waiter.done).code).toBe(0);
    expect((await cli(["lock", "cli/leader", "--status"])).stdout).toBe("cli/leader is free\n");
  }, 30_000);
});

describe("ballot failures", () => {
  it("exits 6 without a token and 7 when a majority of acceptors is down", async () => {
    expect((await cli(["get", "cli/x"], { env: { BALLOT_URL: server.url } })).code).toBe(EXIT.unauthorized);
    expect((await cli(["get", "cli/x", "--url", server.url, "--token", "wrong-token-0123456789"], { env: {} })).code).toBe(EXIT.unauthorized);

    const fault = (acceptor: number, mode: string) =>
      fetch(`${server.url}/v1/admin/faults`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ acceptor, mode }) });
    expect((await cli(["health"])).stdout).toMatch(/^ok: 16 shard\(s\), 3 acceptors each \(majority 2\)/);
    expect(JSON.parse((await cli(["health", "--shard", "3", "--json"])).stdout)).toMatchObject({ status: "ok", shards: [{ shard: 3, reachable: 3 }] });
    // The fault table acts on the proposer's calls (health pings bypass it), so writes meet a lost majority.
    expect((await fault(0, "down")).status).toBe(200);
    expect((await fault(1, "down")).status).toBe(200);
    try {
      const write = await cli(["put", "cli/never-written", "v"]);
      expect(write.code).toBe(EXIT.unavailable);
      expect(write.stderr).toMatch(/safe to retry/);
    } finally {
      await fetch(`${server.url}/v1/admin/faults`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } });
    }
    expect((await cli(["get", "cli/never-written"])).code).toBe(EXIT.notFound);
  });

  it("maps 503, 504 and a lost connection to 7 (retry) or 8 (read first)", async () => {
    const answer = (status: number, headers: Record<string, string> = {}) => async () =>
      new Response(JSON.stringify({ error: { code: status === 503 ? "unavailable" : "outcome_unknown", message: "as the server says" } }), {
        status, headers: { "content-type": "application/json", ...headers },
      });
    const busy = await cli(["put", "k", "v"], { fetch: answer(503, { "retry-after": "3" }) });
    expect(busy.code).toBe(EXIT.unavailable);
    expect(busy.stderr).toContain("safe to retry after 3 s");
    const unknown = await cli(["incr", "k"], { fetch: answer(504) });
    expect(unknown.code).toBe(EXIT.outcomeUnknown);
    expect(unknown.stderr).toContain("outcome unknown");
    const shard = { shard: 0, reachable: 1, majority: false, acceptors: [{ index: 0, ok: true, latencyMs: 1, locationHint: null }, { index: 1, ok: false, latencyMs: 250, locationHint: null, error: "no answer within 250 ms" }] };
    const down = async () => new Response(JSON.stringify({ status: "unavailable", acceptors: 3, majority: 2, shards: [shard] }), { status: 503, headers: { "content-type": "application/json" } });
    const health = await cli(["health"], { fetch: down });
    expect(health.code).toBe(EXIT.unavailable);
    expect(health.stdout).toContain("shard 0 acceptor 1: no answer within 250 ms");
    const lost = async () => {
      throw new TypeError("fetch failed");
    };
    expect((await cli(["put", "k", "v"], { fetch: lost })).code).toBe(EXIT.outcomeUnknown);
    expect((await cli(["get", "k"], { fetch: lost })).code).toBe(EXIT.unavailable);
  });
});

describe("ballot usage", () => {
  it("has --help for every command, and refuses what it does not understand with exit 2", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const name of ["get", "put", "cas", "incr", "del", "txn", "lock", "health", "layout", "token"]) {
      expect(top.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
      const help = await cli([name, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout.startsWith(`ballot ${name}`)).toBe(true);
      expect(help.stdout).toContain("Exit codes:");
    }
    expect((await cli([])).code).toBe(EXIT.usage);
    expect((await cli(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    for (const bad of [["frob"], ["get"], ["get", "a", "b"], ["get", "a", "--nope"], ["cas", "a", "x1", "v"], ["put", "a", "v", "--if-version", "1", "--if-absent"], ["lock", "n", "--ttl", "5 parsecs"], ["get", "a", "--", "ls"]]) {
      const run = await cli(bad);
      expect(run.code, bad.join(" ")).toBe(EXIT.usage);
      expect(run.stderr, bad.join(" ")).toMatch(/^ballot: /);
    }
    expect((await cli(["get", "a", "--url", "ftp://x"])).code).toBe(EXIT.usage);
  });
});
