#!/usr/bin/env node
// Issue 20's watch cells: many SSE watchers of one key (GET /v1/watch/{key}) and of a prefix (GET /v1/watch?prefix=P),
// on one local workerd (Miniflare), N=3, the first layout (16 groups). Prints a table and writes bench/results/watch.json.
//
//   npm run bench:watch -- [options]         (node bench/watch.mjs [options])
//
// Two Workers from the same bundle share the Durable Objects (defined by the first): "watchers" serves every watch
// stream, "writers" (its own isolate, like another Cloudflare isolate) serves the PUTs of the "hub" path, so their
// hints reach the watchers only through the WatchHub objects, as in production. PUTs of the "local" path go to the
// watchers' own isolate, whose proposer hints its watchers at once (no hub on the way; production sees this only when
// the writer and the watcher land in the same isolate). The bundle is bench/accounting/watch-entry.ts: Ballot
// unchanged, every Durable Object request counted (one increment each), GET /__bench/stats.
//
// Cells, one after another on the same server:
//   0. idle, no watcher: DO requests over --idle-s (the fixed cost), workerd RSS and CPU;
//   1. one key watcher, idle --idle-s: the marginal cost of a watcher;
//   2. --watchers key watchers of one key: time to open them all (until each has its first event, the current
//      state); workerd RSS before/after (memory per watcher); --puts PUTs by each path (alternating, --gap-ms apart):
//      per PUT and watcher, the time from the PUT's answer (headers received) to that watcher's event with the PUT's
//      version (p50/p99/max over every watcher and PUT), versions skipped (a later version came first: allowed) or
//      missing (nothing by --deliver-timeout-ms), and the DO requests each PUT caused; then idle --idle-s with all open;
//   3. with --prefix-watchers P (0: skipped): --prefix-keys keys under a prefix, one prefix watcher idle, then P prefix
//      watchers: open (until `synced`), memory, PUTs of keys under the prefix by both paths, idle. Skipped with a
//      message when the server answers 404 or 400 to GET /v1/watch?prefix= (a tree without the route).
//   options: --watchers 1000, --prefix-watchers 0, --prefix-keys 10, --puts 20 (per path), --gap-ms 1000,
//            --idle-s 60, --open-concurrency 50, --deliver-timeout-ms 12000, --max-load 1.5 (wait, up to 5 times 30 s,
//            while the 1-minute load average is above it at start), --var NAME=VALUE (a Worker var over
//            wrangler.toml's, e.g. BALLOT_WATCH_RECHECK_MS=10000), --out bench/results/watch.json
//
// The bench process (Node, undici, one connection per watcher) shares the machine's cores with workerd: a figure is
// the server's and the client's time together. Its event-loop delay during the PUTs is reported with the latencies.
import { Miniflare } from "miniflare";
import { Pool } from "undici";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { execFileSync } from "node:child_process";
import { ROOT, bundleWorker, miniflareOptions, ALL_DURABLE_OBJECTS } from "./common/worker-build.mjs";
import { cleanup, cleanups } from "./common/cleanups.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const WATCHERS = Number(flag("--watchers", "1000"));
const PREFIX_WATCHERS = Number(flag("--prefix-watchers", "0"));
const PREFIX_KEYS = Number(flag("--prefix-keys", "10"));
const PUTS = Number(flag("--puts", "20"));
const GAP_MS = Number(flag("--gap-ms", "1000"));
const IDLE_S = Number(flag("--idle-s", "60"));
const OPEN_CONCURRENCY = Number(flag("--open-concurrency", "50"));
const DELIVER_TIMEOUT_MS = Number(flag("--deliver-timeout-ms", "12000"));
const MAX_LOAD = Number(flag("--max-load", "1.5"));
/** After closing watchers, wait up to this long for their rechecks to stop before the next cell. */
const DRAIN_MAX_S = Number(flag("--drain-max-s", "60"));
const OUT = path.resolve(ROOT, flag("--out", "bench/results/watch.json"));
const VARS = Object.fromEntries(
  argv.flatMap((a, i) => (argv[i - 1] === "--var" ? [a] : [])).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const COMMAND = ["node bench/watch.mjs", ...argv].join(" ");

const KEY = "bench-watch/one";
const PREFIX = "bench-watch-prefix/";
const prefixKey = (i) => `${PREFIX}k${String(i).padStart(4, "0")}`;
const keyPath = (key) => `/v1/keys/${encodeURIComponent(key)}`;

const T0 = performance.now();
const log = (...a) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${a.join(" ")}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 0) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const load = () => os.loadavg().map((x) => round(x, 2));
function summary(values, d = 1) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: round(s[0], d), p50: round(quantile(s, 0.5), d), p99: round(quantile(s, 0.99), d), max: round(s[s.length - 1], d) };
}

// ---------------------------------------------------------------------------------------------------------------
// The server: two Workers in one workerd process


async function quietStart() {
  const seen = [];
  for (let attempt = 0; ; attempt++) {
    const l = load();
    seen.push({ at: new Date().toISOString(), loadavg: l });
    if (l[0] <= MAX_LOAD || attempt >= 5) return seen;
    log(`load average ${l.join(" ")} above ${MAX_LOAD}: waiting 30 s (${attempt + 1}/5)`);
    await sleep(30_000);
  }
}

async function startServer() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-watch-bench-"));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const outfile = await bundleWorker("bench/accounting/watch-entry.ts", path.join(tmp, "worker.js"));
  const durableObjects = ALL_DURABLE_OBJECTS;
  const sys = { binding: "ACCEPTOR", className: "Acceptor", collector: true };
  const { host, port, durableObjectsPersist, ...worker } = miniflareOptions("watchers", sys, outfile, tmp, VARS, { durableObjects });
  const workerLines = [];
  const mf = new Miniflare({
    host,
    port,
    durableObjectsPersist,
    handleRuntimeStdio(stdout, stderr) {
      // Kept (the last 200 lines) for a failure's diagnosis; the request log is one line per request.
      for (const s of [stdout, stderr]) {
        s.setEncoding("utf8");
        s.on("data", (chunk) => {
          workerLines.push(chunk);
          if (workerLines.length > 200) workerLines.shift();
        });
      }
    },
    workers: [
      { ...worker, name: "watchers" },
      {
        ...worker,
        name: "writers",
        durableObjects: Object.fromEntries(Object.entries(durableObjects).map(([b, o]) => [b, { ...o, scriptName: "watchers" }])),
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
    ],
  });
  cleanups.push(() => mf.dispose());
  const watchersUrl = (await mf.ready).toString().replace(/\/$/, "");
  const writersUrl = (await mf.unsafeGetDirectURL("writers")).toString().replace(/\/$/, "");
  const pid = workerdPid();
  return { mf, watchersUrl, writersUrl, pid, workerLines };
}

/** The workerd child of this process (Miniflare spawns it directly). */
function workerdPid() {
  const found = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm.startsWith("workerd")) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  if (found.length !== 1) throw new Error(`expected one workerd child process, found ${found.length}`);
  return found[0];
}

/** workerd's resident memory (VmRSS, MiB) and CPU time (user + system, s) so far. */
function procStats(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: rssKb / 1024, cpuS: ticks / 100 };
}

// ---------------------------------------------------------------------------------------------------------------
// SSE watchers

/** One watch stream: its events parsed as they arrive, each stamped with its arrival time. */
class Watcher {
  status = null;
  body = null;
  buf = "";
  firstAt = null;
  syncedAt = null;
  error = null;
  ended = false;
  closing = false;
  /** Key streams: version -> arrival; prefix streams: "key@version" -> arrival. */
  got = new Map();
  /** Highest version seen per key. */
  latest = new Map();
  waiters = [];

  constructor(kind) {
    this.kind = kind; // "key" | "prefix"
  }

  onChunk(chunk, at) {
    this.buf += chunk;
    let i;
    while ((i = this.buf.indexOf("\n\n")) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event = "message";
      let data = "";
      let sawData = false;
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const c = line.indexOf(":");
        const field = c < 0 ? line : line.slice(0, c);
        let value = c < 0 ? "" : line.slice(c + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") {
          data = sawData ? `${data}\n${value}` : value;
          sawData = true;
        }
      }
      if (sawData) this.onEvent(event, data, at);
    }
  }

  onEvent(event, data, at) {
    if (event === "put" || event === "delete") {
      const { key, version } = JSON.parse(data);
      this.got.set(this.kind === "key" ? version : `${key}@${version}`, at);
      if (version > (this.latest.get(key) ?? 0)) this.latest.set(key, version);
      // A key stream is open at its first event (the current state).
      if (this.kind === "key" && this.firstAt === null) this.firstAt = at;
    } else if (event === "synced") {
      if (this.syncedAt === null) this.syncedAt = at;
    } else if (event === "error") {
      this.error = `event: error ${data}`;
    }
    this.wake();
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Open: the key stream's first event, the prefix stream's `synced`. */
  get openAt() {
    return this.kind === "key" ? this.firstAt : this.syncedAt;
  }

  close() {
    this.closing = true;
    this.body?.destroy();
  }
}

async function openWatcher(pool, urlPath, kind) {
  const w = new Watcher(kind);
  w.startedAt = performance.now();
  const res = await pool.request({ method: "GET", path: urlPath, headers: { accept: "text/event-stream" }, bodyTimeout: 0, headersTimeout: 60_000 });
  w.status = res.statusCode;
  if (res.statusCode !== 200) {
    w.error = `${res.statusCode} ${await res.body.text()}`;
    return w;
  }
  w.body = res.body;
  res.body.setEncoding("utf8");
  res.body.on("data", (chunk) => w.onChunk(chunk, performance.now()));
  res.body.on("error", (e) => {
    if (!w.closing) w.error = `stream: ${e?.code ?? e?.message ?? e}`;
    w.wake();
  });
  res.body.on("end", () => {
    w.ended = true;
    w.wake();
  });
  return w;
}

/** Opens `n` watchers of `urlPath`, `OPEN_CONCURRENCY` at a time (each slot waits for its watcher to be open). */
async function openMany(pool, urlPath, kind, n) {
  const watchers = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(OPEN_CONCURRENCY, n) }, async () => {
      while (next < n) {
        next++;
        const w = await openWatcher(pool, urlPath, kind);
        watchers.push(w);
        if (w.status !== 200) throw new Error(`watch ${urlPath}: ${w.error}`);
        const deadline = performance.now() + 60_000;
        while (w.openAt === null && w.error === null && !w.ended && performance.now() < deadline) {
          await new Promise((r) => {
            w.waiters.push(r);
            setTimeout(r, 1000);
          });
        }
        if (w.openAt === null) throw new Error(`watch ${urlPath}: not open after 60 s (${w.error ?? (w.ended ? "ended" : "no event")})`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { watchers, open: { seconds: round(seconds, 2), perWatcherMs: summary(watchers.map((w) => w.openAt - w.startedAt)) } };
}

/**
 * Closes the watchers' connections, then counts the acceptor calls second by second until 8 s in a row have none (at
 * most `DRAIN_MAX_S`): the server stops a stream's rechecks only once it notices the client left. Returns when the
 * last call came (s after the close) and the calls made after the close.
 */
async function closeAll(ctx, watchers) {
  await takeStats(ctx.stats);
  const t0 = performance.now();
  for (const w of watchers) w.close();
  let last = null;
  let calls = 0;
  let quiet = 0;
  const perSecond = [];
  while (quiet < 8 && performance.now() - t0 < DRAIN_MAX_S * 1000) {
    await sleep(1000);
    const c = await takeStats(ctx.stats);
    const n = (c["acceptor.calls"] ?? 0) + (c["root.calls"] ?? 0);
    perSecond.push(n);
    calls += n;
    if (n > 0) {
      last = (performance.now() - t0) / 1000;
      quiet = 0;
    } else quiet++;
  }
  return { lastAcceptorCallAfterCloseS: last === null ? 0 : round(last, 1), acceptorCallsAfterClose: calls, drained: quiet >= 8, acceptorCallsPerSecond: perSecond.join(" ") };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

async function request(pool, method, urlPath, body, headers = {}) {
  const t = performance.now();
  const res = await pool.request({ method, path: urlPath, body, headers });
  const answered = performance.now();
  const text = await res.body.text();
  return { status: res.statusCode, etag: res.headers.etag, text, t, answered };
}
const versionOf = (etag) => Number(/(\d+)/.exec(etag ?? "")?.[1] ?? NaN);

async function put(pool, key, value) {
  for (let attempt = 0; ; attempt++) {
    const r = await request(pool, "PUT", keyPath(key), value, { "content-type": "text/plain" });
    if (r.status === 200 || r.status === 201) return { version: versionOf(r.etag), answered: r.answered, putMs: r.answered - r.t };
    if (attempt >= 5) throw new Error(`PUT ${key}: ${r.status} ${r.text}`);
    await sleep(100);
  }
}

/** The DO request counts since the last reset (and reset them). */
async function takeStats(pool) {
  const r = await request(pool, "GET", "/__bench/stats?reset");
  if (r.status !== 200) throw new Error(`stats: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

/** DO requests: acceptor calls (data and root groups), hub requests (every kind), collector requests. */
function kinds(c) {
  const sum = (p) => Object.entries(c).filter(([k]) => k.startsWith(p)).reduce((a, [, v]) => a + v, 0);
  return {
    acceptor: c["acceptor.calls"] ?? 0,
    root: c["root.calls"] ?? 0,
    hub: sum("hub.subscribe") + (c["hub.publish"] ?? 0) + (c["hub.webSocketMessage"] ?? 0) + (c["hub.webSocketClose"] ?? 0),
    collector: sum("collector."),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cells

/** An idle window: no writes for `IDLE_S`; DO requests by kind per minute, workerd CPU and RSS, the bench's CPU. */
async function idleWindow(ctx, label, watchers) {
  log(`idle ${IDLE_S} s: ${label}`);
  await takeStats(ctx.stats);
  const p0 = procStats(ctx.pid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(IDLE_S * 1000);
  const counts = await takeStats(ctx.stats);
  const minutes = (performance.now() - t0) / 60_000;
  const p1 = procStats(ctx.pid);
  const c1 = process.cpuUsage(c0);
  const k = kinds(counts);
  const perMinute = Object.fromEntries(Object.entries(k).map(([name, v]) => [name, round(v / minutes, 1)]));
  const broken = watchers.filter((w) => w.error !== null || w.ended).length;
  return {
    label,
    watchers: watchers.length,
    brokenStreams: broken,
    seconds: round(minutes * 60, 1),
    doRequestsPerMinute: perMinute,
    counts,
    workerdCpuPercent: round(((p1.cpuS - p0.cpuS) / (minutes * 60)) * 100, 1),
    benchCpuPercent: round(((c1.user + c1.system) / 1e6 / (minutes * 60)) * 100, 1),
    workerdRssMiB: round(p1.rssMiB, 1),
    loadavg: load(),
  };
}

/** Per watcher, per DO kind: (rate with n watchers - rate with none) / n. */
function perWatcher(windowN, window0) {
  const out = {};
  for (const [name, v] of Object.entries(windowN.doRequestsPerMinute)) out[name] = round((v - (window0.doRequestsPerMinute[name] ?? 0)) / windowN.watchers, 2);
  return out;
}

/**
 * PUTs alternating between the hub path (the writers' isolate) and the local path (the watchers' own), `GAP_MS` apart
 * (start to start, or once every watcher has the version): per PUT, every watcher's delay from the PUT's answer to its
 * event of that version, and the DO requests from the PUT to the last delivery.
 */
async function putSeries(ctx, watchers, keyOf, value) {
  const paths = { hub: { pool: ctx.writers, puts: [] }, local: { pool: ctx.local, puts: [] } };
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  for (let i = 0; i < 2 * PUTS; i++) {
    const pathName = i % 2 === 0 ? "hub" : "local";
    const key = keyOf(i);
    await takeStats(ctx.stats);
    const started = performance.now();
    const { version, answered, putMs } = await put(paths[pathName].pool, key, `${value}-${i}`);
    const id = watchers[0].kind === "key" ? version : `${key}@${version}`;
    const deadline = answered + DELIVER_TIMEOUT_MS;
    const done = () => watchers.every((w) => (w.latest.get(key) ?? 0) >= version);
    while (!done() && performance.now() < deadline) await sleep(5);
    const settled = performance.now();
    const counts = await takeStats(ctx.stats);
    const delays = [];
    let skipped = 0;
    let missing = 0;
    for (const w of watchers) {
      const at = w.got.get(id);
      if (at !== undefined) delays.push(at - answered);
      else if ((w.latest.get(key) ?? 0) > version) skipped++;
      else missing++;
    }
    paths[pathName].puts.push({ key, version, putMs, delays, skipped, missing, windowMs: settled - started, counts });
    const wait = started + GAP_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
  lag.disable();
  const out = {};
  for (const [name, { puts }] of Object.entries(paths)) {
    const all = puts.flatMap((p) => p.delays);
    out[name] = {
      puts: puts.length,
      deliveries: all.length,
      msFromAnswerToEvent: summary(all),
      lastWatcherMsPerPut: summary(puts.map((p) => Math.max(...p.delays, -Infinity))),
      skipped: puts.reduce((a, p) => a + p.skipped, 0),
      missing: puts.reduce((a, p) => a + p.missing, 0),
      putMs: summary(puts.map((p) => p.putMs)),
      perPut: puts.map((p) => ({ version: p.version, p50: round(quantile([...p.delays].sort((a, b) => a - b), 0.5), 1), max: round(Math.max(...p.delays), 1), skipped: p.skipped, missing: p.missing, windowMs: round(p.windowMs), ...kinds(p.counts) })),
    };
  }
  out.benchEventLoopDelayMs = { p50: round(lag.percentile(50) / 1e6, 1), p99: round(lag.percentile(99) / 1e6, 1), max: round(lag.max / 1e6, 1) };
  out.loadavg = load();
  return out;
}

/**
 * DO requests a PUT caused, net of the watchers' background rechecks: the mean count per PUT window minus the idle
 * rate (with the same watchers open) over the window's length.
 */
function putCost(series, idle) {
  const out = {};
  for (const name of ["hub", "local"]) {
    const perPut = series[name].perPut;
    out[name] = {};
    for (const kind of ["acceptor", "hub"]) {
      const raw = perPut.reduce((a, p) => a + p[kind], 0) / perPut.length;
      const background = perPut.reduce((a, p) => a + ((idle.doRequestsPerMinute[kind] ?? 0) * p.windowMs) / 60_000, 0) / perPut.length;
      out[name][kind] = { raw: round(raw, 1), net: round(raw - background, 1) };
    }
  }
  return out;
}

async function memory(ctx, label) {
  await sleep(5000); // let the opening's garbage go
  const p = procStats(ctx.pid);
  const m = process.memoryUsage();
  return { label, workerdRssMiB: round(p.rssMiB, 1), benchRssMiB: round(m.rss / 2 ** 20, 1), benchHeapMiB: round(m.heapUsed / 2 ** 20, 1) };
}

function memoryPerWatcher(before, after, n) {
  return {
    workerdKiBPerWatcher: round(((after.workerdRssMiB - before.workerdRssMiB) * 1024) / n, 1),
    benchKiBPerWatcher: round(((after.benchRssMiB - before.benchRssMiB) * 1024) / n, 1),
    benchHeapKiBPerWatcher: round(((after.benchHeapMiB - before.benchHeapMiB) * 1024) / n, 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------

function gitState() {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "bench"], { cwd: ROOT }).toString().trim() !== "";
    return `${head}${dirty ? " + uncommitted changes" : ""}`;
  } catch {
    return null;
  }
}

const result = {
  cell: `${WATCHERS} watchers of one key${PREFIX_WATCHERS > 0 ? `, ${PREFIX_WATCHERS} of a prefix` : ""}: delivery after a PUT, memory and idle DO requests per watcher`,
  command: COMMAND,
  date: new Date().toISOString(),
  tree: gitState(),
  machine: `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ${round(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`,
  setup:
    "one workerd (Miniflare), two Workers of one bundle (bench/accounting/watch-entry.ts: Ballot with counted DO requests) sharing the Durable Objects: " +
    "'watchers' serves every stream, 'writers' the PUTs of the hub path; N=3, 16 groups (the first layout); the bench process holds one connection per watcher",
  options: { watchers: WATCHERS, prefixWatchers: PREFIX_WATCHERS, prefixKeys: PREFIX_KEYS, putsPerPath: PUTS, gapMs: GAP_MS, idleS: IDLE_S, openConcurrency: OPEN_CONCURRENCY, vars: VARS },
};

function write() {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT + ".tmp", JSON.stringify(result, null, 2) + "\n");
  fs.renameSync(OUT + ".tmp", OUT);
}

try {
  result.loadBeforeStart = await quietStart();
  const server = await startServer();
  const ctx = {
    pid: server.pid,
    stats: new Pool(server.watchersUrl, { connections: 1 }),
    local: new Pool(server.watchersUrl, { connections: 2 }),
    writers: new Pool(server.writersUrl, { connections: 2 }),
    streams: new Pool(server.watchersUrl, { connections: Math.max(WATCHERS, PREFIX_WATCHERS) + 8, pipelining: 1, bodyTimeout: 0, keepAliveTimeout: 120_000 }),
  };
  cleanups.push(async () => {
    for (const p of [ctx.stats, ctx.local, ctx.writers, ctx.streams]) await p.destroy();
  });
  log(`workerd pid ${ctx.pid}; watchers ${server.watchersUrl}, writers ${server.writersUrl}`);

  // Warm-up: both isolates, the key's group, its hub, a stream opened and closed; the counters must see the hub.
  await put(ctx.local, KEY, "warm");
  await put(ctx.writers, KEY, "warm");
  await takeStats(ctx.stats);
  {
    const { watchers } = await openMany(ctx.streams, `/v1/watch/${encodeURIComponent(KEY)}`, "key", 1);
    const { version } = await put(ctx.writers, KEY, "warm-hub");
    for (let t = 0; t < 100 && (watchers[0].latest.get(KEY) ?? 0) < version; t++) await sleep(50);
    if ((watchers[0].latest.get(KEY) ?? 0) < version) throw new Error("the warm-up watcher did not get the hub path's PUT within 5 s");
    const c = await takeStats(ctx.stats);
    if (!c["hub.subscribe.key"] || !c["hub.publish"]) throw new Error(`the counters do not see the hub (${JSON.stringify(c)}): are the objects outside the watchers' isolate?`);
    result.warmUpClose = await closeAll(ctx, watchers);
  }

  // 0. No watcher.
  result.idle0 = await idleWindow(ctx, "no watcher", []);
  write();

  // 1. One key watcher.
  {
    const { watchers } = await openMany(ctx.streams, `/v1/watch/${encodeURIComponent(KEY)}`, "key", 1);
    result.idleKey1 = await idleWindow(ctx, "1 key watcher", watchers);
    result.idleKey1.perWatcherPerMinute = perWatcher(result.idleKey1, result.idle0);
    result.idleKey1.close = await closeAll(ctx, watchers);
    write();
  }

  // 2. Many key watchers.
  {
    const before = await memory(ctx, "no watcher");
    log(`opening ${WATCHERS} key watchers`);
    await takeStats(ctx.stats);
    const { watchers, open } = await openMany(ctx.streams, `/v1/watch/${encodeURIComponent(KEY)}`, "key", WATCHERS);
    const openCounts = await takeStats(ctx.stats);
    log(`open in ${open.seconds} s (per watcher p50 ${open.perWatcherMs.p50} ms, p99 ${open.perWatcherMs.p99} ms)`);
    const after = await memory(ctx, `${WATCHERS} key watchers`);
    log(`PUTs: ${PUTS} by each path`);
    const series = await putSeries(ctx, watchers, () => KEY, "v".repeat(64));
    log(`hub path p50 ${series.hub.msFromAnswerToEvent.p50} ms p99 ${series.hub.msFromAnswerToEvent.p99}; local p50 ${series.local.msFromAnswerToEvent.p50} p99 ${series.local.msFromAnswerToEvent.p99}`);
    await sleep(6000);
    const idle = await idleWindow(ctx, `${WATCHERS} key watchers`, watchers);
    idle.perWatcherPerMinute = perWatcher(idle, result.idle0);
    const afterIdle = await memory(ctx, `${WATCHERS} key watchers, after the idle window`);
    const drain = await closeAll(ctx, watchers);
    const closed = await memory(ctx, "closed");
    result.keyWatchers = {
      watchers: WATCHERS,
      open: { ...open, doRequests: kinds(openCounts), loadavg: load() },
      memory: { before, after, afterIdle, closed, ...memoryPerWatcher(before, after, WATCHERS) },
      close: drain,
      delivery: series,
      putCost: putCost(series, idle),
      idle,
    };
    write();
  }

  // 3. Prefix watchers.
  if (PREFIX_WATCHERS > 0) {
    const probe = await openWatcher(ctx.streams, `/v1/watch?prefix=${encodeURIComponent(PREFIX)}`, "prefix");
    if (probe.status === 404 || probe.status === 400) {
      const reason = `GET /v1/watch?prefix= answered ${probe.error}: this tree has no prefix watch route; prefix cell skipped`;
      log(reason);
      result.prefixWatchers = { skipped: reason };
    } else {
      if (probe.status !== 200) throw new Error(`prefix probe: ${probe.error}`);
      // The probe is closed only once it is open (synced): a stream whose client leaves before reading anything is
      // never stopped by the server (bench/repro/watch-disconnect.mjs), and would scan through every later window.
      for (let t = 0; t < 600 && probe.openAt === null && probe.error === null; t++) await sleep(100);
      const probeClose = await closeAll(ctx, [probe]);
      for (let i = 0; i < PREFIX_KEYS; i++) await put(ctx.local, prefixKey(i), "v".repeat(64));
      const one = await openMany(ctx.streams, `/v1/watch?prefix=${encodeURIComponent(PREFIX)}`, "prefix", 1);
      const idle1 = await idleWindow(ctx, "1 prefix watcher", one.watchers);
      idle1.perWatcherPerMinute = perWatcher(idle1, result.idle0);
      idle1.close = await closeAll(ctx, one.watchers);
      write();
      const before = await memory(ctx, "no watcher");
      log(`opening ${PREFIX_WATCHERS} prefix watchers`);
      await takeStats(ctx.stats);
      const { watchers, open } = await openMany(ctx.streams, `/v1/watch?prefix=${encodeURIComponent(PREFIX)}`, "prefix", PREFIX_WATCHERS);
      const openCounts = await takeStats(ctx.stats);
      log(`open in ${open.seconds} s (per watcher p50 ${open.perWatcherMs.p50} ms, p99 ${open.perWatcherMs.p99} ms)`);
      const after = await memory(ctx, `${PREFIX_WATCHERS} prefix watchers`);
      const series = await putSeries(ctx, watchers, (i) => prefixKey(i % PREFIX_KEYS), "v".repeat(64));
      log(`hub path p50 ${series.hub.msFromAnswerToEvent.p50} ms p99 ${series.hub.msFromAnswerToEvent.p99}; local p50 ${series.local.msFromAnswerToEvent.p50} p99 ${series.local.msFromAnswerToEvent.p99}`);
      await sleep(6000);
      const idle = await idleWindow(ctx, `${PREFIX_WATCHERS} prefix watchers`, watchers);
      idle.perWatcherPerMinute = perWatcher(idle, result.idle0);
      const drain = await closeAll(ctx, watchers);
      const closed = await memory(ctx, "closed");
      result.prefixWatchers = {
        watchers: PREFIX_WATCHERS,
        keysUnderPrefix: PREFIX_KEYS,
        probeClose,
        idle1,
        open: { ...open, doRequests: kinds(openCounts), loadavg: load() },
        memory: { before, after, closed, ...memoryPerWatcher(before, after, PREFIX_WATCHERS) },
        close: drain,
        delivery: series,
        putCost: putCost(series, idle),
        idle,
      };
      write();
    }
  }
  result.durationS = round((performance.now() - T0) / 1000);
  write();
  printTable(result);
} catch (e) {
  result.error = String(e?.stack ?? e);
  write();
  throw e;
} finally {
  await cleanup();
}

function printTable(r) {
  const rows = [];
  const row = (cell, figure, value) => rows.push([cell, figure, value]);
  const k = r.keyWatchers;
  const rate = (w) => Object.entries(w.doRequestsPerMinute).filter(([, v]) => v > 0).map(([n, v]) => `${n} ${v}`).join(", ") || "0";
  const per = (w) => Object.entries(w.perWatcherPerMinute).filter(([, v]) => v !== 0).map(([n, v]) => `${n} ${v}`).join(", ") || "0";
  row("idle, no watcher", "DO requests/min", rate(r.idle0));
  row("idle, 1 key watcher", "DO requests/min (per watcher)", `${rate(r.idleKey1)} (${per(r.idleKey1)})`);
  if (k) {
    row(`${k.watchers} key watchers`, "time to open all", `${k.open.seconds} s (per watcher p50 ${k.open.perWatcherMs.p50} ms, p99 ${k.open.perWatcherMs.p99} ms)`);
    for (const p of ["hub", "local"]) {
      const d = k.delivery[p];
      row("", `PUT answer -> event, ${p} path`, `p50 ${d.msFromAnswerToEvent.p50} ms, p99 ${d.msFromAnswerToEvent.p99}, max ${d.msFromAnswerToEvent.max} (${d.deliveries} events, ${d.skipped} skipped, ${d.missing} missing)`);
      row("", `DO requests per PUT, ${p} path (net)`, `acceptor ${k.putCost[p].acceptor.net}, hub ${k.putCost[p].hub.net}`);
    }
    row("", "workerd RSS per watcher", `${k.memory.workerdKiBPerWatcher} KiB (${k.memory.before.workerdRssMiB} -> ${k.memory.after.workerdRssMiB} MiB)`);
    row("", "idle DO requests/min (per watcher)", `${rate(k.idle)} (${per(k.idle)})`);
    row("", "idle workerd CPU", `${k.idle.workerdCpuPercent} % of a core (none: ${r.idle0.workerdCpuPercent} %)`);
  }
  const p = r.prefixWatchers;
  if (p?.skipped) row("prefix watchers", "skipped", p.skipped);
  else if (p) {
    row("idle, 1 prefix watcher", "DO requests/min (per watcher)", `${rate(p.idle1)} (${per(p.idle1)})`);
    row(`${p.watchers} prefix watchers`, "time to open all (synced)", `${p.open.seconds} s (per watcher p50 ${p.open.perWatcherMs.p50} ms, p99 ${p.open.perWatcherMs.p99} ms)`);
    for (const q of ["hub", "local"]) {
      const d = p.delivery[q];
      row("", `PUT answer -> event, ${q} path`, `p50 ${d.msFromAnswerToEvent.p50} ms, p99 ${d.msFromAnswerToEvent.p99}, max ${d.msFromAnswerToEvent.max} (${d.deliveries} events, ${d.skipped} skipped, ${d.missing} missing)`);
      row("", `DO requests per PUT, ${q} path (net)`, `acceptor ${p.putCost[q].acceptor.net}, hub ${p.putCost[q].hub.net}`);
    }
    row("", "workerd RSS per watcher", `${p.memory.workerdKiBPerWatcher} KiB (${p.memory.before.workerdRssMiB} -> ${p.memory.after.workerdRssMiB} MiB)`);
    row("", "idle DO requests/min (per watcher)", `${rate(p.idle)} (${per(p.idle)})`);
    row("", "idle workerd CPU", `${p.idle.workerdCpuPercent} % of a core`);
  }
  const w = [0, 1].map((i) => Math.max(...rows.map((x) => x[i].length)));
  console.log(`\n${r.command}   (load before: ${r.loadBeforeStart.at(-1).loadavg.join(" ")})`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0])} | ${b.padEnd(w[1])} | ${c}`);
  console.log(`(${r.durationS} s; every figure in ${path.relative(ROOT, OUT)})`);
}
