#!/usr/bin/env node
// Benchmark of issue #9: Ballot (N=3, N=5) against a one-Durable-Object-per-key register (bench/baseline) and a bare
// skeleton of Ballot's call pattern (bench/skeleton), all in one run, alternating systems, reporting ratios.
//
//   npm run bench                 full run (~5 min on the 2-core machine)
//   npm run bench -- --quick      ~1 min: short cells, no `wrangler dev` pass, short accounting
//   options: --no-dev (skip the wrangler dev pass), --no-accounting, --out <file> (default bench/results/latest.json),
//            --cells read,write_same (only these cells; then the default --out is bench/results/cells.json, so a partial
//            run never replaces the full run's figures in latest.json, see docs/benchmark.md),
//            --variant NAME:VAR=VALUE,... (another Ballot N=3 with these vars, side by side; see VARIANTS),
//            --compare <dir> (another Ballot N=3 built from the source tree at <dir>, side by side; see COMPARE)
//
// A benchmark, not a test: it asserts nothing about timings. It fails loudly (exit 1) only when a counter's final
// value differs from the acknowledged increments, which is a correctness bug.
import { Miniflare } from "miniflare";
import { Pool } from "undici";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { ROOT, bundleWorker, compatibilityDate, wranglerVars } from "./common/worker-build.mjs";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const WITH_DEV = !QUICK && !argv.includes("--no-dev");
const WITH_ACCOUNTING = !argv.includes("--no-accounting");
const cellsIndex = argv.indexOf("--cells");
const CELLS = cellsIndex >= 0 ? new Set(argv[cellsIndex + 1].split(",")) : null;
const outIndex = argv.indexOf("--out");
const OUT = outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : path.join(ROOT, `bench/results/${CELLS ? "cells" : "latest"}.json`);

// --var NAME=VALUE (repeatable): a var for the Ballot systems on top of wrangler.toml's, e.g. BALLOT_PIGGYBACK=false.
const BALLOT_VARS = Object.fromEntries(
  argv.flatMap((a, i) => (argv[i - 1] === "--var" ? [a] : [])).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);

/** Seconds of measurement per slice; every cell runs SLICES slices per system, alternating the order of systems. */
const P = QUICK
  ? { slices: 2, sliceS: 0.5, warmS: 0.2, cellWarmS: 0.3, fresh: 40, accountingOps: 300, keys: 500 }
  : { slices: 4, sliceS: 0.9, warmS: 0.3, cellWarmS: 0.5, fresh: 160, accountingOps: 800, keys: 2000 };
const KEYS = P.keys;
const ACCOUNTING_KEYS = 200;
/** disk: persist dirs under the OS temp dir (every commit fsync'd, as with `npm start`); tmpfs: under /dev/shm. */
const storageIndex = argv.indexOf("--storage");
const STORAGE = storageIndex >= 0 ? argv[storageIndex + 1] : "disk";
if (!["disk", "tmpfs"].includes(STORAGE)) throw new Error("--storage must be disk or tmpfs");
const VALUE = "v".repeat(64); // 64-byte values
const COMPAT_DATE = compatibilityDate();

const cleanups = [];
let cleaning = false;
async function cleanup() {
  if (cleaning) return;
  cleaning = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (e) {
      console.error("cleanup:", e?.message ?? e);
    }
  }
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

const tmpRoot = fs.mkdtempSync(path.join(STORAGE === "tmpfs" ? "/dev/shm" : os.tmpdir(), "ballot-bench-"));
cleanups.push(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function log(...a) {
  process.stderr.write(a.join(" ") + "\n");
}

// ---------------------------------------------------------------------------------------------------------------
// Systems

function bundle(name, entry) {
  return bundleWorker(entry, path.join(tmpRoot, "build", name, "worker.js"));
}

// --variant NAME:VAR=VALUE[,VAR=VALUE...] (repeatable): one more Ballot N=3 system, the same bundle with these vars,
// measured in the same run beside the others (e.g. --variant unfair:BALLOT_FAIR_INTAKE=false). No accounting pass.
const VARIANTS = argv
  .flatMap((a, i) => (argv[i - 1] === "--variant" ? [a] : []))
  .map((spec) => {
    const [name, assignments = ""] = spec.split(":");
    const vars = Object.fromEntries(assignments.split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
    return { name: `ballot3_${name}`, label: `Ballot N=3 ${assignments}`, entry: "src/index.ts", className: "Acceptor", binding: "ACCEPTOR", n: 3, vars };
  });

// --compare <dir>: one more Ballot N=3 system built from another source tree (e.g. `git worktree add /tmp/before
// <base>`), measured in the same run as this tree's, so a change's cost is read off one run: "before" vs "after".
const compareIndex = argv.indexOf("--compare");
const COMPARE = compareIndex >= 0 ? path.resolve(argv[compareIndex + 1]) : null;
if (COMPARE !== null && !fs.existsSync(path.join(COMPARE, "src/index.ts"))) throw new Error(`--compare: no src/index.ts in ${COMPARE}`);
const COMPARED =
  COMPARE === null
    ? []
    : [{ name: "ballot3_before", label: "Ballot N=3 before", entry: path.join(COMPARE, "src/index.ts"), className: "Acceptor", binding: "ACCEPTOR", n: 3, vars: {} }];

const SYSTEMS = [
  { name: "ballot3", label: "Ballot N=3", entry: "src/index.ts", accounting: "bench/accounting/ballot-entry.ts", className: "Acceptor", binding: "ACCEPTOR", n: 3 },
  { name: "ballot5", label: "Ballot N=5", entry: "src/index.ts", accounting: "bench/accounting/ballot-entry.ts", className: "Acceptor", binding: "ACCEPTOR", n: 5 },
  { name: "skeleton3", label: "skeleton N=3", entry: "bench/skeleton/worker.ts", accounting: "bench/accounting/skeleton-entry.ts", className: "SkeletonAcceptor", binding: "ACCEPTOR", n: 3 },
  { name: "baseline", label: "one DO/key", entry: "bench/baseline/worker.ts", className: "Register", binding: "REGISTER", n: 1 },
  ...VARIANTS,
  ...COMPARED,
];

const knownWorkerd = new Set();
/** The pid of the workerd process Miniflare just started (a child of this process not seen before). */
function newWorkerdPid() {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = /\((.*)\)/.exec(stat)?.[1];
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid && !knownWorkerd.has(pid)) {
        knownWorkerd.add(pid);
        return Number(pid);
      }
    } catch {
      // process went away
    }
  }
  return undefined;
}

/** User+system CPU seconds of a process so far. */
function cpuSeconds(pid) {
  if (pid === undefined) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
} catch {
  // default
}

async function startSystem(sys, entry, tag) {
  const scriptPath = await bundle(`${sys.name}-${tag}`, entry);
  const persist = path.join(tmpRoot, "persist", `${sys.name}-${tag}`);
  fs.mkdirSync(persist, { recursive: true });
  const mf = new Miniflare({
    name: `${sys.name}-${tag}`,
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    compatibilityDate: COMPAT_DATE,
    durableObjects: {
      [sys.binding]: { className: sys.className, useSQLite: true },
      // Ballot's garbage collector of deleted keys (the benchmark deletes nothing; the binding must exist).
      ...(sys.name.startsWith("ballot") ? { COLLECTOR: { className: "Collector", useSQLite: true } } : {}),
    },
    bindings: { ...wranglerVars(), BALLOT_ACCEPTORS: String(sys.n === 1 ? 3 : sys.n), ...(sys.name.startsWith("ballot") ? { ...BALLOT_VARS, ...sys.vars } : {}) },
    durableObjectsPersist: persist,
    host: "127.0.0.1",
    port: 0,
    // Drain workerd's stdout (Ballot logs a JSON line per request); keep its stderr for errors.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.on("data", (d) => process.stderr.write(`[${sys.name}] ${d}`));
    },
  });
  let disposed;
  const dispose = () => (disposed ??= mf.dispose());
  cleanups.push(dispose);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pid = newWorkerdPid();
  return { ...sys, mf, dispose, url, pid, pools: new Map() };
}

function pool(sys, connections) {
  let p = sys.pools.get(connections);
  if (p === undefined) {
    p = new Pool(sys.url, { connections, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
    sys.pools.set(connections, p);
    cleanups.push(() => p.destroy());
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// Load generator (undici keep-alive pool, closed loop: each client sends its next request when the last one ends)

async function request(p, method, urlPath, body, headers = {}) {
  const t0 = process.hrtime.bigint();
  let res;
  let text;
  try {
    res = await p.request({ method, path: urlPath, body, headers });
    text = await res.body.text();
  } catch (e) {
    // A connection error (workerd reset the socket): an error of this request, counted, never retried silently.
    return { status: `net:${e?.code ?? e?.message ?? e}`, etag: undefined, text: "", us: Number(process.hrtime.bigint() - t0) / 1000, rounds: NaN, piggyback: false };
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  const timing = res.headers["server-timing"];
  const rounds = typeof timing === "string" ? Number(/rounds;desc="(\d+)"/.exec(timing)?.[1] ?? NaN) : NaN;
  return { status: res.statusCode, etag: res.headers.etag, text, us, rounds, piggyback: typeof timing === "string" && timing.includes("piggyback") };
}

const put = (p, key, headers = {}) => request(p, "PUT", `/v1/keys/${encodeURIComponent(key)}`, VALUE, { "content-type": "text/plain", ...headers });
const get = (p, key) => request(p, "GET", `/v1/keys/${encodeURIComponent(key)}`);
const incr = (p, key) => request(p, "POST", `/v1/keys/${encodeURIComponent(key)}/increment`, '{"by":1}', { "content-type": "application/json" });

function newTally() {
  return { ops: 0, ok: 0, statuses: {}, lat: [], rounds: 0, roundsN: 0, piggyback: 0, seconds: 0, cpu: 0, extra: {} };
}
function record(t, r, okStatuses = [200, 201]) {
  t.ops++;
  if (okStatuses.includes(r.status)) t.ok++;
  t.statuses[r.status] = (t.statuses[r.status] ?? 0) + 1;
  t.lat.push(r.us);
  if (!Number.isNaN(r.rounds)) {
    t.rounds += r.rounds;
    t.roundsN++;
  }
  if (r.piggyback) t.piggyback++;
}

/** Runs `clients` closed loops of `op` for `seconds` (or until `maxOps` operations were issued). */
async function loop(clients, seconds, op, maxOps = Infinity) {
  const end = performance.now() + seconds * 1000;
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < end && issued < maxOps) {
        issued++;
        await op(c, issued);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

const keyOf = (i) => `k${i}`;
const randomKey = () => keyOf(Math.floor(Math.random() * KEYS));

/**
 * Issue 24's overload cells: C connections PUT random keys among `keys`, each value unique, so that afterwards every
 * acknowledged write can be read back (the key must be at the acknowledged version or later, and hold that write's
 * value when at it).
 */
let overloadSerial = 0;
function overloadCell(id, label, clients, keys, prefix) {
  return {
    id,
    label,
    kind: "overload",
    clients,
    op: async (s, t) => {
      const key = `${prefix}${Math.floor(Math.random() * keys)}`;
      const value = `${String(++overloadSerial).padStart(12, "0")}${VALUE.slice(12)}`;
      const r = await request(pool(s, clients), "PUT", `/v1/keys/${encodeURIComponent(key)}`, value, { "content-type": "text/plain" });
      record(t, r);
      if (r.status === 200 || r.status === 201) {
        const version = Number(/\d+/.exec(r.etag ?? "")?.[0] ?? NaN);
        const acked = (t.extra.acked ??= new Map());
        const prior = acked.get(key);
        if (prior === undefined || version > prior.version) acked.set(key, { version, value });
      }
    },
  };
}

const SCENARIOS = [
  { id: "read", label: "read 1 key, 1 client", kind: "latency", clients: 1, op: (s, t) => get(pool(s, 1), "lat-r").then((r) => record(t, r)) },
  { id: "write_same", label: "write same key, 1 client", kind: "latency", clients: 1, op: (s, t) => put(pool(s, 1), "lat-w").then((r) => record(t, r)) },
  {
    id: "write_fresh",
    label: "write fresh keys, 1 client",
    kind: "latency",
    clients: 1,
    count: true,
    op: (s, t, i, slice) => put(pool(s, 1), `fresh-${slice}-${i}`).then((r) => record(t, r)),
  },
  { id: "put_hot_8", label: "PUT 1 hot key, 8 conns", kind: "throughput", clients: 8, op: (s, t) => put(pool(s, 8), "hot").then((r) => record(t, r)) },
  { id: "put_hot_64", label: "PUT 1 hot key, 64 conns", kind: "throughput", clients: 64, op: (s, t) => put(pool(s, 64), "hot").then((r) => record(t, r)) },
  { id: "put_2000_8", label: `PUT ${KEYS} keys, 8 conns`, kind: "throughput", clients: 8, op: (s, t) => put(pool(s, 8), randomKey()).then((r) => record(t, r)) },
  overloadCell("put_2000_64", `PUT ${KEYS} keys, 64 conns`, 64, KEYS, "k"),
  overloadCell("put_2000_256", `PUT ${KEYS} keys, 256 conns`, 256, KEYS, "k"),
  overloadCell("put_hot16_64", "PUT 16 hot keys, 64 conns", 64, 16, "hot16-"),
  overloadCell("put_hot16_256", "PUT 16 hot keys, 256 conns", 256, 16, "hot16-"),
  { id: "incr_64", label: "increment 1 key, 64 clients", kind: "increment", clients: 64, op: (s, t) => incr(pool(s, 64), "counter").then((r) => record(t, r, [200])) },
  {
    id: "cas_16",
    label: "CAS loop 1 key, 16 clients",
    kind: "cas",
    clients: 16,
    op: async (s, t) => {
      const p = pool(s, 16);
      const g = await get(p, "cas");
      if (g.status !== 200) return record(t, g);
      const w = await put(p, "cas", { "if-match": g.etag });
      record(t, w, [200]);
      if (w.status === 412) t.extra.conflicts = (t.extra.conflicts ?? 0) + 1;
    },
  },
];

async function setupSystem(s, keys = KEYS) {
  const p = pool(s, 32);
  for (const key of ["lat-r", "lat-w", "hot", "cas"]) await put(p, key);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys) {
        const key = keyOf(next++);
        let r = await put(p, key);
        for (let attempt = 1; attempt < 8 && r.status !== 200 && r.status !== 201; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          r = await put(p, key);
        }
        if (r.status !== 200 && r.status !== 201) throw new Error(`${s.name}: setup PUT failed with ${r.status}: ${r.text}`);
      }
    }),
  );
}

async function counterValue(s, key) {
  const r = await get(pool(s, 1), key);
  if (r.status === 404) return 0;
  if (r.status !== 200) throw new Error(`${s.name}: GET ${key} answered ${r.status}`);
  return Number(r.text);
}

/** One slice of one scenario on one system. */
async function runSlice(sc, s, slice, tally) {
  if (sc.count) {
    const n = Math.ceil(P.fresh / P.slices);
    const secs = await loop(1, Infinity, (c, i) => sc.op(s, tally, i, `${slice}`), n);
    tally.seconds += secs;
    return;
  }
  const scratch = newTally();
  await loop(sc.clients, P.warmS, (c, i) => sc.op(s, scratch, i, slice));
  const before = sc.kind === "increment" ? await counterValue(s, "counter") : 0;
  const cpu0 = cpuSeconds(s.pid);
  const okBefore = tally.ok;
  const secs = await loop(sc.clients, P.sliceS, (c, i) => sc.op(s, tally, i, slice));
  tally.cpu += cpuSeconds(s.pid) - cpu0;
  tally.seconds += secs;
  if (sc.kind === "increment") {
    const after = await counterValue(s, "counter");
    const acked = tally.ok - okBefore;
    tally.extra.acked = (tally.extra.acked ?? 0) + acked;
    tally.extra.counted = (tally.extra.counted ?? 0) + (after - before);
    if (after - before !== acked) {
      tally.extra.mismatch = true;
      log(`!!! ${s.name}: counter moved by ${after - before} but ${acked} increments were acknowledged (statuses ${JSON.stringify(tally.statuses)})`);
    }
  }
}

/** Reads back every acknowledged write of an overload cell: how many are lost (must be 0). */
async function lostWrites(s, tally) {
  let lost = 0;
  for (const [key, { version, value }] of tally.extra.acked ?? []) {
    const r = await get(pool(s, 1), key);
    const v = Number(/\d+/.exec(r.etag ?? "")?.[0] ?? NaN);
    if (r.status !== 200 || !(v >= version) || (v === version && r.text !== value)) {
      lost++;
      if (lost <= 3) log(`!!! ${s.name}: ${key} acknowledged at version ${version}, read back ${r.status} version ${v}`);
    }
  }
  return lost;
}

function pct(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summarize(sc, t) {
  const lat = Float64Array.from(t.lat).sort();
  const out = {
    ops: t.ops,
    ok: t.ok,
    seconds: round(t.seconds, 3),
    statuses: t.statuses,
    p50_us: Math.round(pct(lat, 0.5)),
    p99_us: Math.round(pct(lat, 0.99)),
    max_us: Math.round(lat.length ? lat[lat.length - 1] : NaN),
    share_503: t.ops ? round((t.statuses[503] ?? 0) / t.ops, 4) : null,
    mean_us: Math.round(lat.reduce((a, b) => a + b, 0) / (lat.length || 1)),
    ok_per_s: Math.round(t.ok / t.seconds),
    rounds_per_op: t.roundsN ? round(t.rounds / t.roundsN, 3) : null,
    piggyback_share: t.roundsN ? round(t.piggyback / t.roundsN, 3) : null,
    workerd_cpu_us_per_ok: t.cpu > 0 && t.ok > 0 ? Math.round((t.cpu * 1e6) / t.ok) : null,
    workerd_cpu_share: t.seconds > 0 && t.cpu > 0 ? round(t.cpu / t.seconds, 2) : null,
    errors: t.ops - t.ok - (t.extra.conflicts ?? 0),
  };
  if (sc.kind === "increment") Object.assign(out, { acked: t.extra.acked ?? 0, counted: t.extra.counted ?? 0, count_ok: !t.extra.mismatch });
  if (sc.kind === "overload") Object.assign(out, { acked_keys: t.extra.acked?.size ?? 0, lost: t.extra.lost ?? null });
  if (sc.kind === "cas") Object.assign(out, { conflicts: t.extra.conflicts ?? 0, conflicts_per_success: round((t.extra.conflicts ?? 0) / Math.max(1, t.ok), 2) });
  return out;
}

function round(x, d) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------------------------
// wrangler dev (the number a user sees through `npm start`)

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function wranglerDev() {
  const port = await freePort();
  const inspector = await freePort();
  const persist = path.join(tmpRoot, "persist", "wrangler-dev");
  const args = ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", persist];
  log(`starting: npx ${args.join(" ")}`);
  const child = spawn("npx", args, {
    cwd: ROOT,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const kill = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  cleanups.push(async () => {
    kill();
    await new Promise((r) => setTimeout(r, 300));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      const r = await fetch(`${url}/v1/keys/ping`);
      await r.text();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`wrangler dev did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { name: "ballot3_dev", label: "Ballot N=3 via wrangler dev", url, pools: new Map(), pid: undefined, kill };
}

// ---------------------------------------------------------------------------------------------------------------
// Accounting: DO calls, commits, SQL statements and bytes per operation (instrumented builds, untimed)

const HAVE_STRACE = (() => {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Attaches `strace -c -f` to a workerd; stop() returns its syscall counts (fsync = durable commits on disk). */
async function syscallCounter(pid) {
  if (!HAVE_STRACE || pid === undefined) return { stop: async () => null };
  const st = spawn("strace", ["-f", "-c", "-p", String(pid)], { stdio: ["ignore", "ignore", "pipe"] });
  let out = "";
  st.stderr.on("data", (d) => (out += d));
  await new Promise((r) => setTimeout(r, 300));
  return {
    stop: async () => {
      st.kill("SIGINT");
      await new Promise((r) => st.on("exit", r));
      const counts = {};
      for (const m of out.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/gm)) counts[m[2]] = Number(m[1]);
      return counts;
    },
  };
}

async function accounting(sys) {
  const s = await startSystem(sys, sys.accounting ?? sys.entry, "acct");
  await setupSystem(s, ACCOUNTING_KEYS);
  const n = P.accountingOps;
  const instrumented = sys.accounting !== undefined;
  const none = { calls: NaN, messages: NaN, commits: NaN, sqlWrites: NaN, sqlReads: NaN, bytesIn: NaN, bytesOut: NaN };
  const stats = async (reset) => (instrumented ? JSON.parse((await request(pool(s, 1), "GET", `/__bench/stats${reset ? "?reset" : ""}`)).text) : none);
  const cells = [
    { id: "read", clients: 1, ops: Math.min(n, 300), op: (i) => get(pool(s, 1), "lat-r") },
    { id: "write_same", clients: 1, ops: Math.min(n, 300), op: (i) => put(pool(s, 1), "lat-w") },
    { id: "write_fresh", clients: 1, ops: Math.min(n, 150), op: (i) => put(pool(s, 1), `acct-fresh-${i}`) },
    { id: "put_hot_64", clients: 64, ops: n, op: () => put(pool(s, 64), "hot") },
    { id: `put_${ACCOUNTING_KEYS}_64`, clients: 64, ops: n, op: () => put(pool(s, 64), keyOf(Math.floor(Math.random() * ACCOUNTING_KEYS))) },
    { id: "incr_64", clients: 64, ops: n, op: () => incr(pool(s, 64), "acct-counter") },
  ];
  const out = {};
  for (const c of cells) {
    await stats(true);
    const t = newTally();
    const sc = await syscallCounter(s.pid);
    await loop(c.clients, Infinity, (_, i) => c.op(i).then((r) => record(t, r, [200, 201])), c.ops);
    const syscalls = await sc.stop();
    const k = await stats(true);
    const per = (x) => round(x / t.ops, 2);
    out[c.id] = {
      ops: t.ops,
      rounds_per_op: t.roundsN ? round(t.rounds / t.roundsN, 2) : null,
      do_calls_per_op: per(k.calls),
      messages_per_op: per(k.messages),
      commits_per_op: per(k.commits),
      sql_writes_per_op: per(k.sqlWrites),
      sql_reads_per_op: per(k.sqlReads),
      rpc_bytes_in_per_op: Math.round(k.bytesIn / t.ops),
      rpc_bytes_out_per_op: Math.round(k.bytesOut / t.ops),
      fsyncs_per_op: syscalls ? per((syscalls.fsync ?? 0) + (syscalls.fdatasync ?? 0)) : null,
      fcntl_per_op: syscalls ? per(syscalls.fcntl ?? 0) : null,
    };
  }
  for (const p of s.pools.values()) await p.destroy();
  s.pools.clear();
  await s.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const TARGETS = [
  { id: "read_p50_vs_one_do", text: "read p50 <= 1.3x one-DO read", num: ["read", "p50_us", "ballot3"], den: ["read", "p50_us", "baseline"], op: "<=", limit: 1.3 },
  { id: "write_p50_vs_skeleton", text: "write p50 (same key) <= 1.1x skeleton", num: ["write_same", "p50_us", "ballot3"], den: ["write_same", "p50_us", "skeleton3"], op: "<=", limit: 1.1 },
  { id: "write_p50_vs_one_do", text: "write p50 (same key) <= 1.6x one-DO write", num: ["write_same", "p50_us", "ballot3"], den: ["write_same", "p50_us", "baseline"], op: "<=", limit: 1.6 },
  { id: "tput_2000_64_vs_skeleton", text: `PUT ${KEYS} keys @64 conns >= 1x skeleton`, num: ["put_2000_64", "ok_per_s", "ballot3"], den: ["put_2000_64", "ok_per_s", "skeleton3"], op: ">=", limit: 1.0 },
  ...["put_2000_64", "put_2000_256", "put_hot16_64", "put_hot16_256"].map((cell) => ({
    id: `${cell}_p99_vs_one_do`,
    text: `${cell} p99 <= 2x one-DO`,
    num: [cell, "p99_us", "ballot3"],
    den: [cell, "p99_us", "baseline"],
    op: "<=",
    limit: 2,
  })),
  { id: "incr_64_vs_one_do", text: "increment goodput @64 clients >= 1x one-DO", num: ["incr_64", "ok_per_s", "ballot3"], den: ["incr_64", "ok_per_s", "baseline"], op: ">=", limit: 1.0 },
];

/** Ballot's default deadline (4 s) plus one round timeout (1 s): no answer may take longer. */
const MAX_ANSWER_US = 5_000_000;

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join(" | ");
      return i === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("-|-")}` : line;
    })
    .join("\n");
}

function fmt(x) {
  return x === null || x === undefined || Number.isNaN(x) ? "-" : typeof x === "number" ? x.toLocaleString("en-US") : String(x);
}

function report(result) {
  const R = result.results;
  const ratio = (id, metric, a, b) => {
    const x = R[id]?.[a]?.[metric];
    const y = R[id]?.[b]?.[metric];
    return x && y ? round(x / y, 2) : null;
  };
  const lines = [];
  const metricsOf = (sc) =>
    sc.kind === "latency"
      ? [
          ["p50_us", "p50 µs"],
          ["p99_us", "p99 µs"],
        ]
      : sc.kind === "overload"
        ? [
            ["p50_us", "p50 µs"],
            ["p99_us", "p99 µs"],
            ["max_us", "max µs"],
            ["share_503", "503 share"],
            ["ok_per_s", "goodput ok/s"],
          ]
      : sc.kind === "cas"
        ? [
            ["ok_per_s", "successes/s"],
            ["conflicts_per_success", "412s per success"],
          ]
        : [["ok_per_s", "ok/s"]];
  const names = result.systems.map((s) => s.name);
  const rows = [["scenario", ...result.systems.map((s) => s.label), "B3/skel", "B3/1DO", "B5/1DO"]];
  for (const sc of SCENARIOS) {
    for (const [metric, unit] of metricsOf(sc)) {
      rows.push([
        `${sc.label}: ${unit}`,
        ...names.map((n) => fmt(R[sc.id]?.[n]?.[metric])),
        fmt(ratio(sc.id, metric, "ballot3", "skeleton3")),
        fmt(ratio(sc.id, metric, "ballot3", "baseline")),
        fmt(ratio(sc.id, metric, "ballot5", "baseline")),
      ]);
    }
  }
  lines.push(table(rows));
  lines.push("");
  const r2 = [["Server-Timing rounds/op | workerd CPU µs/ok", ...result.systems.map((s) => s.label)]];
  for (const sc of SCENARIOS) {
    r2.push([
      sc.label,
      ...names.map((n) => {
        const c = R[sc.id]?.[n];
        if (!c) return "-";
        return `${fmt(c.rounds_per_op)} | ${fmt(c.workerd_cpu_us_per_ok)}`;
      }),
    ]);
  }
  lines.push(table(r2));
  if (result.compare) {
    lines.push("", `Before (${result.compare.dir}, ${result.compare.git}) vs after (this tree, ${result.machine.git}), Ballot N=3, same run:`);
    const r3 = [["cell", "before", "after", "after/before"]];
    for (const sc of SCENARIOS.filter((x) => R[x.id]?.ballot3_before)) {
      for (const [metric, unit] of metricsOf(sc)) {
        const before = R[sc.id].ballot3_before[metric];
        const after = R[sc.id].ballot3?.[metric];
        r3.push([`${sc.label}: ${unit}`, fmt(before), fmt(after), fmt(before && after ? round(after / before, 3) : null)]);
      }
    }
    lines.push(table(r3));
  }
  const problems = [];
  for (const sc of SCENARIOS)
    for (const n of names) {
      const c = R[sc.id]?.[n];
      if (c && c.errors > 0) problems.push(`${n} ${sc.id}: ${c.errors} failed requests ${JSON.stringify(c.statuses)}`);
      if (c && n.startsWith("ballot") && c.max_us > MAX_ANSWER_US) problems.push(`${n} ${sc.id}: max ${fmt(c.max_us)} µs, over deadline + one round timeout`);
      if (c && c.lost > 0) problems.push(`!!! ${n} ${sc.id}: ${c.lost} ACKNOWLEDGED WRITES LOST`);
      if (c && c.count_ok === false) problems.push(`!!! ${n} ${sc.id}: COUNT MISMATCH, acknowledged ${c.acked}, counter moved ${c.counted}`);
    }
  if (problems.length) lines.push("", "Problems:", ...problems.map((p) => `  ${p}`));
  lines.push("", "Targets (Ballot N=3):");
  // A target whose cells this run skipped (--cells) has no ratio: it was not measured, not missed.
  for (const t of result.targets) lines.push(`  ${t.ratio === null ? "NOT RUN" : t.met ? "MET    " : "NOT MET"}  ${t.text}: ${fmt(t.ratio)}x`);
  if (result.dev) {
    lines.push("", `Through \`npm start\` (wrangler dev, Ballot N=3; same load generator, ${result.dev.note}):`);
    const d = result.dev.results;
    lines.push(
      table([
        ["scenario", "via wrangler dev", "at workerd (above)"],
        ["read 1 client p50 µs", fmt(d.read?.p50_us), fmt(R.read?.ballot3?.p50_us)],
        ["write same key 1 client p50 µs", fmt(d.write_same?.p50_us), fmt(R.write_same?.ballot3?.p50_us)],
        ["PUT 1 hot key 64 conns ok/s", fmt(d.put_hot_64?.ok_per_s), fmt(R.put_hot_64?.ballot3?.ok_per_s)],
      ]),
    );
  }
  if (result.accounting) {
    lines.push(
      "",
      "Accounting per operation (instrumented acceptors, untimed; one DO/key by construction: 1 call, 1 commit per write;",
      `bytes = JSON-equivalent RPC payload; fsyncs = fsync+fdatasync syscalls of workerd by strace -c${STORAGE === "tmpfs" ? ", on tmpfs" : ""}):`,
    );
    const rows3 = [["cell", "system", "rounds", "DO calls", "commits", "fsyncs", "SQL writes", "SQL reads", "bytes in", "bytes out"]];
    for (const [sysName, cells] of Object.entries(result.accounting))
      for (const [cell, a] of Object.entries(cells))
        rows3.push([cell, sysName, fmt(a.rounds_per_op), fmt(a.do_calls_per_op), fmt(a.commits_per_op), fmt(a.fsyncs_per_op), fmt(a.sql_writes_per_op), fmt(a.sql_reads_per_op), fmt(a.rpc_bytes_in_per_op), fmt(a.rpc_bytes_out_per_op)]);
    lines.push(table(rows3));
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------

const LOAD_AT_START = os.loadavg().map((x) => round(x, 2));

function gitState(dir = ROOT) {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: dir }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: dir }).toString().trim() !== "";
    return `${head}${dirty ? " + uncommitted changes in src/" : ""}`;
  } catch {
    return null;
  }
}

async function main() {
  for (const id of CELLS ?? []) {
    if (!SCENARIOS.some((sc) => sc.id === id)) throw new Error(`--cells: no cell ${id} (cells: ${SCENARIOS.map((sc) => sc.id).join(", ")})`);
  }
  const started = Date.now();
  log(`bench: ${QUICK ? "quick" : "full"} run, storage ${STORAGE}, ${KEYS} keys; temp dir ${tmpRoot}`);
  const systems = [];
  for (const sys of SYSTEMS) {
    const s = await startSystem(sys, sys.entry, "main");
    log(`  ${s.name} at ${s.url} (workerd pid ${s.pid})`);
    systems.push(s);
  }
  // All systems at once: their commits are fsyncs of different files, which the disk overlaps.
  await Promise.all(
    systems.map(async (s) => {
      try {
        const t0 = Date.now();
        await setupSystem(s);
        log(`  ${s.name}: wrote ${KEYS + 4} keys in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (e) {
        throw new Error(`${s.name}: setup failed: ${e?.message ?? e}`, { cause: e });
      }
    }),
  );
  log(`  setup done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const results = {};
  for (const sc of SCENARIOS) {
    if (CELLS && !CELLS.has(sc.id)) continue;
    results[sc.id] = {};
    const tallies = new Map(systems.map((s) => [s.name, newTally()]));
    // A discarded pass over every system first: the first slice of a cell ran cold (an A/A run of four identical
    // Ballots measured the first-placed one 3-5% slower on read, 600-620 µs against 580-595), and the first place
    // is always Ballot N=3's.
    // (Fresh-key cells warm with 20 writes only: each is a new object for the one-object-per-key baseline.)
    for (const s of systems) await loop(sc.clients, P.cellWarmS, (c, i) => sc.op(s, newTally(), i, "warm"), sc.count ? 20 : Infinity);
    for (let slice = 0; slice < P.slices; slice++) {
      const order = slice % 2 === 0 ? systems : [...systems].reverse();
      for (const s of order) await runSlice(sc, s, slice, tallies.get(s.name));
    }
    // The skeleton is a bare call pattern, not a register: only real registers are read back.
    if (sc.kind === "overload") for (const s of systems.filter((x) => x.name !== "skeleton3")) tallies.get(s.name).extra.lost = await lostWrites(s, tallies.get(s.name));
    for (const s of systems) results[sc.id][s.name] = summarize(sc, tallies.get(s.name));
    log(`  ${sc.label}: ${systems.map((s) => `${s.name} ${sc.kind === "latency" ? results[sc.id][s.name].p50_us + " µs" : results[sc.id][s.name].ok_per_s + "/s"}`).join(", ")}`);
  }
  for (const s of systems) {
    for (const p of s.pools.values()) await p.destroy();
    s.pools.clear();
  }

  let dev;
  if (WITH_DEV) {
    // Stop the Miniflare systems first so the wrangler dev pass has the machine to itself.
    for (const s of systems) await s.dispose();
    const d = await wranglerDev();
    await setupSystem(d, 0);
    const devResults = {};
    for (const id of ["read", "write_same", "put_hot_64"]) {
      const sc = SCENARIOS.find((x) => x.id === id);
      const t = newTally();
      for (let slice = 0; slice < P.slices; slice++) await runSlice(sc, d, slice, t);
      devResults[id] = summarize(sc, t);
      log(`  wrangler dev ${sc.label}: ${sc.kind === "latency" ? devResults[id].p50_us + " µs" : devResults[id].ok_per_s + "/s"}`);
    }
    for (const p of d.pools.values()) await p.destroy();
    d.kill();
    dev = { command: "wrangler dev --ip 127.0.0.1 --port <free> --persist-to <tmp> (as npm start)", note: "wrangler's proxy in front of workerd", results: devResults };
  }

  let acct;
  if (WITH_ACCOUNTING) {
    acct = {};
    for (const sys of SYSTEMS.filter((s) => s.name !== "ballot5" && s.vars === undefined)) {
      acct[sys.label] = await accounting(sys);
      log(`  accounting ${sys.name} done`);
    }
  }

  const R = results;
  const targets = TARGETS.map((t) => {
    const x = R[t.num[0]]?.[t.num[2]]?.[t.num[1]];
    const y = R[t.den[0]]?.[t.den[2]]?.[t.den[1]];
    const ratio = x && y ? round(x / y, 2) : null;
    return { ...t, ratio, met: ratio !== null && (t.op === "<=" ? ratio <= t.limit : ratio >= t.limit) };
  });
  let workerdVersion = null;
  try {
    workerdVersion = execFileSync(path.join(ROOT, "node_modules/.bin/workerd"), ["--version"]).toString().trim();
  } catch {
    // unknown
  }
  const pkgVersion = (name) => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  const result = {
    command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    date: new Date().toISOString(),
    duration_s: Math.round((Date.now() - started) / 1000),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? "unknown",
      memory_gb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      workerd: `${workerdVersion} (npm workerd ${pkgVersion("workerd")})`,
      miniflare: pkgVersion("miniflare"),
      wrangler: pkgVersion("wrangler"),
      loadavg_at_start: LOAD_AT_START,
      loadavg_at_end: os.loadavg().map((x) => round(x, 2)),
      git: gitState(),
    },
    parameters: { ...P, storage: STORAGE, keys: KEYS, ballot_vars: BALLOT_VARS, value_bytes: VALUE.length, alternation: "per cell: slice order A B C D, then D C B A", client: "undici Pool, keep-alive, closed loop" },
    systems: systems.map((s) => ({ name: s.name, label: s.label, entry: s.entry, acceptors: s.n })),
    results,
    ratios: Object.fromEntries(
      SCENARIOS.flatMap((sc) =>
        ["p50_us", "p99_us", "ok_per_s"].map((m) => [
          `${sc.id}.${m}`,
          {
            ballot3_over_skeleton3: R[sc.id]?.ballot3?.[m] && R[sc.id]?.skeleton3?.[m] ? round(R[sc.id].ballot3[m] / R[sc.id].skeleton3[m], 3) : null,
            ballot3_over_baseline: R[sc.id]?.ballot3?.[m] && R[sc.id]?.baseline?.[m] ? round(R[sc.id].ballot3[m] / R[sc.id].baseline[m], 3) : null,
            ballot5_over_baseline: R[sc.id]?.ballot5?.[m] && R[sc.id]?.baseline?.[m] ? round(R[sc.id].ballot5[m] / R[sc.id].baseline[m], 3) : null,
          },
        ]),
      ),
    ),
    targets: targets.map(({ id, text, ratio, met, limit, op }) => ({ id, text, ratio, limit, op, met })),
    dev,
    accounting: acct,
    compare: COMPARE === null ? undefined : { dir: COMPARE, git: gitState(COMPARE) },
  };
  const text = report(result);
  result.table = text;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT + ".tmp", JSON.stringify(result, null, 2) + "\n");
  fs.renameSync(OUT + ".tmp", OUT);
  console.log(
    `$ ${result.command}\n(${result.date}; ${result.machine.cores} cores ${result.machine.cpu}; Node ${result.machine.node}; workerd ${workerdVersion}; ` +
      `storage ${STORAGE}; ${KEYS} keys; load avg ${LOAD_AT_START.join(" ")} at start, ${result.machine.loadavg_at_end.join(" ")} at end; src ${result.machine.git})\n`,
  );
  console.log(text);
  console.log(`\n(${result.duration_s} s; every figure in ${path.relative(ROOT, OUT)})`);
  const lostAny = Object.values(results).some((cell) => Object.values(cell).some((c) => c.lost > 0));
  if (lostAny) {
    console.error("\n!!! ACKNOWLEDGED WRITES LOST (see above)");
    process.exitCode = 1;
  }
  const mismatch = Object.values(results.incr_64 ?? {}).some((c) => c.count_ok === false);
  if (mismatch) {
    console.error("\n!!! COUNT MISMATCH: a counter's final value differs from the acknowledged increments (see above)");
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await cleanup();
}
