#!/usr/bin/env node
// Layout changes (issue 19): what a split costs the requests that run during it, how fast catch-up copies keys, and
// what a steady-state request costs before and after the layout wiring.
//
//   npm run bench:layout                         the split bench (~4 min): figures to bench/results/layout.json
//     1. a fresh Ballot N=3 (DEV_ADMIN=true), 10,000 keys written, every tenth then deleted;
//     2. a closed loop of 16 connections (half GET, half PUT of live keys) for an idle window, then through
//        POST /v1/admin/layout {"groups": 32} until GET /v1/admin/layout says done, then for an idle window after;
//        p50/p99/max and requests/s of reads and writes in each phase, the change's wall time, keys copied, keys/s
//        and its step timeline (GET /v1/admin/layout every 250 ms, in every phase, and the reconfigurer's log);
//     3. a second fresh cluster with the same 10,000 keys, split with no load at all: catch-up speed alone;
//     4. after each change, every live key reads back its last acknowledged value and every deleted key is 404.
//   Garbage collection is put off (BALLOT_GC_DELAY_MS=3600000) so that its sweep of the setup's tombstones does not
//   fall into a window.
//   options: --keys 10000, --clients 16, --idle-s 15 (before the change), --after-s 30, --groups 32, --no-unloaded,
//            --tree <dir> (build Ballot from the source tree at <dir>, e.g. a clean `git worktree` of HEAD, instead
//            of this one), --out <file>, --var NAME=VALUE (a Worker var over wrangler.toml's), --worker-log <file>
//            (every line the Worker logs, timed), --max-load 1.5 (wait, up to 5 times 30 s, while the 1-minute load
//            average is above this at start)
//
//   node bench/layout.mjs --compare <before-dir> [--tree <after-dir>]
//                                                steady state before/after (~2 min): bench/results/layout-compare.json
//     Both trees built side by side: single-client p50/p99 of read, write, CAS (GET + If-Match PUT) and increment,
//     alternating slices; then accounting with counting acceptors (both handle() and call() counted, root group
//     objects apart from the data groups), after a warm-up, per operation: DO calls, commits, SQL writes and reads,
//     RPC bytes. (bench/run.mjs --compare has no accounting for the compared tree, and its counting entry counts
//     handle() only, which the layout-routed proposer no longer uses for data.)
//
// A benchmark: it asserts nothing about timings. It exits 1 only if data is lost: an acknowledged write that does not
// read back (at the end, or in a read that began after it was acknowledged), or a deleted key that reappears.
import { Miniflare } from "miniflare";
import { Pool } from "undici";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, bundleWorker, miniflareOptions } from "./common/worker-build.mjs";
import { cleanup, cleanups } from "./common/cleanups.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const TREE = path.resolve(flag("--tree", ROOT));
const COMPARE = argv.includes("--compare") ? path.resolve(flag("--compare")) : null;
const KEYS = Number(flag("--keys", "10000"));
const CLIENTS = Number(flag("--clients", "16"));
const IDLE_S = Number(flag("--idle-s", "15"));
const AFTER_S = Number(flag("--after-s", "30"));
const GROUPS = Number(flag("--groups", "32"));
const UNLOADED = !argv.includes("--no-unloaded");
const MAX_LOAD = Number(flag("--max-load", "1.5"));
/** --quick: a functional check of --compare (short slices, few operations); figures not worth keeping. */
const QUICK = argv.includes("--quick");
const OUT = path.resolve(flag("--out", path.join(ROOT, COMPARE ? "bench/results/layout-compare.json" : "bench/results/layout.json")));
const POLL_MS = 250;
/** --var NAME=VALUE (repeatable): a var for the Worker on top of wrangler.toml's, e.g. BALLOT_FAIR_INTAKE=false. */
// Garbage collection is put off past the run: the sweep of the 1,000 tombstones written at setup would otherwise start
// 60 s later (BALLOT_GC_DELAY_MS), in the middle of a measured window (the split moves tombstones either way).
const VARS = {
  BALLOT_GC_DELAY_MS: "3600000",
  ...Object.fromEntries(
    argv.flatMap((a, i) => (argv[i - 1] === "--var" ? [a] : [])).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  ),
};
/** --worker-log FILE: every line the Worker logs, with its arrival time (s since the start), for diagnosis. */
const WORKER_LOG = flag("--worker-log", null);
const workerLog = WORKER_LOG ? fs.createWriteStream(path.resolve(WORKER_LOG)) : null;
/** Every tenth key is deleted after it is written: its tombstone moves with its vshard. */
const isDeleted = (i) => i % 10 === 9;
const keyOf = (i) => `lk${i}`;

for (const dir of [TREE, COMPARE].filter(Boolean)) if (!fs.existsSync(path.join(dir, "src/index.ts"))) throw new Error(`no src/index.ts in ${dir}`);

function log(...a) {
  process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${a.join(" ")}\n`);
}
const T0 = performance.now();
const round = (x, d = 0) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-layout-bench-"));
cleanups.push(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function gitState(dir) {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: dir }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: dir }).toString().trim() !== "";
    return `${head}${dirty ? " + uncommitted changes in src/" : ""}`;
  } catch {
    return null;
  }
}

function machine() {
  const pkg = (name) => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  return {
    os: `${os.type()} ${os.release()}`,
    cores: os.cpus().length,
    cpus: os.cpus().map((c) => c.model),
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    miniflare: pkg("miniflare"),
    workerd: pkg("workerd"),
  };
}

/** Waits while the machine is busy (another session's tests), up to 5 times 30 s; returns the load averages seen. */
async function quietStart() {
  const seen = [];
  for (let attempt = 0; ; attempt++) {
    const load = os.loadavg().map((x) => round(x, 2));
    seen.push({ at: new Date().toISOString(), loadavg: load });
    if (load[0] <= MAX_LOAD || attempt >= 5) return seen;
    log(`load average ${load.join(" ")} above ${MAX_LOAD}: waiting 30 s (${attempt + 1}/5)`);
    await sleep(30_000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Systems

/** Does this tree's Worker export the layout reconfigurer (a tree from after the layout wiring)? */
const hasReconfigurer = (dir) => /LayoutReconfigurer/.test(fs.readFileSync(path.join(dir, "src/index.ts"), "utf8"));

let systems = 0;
/**
 * One Ballot N=3 from `entry` (bundled), on a fresh persist dir. `onLine` sees every line the Worker logs (stdout
 * and stderr), with the time it arrived.
 */
async function startBallot(name, entry, dir, onLine = () => {}) {
  const sysDir = path.join(tmpRoot, `${name}-${systems++}`);
  fs.mkdirSync(sysDir, { recursive: true });
  const outfile = await bundleWorker(entry, path.join(sysDir, "worker.js"));
  const sys = { binding: "ACCEPTOR", className: "Acceptor", collector: true };
  const durableObjects = {
    ACCEPTOR: { className: "Acceptor", useSQLite: true },
    COLLECTOR: { className: "Collector", useSQLite: true },
    ...(hasReconfigurer(dir) ? { RECONFIGURER: { className: "LayoutReconfigurer", useSQLite: true } } : {}),
  };
  const lines = (stream, source) => {
    let rest = "";
    stream.on("data", (chunk) => {
      const at = performance.now();
      const parts = (rest + chunk).split("\n");
      rest = parts.pop();
      for (const line of parts) {
        workerLog?.write(`${((at - T0) / 1000).toFixed(3)} ${name} ${source} ${line}\n`);
        onLine(line, at, source);
      }
    });
  };
  const mf = new Miniflare(
    miniflareOptions(name, sys, outfile, sysDir, { DEV_ADMIN: "true", BALLOT_ACCEPTORS: "3", ...VARS }, {
      durableObjects,
      handleRuntimeStdio(stdout, stderr) {
        lines(stdout, "stdout");
        lines(stderr, "stderr");
      },
    }),
  );
  let disposed;
  const dispose = () => (disposed ??= mf.dispose());
  cleanups.push(dispose);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pools = [];
  const pool = (connections) => {
    const p = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
    pools.push(p);
    return p;
  };
  return {
    name,
    url,
    pool,
    async stop() {
      for (const p of pools) await p.destroy();
      await dispose();
    },
  };
}

async function request(p, method, urlPath, body, headers = {}) {
  const t = performance.now();
  try {
    const res = await p.request({ method, path: urlPath, body, headers });
    const text = await res.body.text();
    return { status: res.statusCode, etag: res.headers.etag, timing: res.headers["server-timing"] ?? "", text, t, ms: performance.now() - t };
  } catch (e) {
    return { status: `net:${e?.code ?? e?.message ?? e}`, etag: undefined, text: "", t, ms: performance.now() - t };
  }
}
const versionOf = (etag) => Number(/(\d+)/.exec(etag ?? "")?.[1] ?? NaN);
const keyPath = (key) => `/v1/keys/${encodeURIComponent(key)}`;

// ---------------------------------------------------------------------------------------------------------------
// What was acknowledged, and the read-back check

/** Per key: the acknowledged writes (version, value, when acknowledged), values of writes of unknown outcome, deleted. */
class Ledger {
  keys = new Map();
  entry(key) {
    let e = this.keys.get(key);
    if (e === undefined) this.keys.set(key, (e = { acks: [], unknown: new Set(), deleted: false }));
    return e;
  }
  acked(key, version, value, at) {
    const e = this.entry(key);
    e.acks.push({ version, value, at });
    e.deleted = false;
  }
  unknown(key, value) {
    this.entry(key).unknown.add(value);
  }
  deleted(key) {
    this.entry(key).deleted = true;
  }
  /** The highest version acknowledged before `t` (a read that began at `t` must see at least it). */
  floorAt(key, t) {
    let v = 0;
    for (const a of this.keys.get(key)?.acks ?? []) if (a.at < t && a.version > v) v = a.version;
    return v;
  }
  last(key) {
    let best;
    for (const a of this.keys.get(key)?.acks ?? []) if (best === undefined || a.version > best.version) best = a;
    return best;
  }
}

async function putKey(p, key, value) {
  for (let attempt = 0; ; attempt++) {
    const r = await request(p, "PUT", keyPath(key), value, { "content-type": "text/plain" });
    if (r.status === 200 || r.status === 201) return r;
    if (attempt >= 8) throw new Error(`setup PUT ${key} failed: ${r.status} ${r.text}`);
    await sleep(50 * (attempt + 1));
  }
}

/** Writes `KEYS` keys (32 connections), then deletes every tenth; returns the ledger. */
async function load10k(sys) {
  const p = sys.pool(32);
  const ledger = new Ledger();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < KEYS) {
        const i = next++;
        const key = keyOf(i);
        const value = `setup-${i}-${"s".repeat(20)}`;
        const r = await putKey(p, key, value);
        ledger.acked(key, versionOf(r.etag), value, performance.now());
      }
    }),
  );
  const writeS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const doomed = Array.from({ length: KEYS }, (_, i) => i).filter(isDeleted);
  let d = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (d < doomed.length) {
        const key = keyOf(doomed[d++]);
        for (let attempt = 0; ; attempt++) {
          const r = await request(p, "DELETE", keyPath(key));
          if (r.status === 204 || r.status === 200) break;
          if (attempt >= 8) throw new Error(`setup DELETE ${key} failed: ${r.status} ${r.text}`);
          await sleep(50 * (attempt + 1));
        }
        ledger.deleted(key);
      }
    }),
  );
  const deleteS = (performance.now() - t1) / 1000;
  log(`${sys.name}: wrote ${KEYS} keys in ${writeS.toFixed(1)} s, deleted ${doomed.length} in ${deleteS.toFixed(1)} s`);
  return { ledger, setup: { keys: KEYS, deleted: doomed.length, write_s: round(writeS, 1), delete_s: round(deleteS, 1), writes_per_s: round(KEYS / writeS) } };
}

/** Reads every key back: live keys hold their last acknowledged write (or a later write of unknown outcome), deleted ones are 404. */
async function readBack(sys, ledger) {
  const p = sys.pool(16);
  const keys = [...ledger.keys.keys()];
  const problems = [];
  let next = 0;
  let live = 0;
  let deleted = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < keys.length) {
        const key = keys[next++];
        const e = ledger.keys.get(key);
        let r = await request(p, "GET", keyPath(key));
        for (let attempt = 0; attempt < 5 && (r.status === 503 || typeof r.status !== "number"); attempt++) {
          await sleep(200);
          r = await request(p, "GET", keyPath(key));
        }
        if (e.deleted) {
          deleted++;
          if (r.status !== 404) problems.push(`${key}: deleted, read ${r.status} ${r.etag ?? ""}`);
          continue;
        }
        live++;
        const last = ledger.last(key);
        const v = versionOf(r.etag);
        if (r.status !== 200) problems.push(`${key}: acknowledged at version ${last.version}, read ${r.status}`);
        else if (v < last.version) problems.push(`${key}: acknowledged at version ${last.version}, read version ${v}`);
        else if (v === last.version && r.text !== last.value) problems.push(`${key}: version ${v} holds ${JSON.stringify(r.text)}, acknowledged ${JSON.stringify(last.value)}`);
        else if (v > last.version && !e.unknown.has(r.text)) problems.push(`${key}: version ${v} above the acknowledged ${last.version} holds ${JSON.stringify(r.text)}, never written`);
      }
    }),
  );
  return { live, deleted, problems: problems.length, examples: problems.slice(0, 10) };
}

// ---------------------------------------------------------------------------------------------------------------
// The layout: polling and the change

/** Polls GET /v1/admin/layout every POLL_MS until stopped, recording each answer's change (compactly). */
function layoutPoller(sys, onView = () => {}) {
  const p = sys.pool(1);
  const samples = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await request(p, "GET", "/v1/admin/layout");
      let view = null;
      if (r.status === 200) {
        view = JSON.parse(r.text);
        samples.push({ t: r.t + r.ms, epoch: view.epoch, groups: view.groups.length, change: view.change, ms: r.ms });
        onView(view, r.t + r.ms);
      } else samples.push({ t: r.t + r.ms, status: r.status, ms: r.ms });
      await sleep(Math.max(0, POLL_MS - r.ms));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Starts the split and resolves when a poll sees it done (or failed); returns what happened when. */
async function split(sys, poller, logLines) {
  const p = sys.pool(1);
  const tPost = performance.now();
  const r = await request(p, "POST", "/v1/admin/layout", JSON.stringify({ groups: GROUPS }), { "content-type": "application/json" });
  if (r.status !== 202) throw new Error(`POST /v1/admin/layout answered ${r.status}: ${r.text}`);
  const started = JSON.parse(r.text);
  log(`${sys.name}: change ${started.change} started (joint epoch ${started.epoch}) in ${r.ms.toFixed(0)} ms`);
  let lastLog = tPost;
  for (;;) {
    const s = poller.samples.at(-1);
    if (s?.change?.id === started.change && s.t > tPost && s.change.state !== "running") break;
    if (s?.change?.id === started.change && performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(`${sys.name}:   ${s.change.step} ${s.change.vshardsDone}/${s.change.vshardsTotal} vshards, ${s.change.keysCopied} keys copied`);
    }
    if (performance.now() - tPost > 600_000) throw new Error("the change did not end within 10 min");
    await sleep(50);
  }
  const end = poller.samples.at(-1);
  const tDone = end.t;
  const wallS = (tDone - tPost) / 1000;
  // The step timeline: when a poll first saw each step, and when the reconfigurer logged each step's record.
  const seen = [];
  for (const s of poller.samples) {
    if (s.t < tPost || s.change?.id !== started.change) continue;
    const step = s.change.state === "running" ? s.change.step : s.change.state;
    if (seen.at(-1)?.step !== step) seen.push({ step, at_s: round((s.t - tPost) / 1000, 2), vshardsDone: s.change.vshardsDone, keysCopied: s.change.keysCopied });
  }
  const logged = logLines
    .filter((l) => l.t >= tPost && l.msg.change === started.change)
    .map((l) => ({ at_s: round((l.t - tPost) / 1000, 2), step: l.msg.step, state: l.msg.state, vshardsDone: l.msg.vshardsDone, keysCopied: l.msg.keysCopied }));
  const catchUp = logged.filter((l) => l.step === "catch-up");
  const catchUpEnd = logged.find((l) => l.step === "final" || l.step === "done" || l.state === "done");
  // The catch-up step runs from the first record that says "catch-up" (the joint epoch installed) to the first that
  // says it is over; keys are copied only in it.
  const catchUpS = catchUp.length && catchUpEnd ? catchUpEnd.at_s - catchUp[0].at_s : null;
  const keysCopied = end.change.keysCopied;
  const result = {
    change: started.change,
    joint_epoch: started.epoch,
    final_epoch: end.epoch,
    groups_after: end.groups,
    state: end.change.state,
    error: end.change.error,
    vshards_moved: end.change.vshardsTotal,
    keys_copied: keysCopied,
    wall_s: round(wallS, 2),
    keys_per_s: round(keysCopied / wallS, 1),
    catch_up_step_s: round(catchUpS, 2),
    catch_up_keys_per_s: catchUpS ? round((catchUpEnd.keysCopied ?? keysCopied) / catchUpS, 1) : null,
    post_ms: round(r.ms, 1),
    steps_seen_by_polls: seen,
    steps_logged: logged,
    note: `wall_s: from the POST to the first GET /v1/admin/layout (polled every ${POLL_MS} ms) that saw the change done; steps_logged: the reconfigurer's "layout change step" log lines, timed on arrival`,
  };
  log(`${sys.name}: change ${started.change} ${end.change.state} in ${wallS.toFixed(1)} s: ${keysCopied} keys copied, ${result.keys_per_s} keys/s (catch-up step ${result.catch_up_step_s} s)`);
  return { result, tPost, tDone };
}

/** Collects the reconfigurer's step records and retries from the Worker's log. */
function stepLog() {
  const lines = [];
  const retries = [];
  return {
    lines,
    retries,
    onLine(line, t) {
      if (!line.includes("layout change step")) return;
      try {
        const msg = JSON.parse(line.slice(line.indexOf("{")));
        if (msg.msg === "layout change step") lines.push({ t, msg });
        else if (msg.msg === "layout change step to retry") retries.push({ t, reason: msg.reason, failures: msg.failures });
      } catch {
        // not a JSON line
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The load: CLIENTS closed loops, half GET half PUT of random live keys

function startLoad(sys, ledger) {
  const p = sys.pool(CLIENTS);
  const live = Array.from({ length: KEYS }, (_, i) => i).filter((i) => !isDeleted(i)).map(keyOf);
  const records = [];
  const stale = [];
  let serial = 0;
  let running = true;
  const loops = Array.from({ length: CLIENTS }, async (_, c) => {
    while (running) {
      const key = live[Math.floor(Math.random() * live.length)];
      if (Math.random() < 0.5) {
        const t = performance.now();
        const floor = ledger.floorAt(key, t);
        const r = await request(p, "GET", keyPath(key));
        records.push({ kind: "read", t: r.t, ms: r.ms, status: r.status });
        if (r.status === 200 && versionOf(r.etag) < floor) stale.push(`${key}: read version ${versionOf(r.etag)} after version ${floor} was acknowledged`);
        if (r.status === 404) stale.push(`${key}: read 404 after version ${floor} was acknowledged`);
      } else {
        const value = `c${c}-${++serial}-${"w".repeat(16)}`;
        const r = await request(p, "PUT", keyPath(key), value, { "content-type": "text/plain" });
        records.push({ kind: "write", t: r.t, ms: r.ms, status: r.status, prepare: /\bprepare;dur=/.test(r.timing ?? "") });
        if (r.status === 200 || r.status === 201) ledger.acked(key, versionOf(r.etag), value, r.t + r.ms);
        else if (r.status !== 503) ledger.unknown(key, value); // 503: definitely not applied
      }
    }
  });
  return {
    records,
    stale,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);

function summarize(records, from, to) {
  const out = {};
  const seconds = (to - from) / 1000;
  for (const kind of ["read", "write"]) {
    const rs = records.filter((r) => r.kind === kind && r.t >= from && r.t < to);
    const ok = rs.filter((r) => r.status === 200 || r.status === 201);
    const lat = Float64Array.from(ok.map((r) => r.ms)).sort();
    const statuses = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    out[kind] = {
      requests: rs.length,
      ok: ok.length,
      ok_per_s: round(ok.length / seconds),
      p50_ms: round(pct(lat, 0.5), 2),
      p99_ms: round(pct(lat, 0.99), 2),
      max_ms: round(lat.length ? lat[lat.length - 1] : NaN, 1),
      mean_ms: round(lat.reduce((a, b) => a + b, 0) / (lat.length || 1), 2),
      statuses,
    };
    // Writes that ran a prepare round (no promise held for the key under the current epoch) of the successful ones.
    if (kind === "write") out[kind].prepare_share = round(ok.filter((r) => r.prepare).length / (ok.length || 1), 3);
  }
  return { seconds: round(seconds, 2), ...out };
}

/** One line per second: reads and writes per second with their p50 and p99 (ms), for the timeline. */
function perSecond(records, from, to) {
  const rows = [];
  for (let s = from; s < to; s += 1000) {
    const row = { t_s: round((s - from) / 1000) };
    for (const kind of ["read", "write"]) {
      const lat = Float64Array.from(records.filter((r) => r.kind === kind && r.t >= s && r.t < s + 1000 && (r.status === 200 || r.status === 201)).map((r) => r.ms)).sort();
      row[kind] = [lat.length, round(pct(lat, 0.5), 1), round(pct(lat, 0.99), 1)];
    }
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// The split bench

async function splitBench() {
  const loadSeen = await quietStart();
  const started = Date.now();
  const entry = path.join(TREE, "src/index.ts");
  const result = {
    command: `node bench/layout.mjs${argv.length ? ` ${argv.join(" ")}` : ""}`,
    date: new Date().toISOString(),
    tree: { dir: TREE, git: gitState(TREE) },
    bench_git: gitState(ROOT),
    machine: { ...machine(), loadavg_at_start: loadSeen.at(-1).loadavg, loadavg_waits: loadSeen },
    parameters: { vars: VARS, keys: KEYS, deleted: KEYS / 10, clients: CLIENTS, mix: "50% GET, 50% PUT of random live keys (blind PUT, ~30-byte values)", idle_s: IDLE_S, after_s: AFTER_S, change: { groups: GROUPS }, acceptors: 3, poll_ms: POLL_MS, storage: "disk (os.tmpdir())" },
  };

  // 1. Under load.
  {
    const steps = stepLog();
    const sys = await startBallot("loaded", entry, TREE, steps.onLine);
    const { ledger, setup } = await load10k(sys);
    const before = JSON.parse((await request(sys.pool(1), "GET", "/v1/admin/layout")).text);
    const loadAtSetup = os.loadavg().map((x) => round(x, 2));
    const poller = layoutPoller(sys);
    const load = startLoad(sys, ledger);
    await sleep(3000); // warm-up, discarded
    const tIdle = performance.now();
    log(`loaded: idle window (${IDLE_S} s)`);
    await sleep(IDLE_S * 1000);
    const { result: change, tPost, tDone } = await split(sys, poller, steps.lines);
    log(`loaded: idle window after (${AFTER_S} s)`);
    await sleep(AFTER_S * 1000);
    const tEnd = performance.now();
    await load.stop();
    await poller.stop();
    const phases = {
      idle_before: summarize(load.records, tIdle, tPost),
      during_split: summarize(load.records, tPost, tDone),
      idle_after: summarize(load.records, tDone, tEnd),
      // Every key's first write after the change pays a prepare (a promise held from an older epoch is void): the
      // window's last 10 s, when more keys have been written again (prepare_share says how many writes still paid).
      idle_after_last_10s: summarize(load.records, Math.max(tDone, tEnd - 10_000), tEnd),
    };
    for (const [name, ph] of Object.entries(phases)) {
      log(`loaded: ${name.padEnd(19)} read p50 ${ph.read.p50_ms} p99 ${ph.read.p99_ms} max ${ph.read.max_ms} ms ${ph.read.ok_per_s}/s | write p50 ${ph.write.p50_ms} p99 ${ph.write.p99_ms} max ${ph.write.max_ms} ms ${ph.write.ok_per_s}/s`);
    }
    // The longest time in the change during which no request of the load completed.
    const ends = load.records.map((r) => r.t + r.ms).filter((t) => t >= tPost && t <= tDone).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 0, prev = tPost; i <= ends.length; prev = ends[i++]) gap = Math.max(gap, (ends[i] ?? tDone) - prev);
    const check = await readBack(sys, ledger);
    log(`loaded: read back ${check.live} live and ${check.deleted} deleted keys: ${check.problems} problems; ${load.stale.length} stale reads during the load`);
    result.loaded = {
      setup,
      layout_before: { epoch: before.epoch, groups: before.groups.length },
      change,
      phases,
      per_second: perSecond(load.records, tIdle, tEnd),
      per_second_note: "t_s from the start of the idle window; read/write: [ok requests, p50 ms, p99 ms]",
      longest_gap_without_completions_s: round(gap / 1000, 2),
      loadavg: { at_setup_end: loadAtSetup, at_end: os.loadavg().map((x) => round(x, 2)) },
      change_started_at_s: round((tPost - tIdle) / 1000, 2),
      change_done_at_s: round((tDone - tIdle) / 1000, 2),
      step_retries: steps.retries.map((r) => ({ at_s: round((r.t - tPost) / 1000, 2), reason: r.reason, failures: r.failures })),
      admin_polls: { count: poller.samples.length, p50_ms: round(pct(Float64Array.from(poller.samples.map((s) => s.ms)).sort(), 0.5), 1) },
      read_back: check,
      stale_reads: { count: load.stale.length, examples: load.stale.slice(0, 10) },
    };
    await sys.stop();
  }

  // 2. No load: catch-up speed alone.
  if (UNLOADED) {
    const steps = stepLog();
    const sys = await startBallot("unloaded", entry, TREE, steps.onLine);
    const { ledger, setup } = await load10k(sys);
    await sleep(2000);
    const poller = layoutPoller(sys);
    const loadAtSetup = os.loadavg().map((x) => round(x, 2));
    const { result: change, tPost } = await split(sys, poller, steps.lines);
    await poller.stop();
    const check = await readBack(sys, ledger);
    log(`unloaded: read back ${check.live} live and ${check.deleted} deleted keys: ${check.problems} problems`);
    result.unloaded = {
      setup,
      change,
      step_retries: steps.retries.map((r) => ({ at_s: round((r.t - tPost) / 1000, 2), reason: r.reason, failures: r.failures })),
      loadavg: { at_setup_end: loadAtSetup, at_end: os.loadavg().map((x) => round(x, 2)) },
      read_back: check,
    };
    await sys.stop();
  }

  result.duration_s = Math.round((Date.now() - started) / 1000);
  result.machine.loadavg_at_end = os.loadavg().map((x) => round(x, 2));
  const lost = (result.loaded.read_back.problems ?? 0) + result.loaded.stale_reads.count + (result.unloaded?.read_back.problems ?? 0);
  result.data_lost = lost;
  write(result);
  printSplit(result);
  if (lost > 0) {
    console.error(`\n!!! DATA LOST: ${lost} problems (see read_back and stale_reads in ${path.relative(ROOT, OUT)})`);
    process.exitCode = 1;
  }
}

function printSplit(r) {
  const L = r.loaded;
  console.log(`$ ${r.command}\n(${r.date}; ${r.machine.cores} cores ${r.machine.cpus[0]}; Node ${r.machine.node}; load avg ${r.machine.loadavg_at_start.join(" ")} at start, ${r.machine.loadavg_at_end.join(" ")} at end; Ballot from ${r.tree.git})\n`);
  console.log(`${KEYS} keys (${KEYS / 10} deleted), ${CLIENTS} connections, 50% GET / 50% PUT; split 16 -> ${GROUPS} groups`);
  console.log("phase               | read p50 ms | read p99 ms | read max ms | reads/s | write p50 ms | write p99 ms | write max ms | writes/s | with prepare");
  for (const [name, ph] of Object.entries(L.phases)) {
    console.log(
      `${name.padEnd(19)} | ${String(ph.read.p50_ms).padStart(11)} | ${String(ph.read.p99_ms).padStart(11)} | ${String(ph.read.max_ms).padStart(11)} | ${String(ph.read.ok_per_s).padStart(7)} | ` +
        `${String(ph.write.p50_ms).padStart(12)} | ${String(ph.write.p99_ms).padStart(12)} | ${String(ph.write.max_ms).padStart(12)} | ${String(ph.write.ok_per_s).padStart(8)} | ${String(ph.write.prepare_share).padStart(12)}`,
    );
  }
  const c = (x) => `${x.keys_copied} keys copied (${x.vshards_moved} vshards) in ${x.wall_s} s: ${x.keys_per_s} keys/s; catch-up step ${x.catch_up_step_s} s (${x.catch_up_keys_per_s} keys/s)`;
  console.log(`\nunder load: ${c(L.change)}; longest time without a completed request during the change: ${L.longest_gap_without_completions_s} s`);
  console.log(`  steps (polls): ${L.change.steps_seen_by_polls.map((s) => `${s.step} at ${s.at_s} s`).join(", ")}`);
  if (r.unloaded) {
    console.log(`no load:    ${c(r.unloaded.change)}`);
    console.log(`  steps (polls): ${r.unloaded.change.steps_seen_by_polls.map((s) => `${s.step} at ${s.at_s} s`).join(", ")}`);
  }
  console.log(`\nread back: ${L.read_back.live} live, ${L.read_back.deleted} deleted, ${L.read_back.problems} problems; ${L.stale_reads.count} stale reads${r.unloaded ? `; no-load cluster ${r.unloaded.read_back.problems} problems` : ""}`);
  console.log(`(${r.duration_s} s; every figure in ${path.relative(ROOT, OUT)})`);
}

function write(result) {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT + ".tmp", JSON.stringify(result, null, 2) + "\n");
  fs.renameSync(OUT + ".tmp", OUT);
}

// ---------------------------------------------------------------------------------------------------------------
// Steady state before/after (--compare)

/**
 * A counting build of the tree at `dir`: its Acceptor with every call counted, whichever method it came by (handle:
 * the root group's and the pre-layout proposer's; call: the layout-routed proposer's), and GET /__bench/stats summing
 * the objects of the 16 first groups and of the root group apart.
 */
function accountingEntry(dir, file) {
  const counting = path.join(ROOT, "bench/accounting/counting.ts");
  const reconf = hasReconfigurer(dir);
  fs.writeFileSync(
    file,
    `import ballot, { Acceptor as Base, Collector${reconf ? ", LayoutReconfigurer" : ""} } from ${JSON.stringify(path.join(dir, "src/index.ts"))};
import { countingSql, emptyCounts, payloadBytes, takeCounts } from ${JSON.stringify(counting)};
export { Collector${reconf ? ", LayoutReconfigurer" : ""} };
function counted(counts, bytesIn, run) {
  const writes = counts.sqlWrites;
  counts.calls++;
  counts.bytesIn += bytesIn;
  const replies = run();
  if (counts.sqlWrites > writes) counts.commits++;
  counts.messages += replies.length;
  counts.bytesOut += payloadBytes(replies);
  return replies;
}
export class Acceptor extends Base {
  constructor(ctx, env) {
    super(ctx, env);
    this.counts = { ...emptyCounts(), handleCalls: 0, callCalls: 0 };
    this.store.sql = countingSql(this.store.sql, this.counts);
  }
  handle(layout, requests) {
    this.counts.handleCalls++;
    return counted(this.counts, payloadBytes([layout, requests]), () => super.handle(layout, requests));
  }
  call(requests) {
    this.counts.callCalls++;
    return counted(this.counts, payloadBytes([requests]), () => super.call(requests));
  }
  benchStats(reset) {
    const out = { ...this.counts };
    if (reset) for (const k of Object.keys(this.counts)) this.counts[k] = 0;
    return out;
  }
}
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/__bench/stats") return ballot.fetch(request, env, ctx);
    const reset = url.searchParams.has("reset");
    const n = Number(env.BALLOT_ACCEPTORS ?? "3");
    const cluster = env.BALLOT_CLUSTER ?? "main";
    const sum = async (names) => {
      const total = {};
      for (const name of names) {
        const c = await env.ACCEPTOR.get(env.ACCEPTOR.idFromName(name)).benchStats(reset);
        for (const [k, v] of Object.entries(c)) total[k] = (total[k] ?? 0) + v;
      }
      return total;
    };
    const groups = [];
    for (let s = 0; s < 16; s++) for (let i = 0; i < n; i++) groups.push(cluster + "/shard-" + s + "/acceptor-" + i);
    const root = Array.from({ length: n }, (_, i) => cluster + "/root/acceptor-" + i);
    return Response.json({ groups: await sum(groups), root: ${reconf} ? await sum(root) : null });
  },
};
`,
  );
  return file;
}

/** Single-client latency cells and accounting cells of the steady state (after a warm-up; 16 groups, no change). */
const STEADY = [
  { id: "read", label: "read 1 key, 1 client", op: (p) => get(p, "acct-r") },
  { id: "write", label: "write same key, 1 client", op: (p) => put(p, "acct-w", "v".repeat(64)) },
  {
    id: "cas",
    label: "CAS (GET + If-Match PUT), 1 client",
    op: async (p) => {
      const g = await get(p, "acct-cas");
      const w = await put(p, "acct-cas", "c".repeat(64), { "if-match": g.etag });
      return { ...w, t: g.t, ms: g.ms + w.ms };
    },
  },
  { id: "increment", label: "increment 1 key, 1 client", op: (p) => request(p, "POST", keyPath("acct-n") + "/increment", '{"by":1}', { "content-type": "application/json" }) },
];
const get = (p, key) => request(p, "GET", keyPath(key));
const put = (p, key, value, headers = {}) => request(p, "PUT", keyPath(key), value, { "content-type": "text/plain", ...headers });
const okStatus = (s) => s === 200 || s === 201;

async function seedSteady(sys) {
  const p = sys.pool(8);
  for (const key of ["acct-r", "acct-w", "acct-cas"]) await putKey(p, key, "v".repeat(64));
  for (let i = 0; i < 200; i++) await putKey(p, `acct-k${i}`, "v".repeat(64));
  return p;
}

async function compareBench() {
  const loadSeen = await quietStart();
  const started = Date.now();
  const trees = [
    { name: "before", dir: COMPARE },
    { name: "after", dir: TREE },
  ];
  const result = {
    command: `node bench/layout.mjs${argv.length ? ` ${argv.join(" ")}` : ""}`,
    date: new Date().toISOString(),
    trees: Object.fromEntries(trees.map((t) => [t.name, { dir: t.dir, git: gitState(t.dir) }])),
    vars: VARS,
    bench_git: gitState(ROOT),
    machine: { ...machine(), loadavg_at_start: loadSeen.at(-1).loadavg, loadavg_waits: loadSeen },
  };

  // Latency: both plain builds up at once, alternating slices (A B then B A), each after a warm-up of its own.
  const SLICES = QUICK ? 2 : 6;
  const SLICE_S = QUICK ? 0.3 : 1.5;
  const systemsUp = [];
  for (const t of trees) systemsUp.push({ ...t, sys: await startBallot(`steady-${t.name}`, path.join(t.dir, "src/index.ts"), t.dir) });
  for (const s of systemsUp) s.pool = await seedSteady(s.sys);
  const latency = {};
  for (const cell of STEADY) {
    const lat = { before: [], after: [] };
    const errors = { before: 0, after: 0 };
    for (const s of systemsUp) for (let i = 0; i < 100; i++) await cell.op(s.pool); // warm-up of the cell
    for (let slice = 0; slice < SLICES; slice++) {
      for (const s of slice % 2 === 0 ? systemsUp : [...systemsUp].reverse()) {
        const warm = performance.now() + 300;
        while (performance.now() < warm) await cell.op(s.pool);
        const end = performance.now() + SLICE_S * 1000;
        while (performance.now() < end) {
          const r = await cell.op(s.pool);
          if (okStatus(r.status)) lat[s.name].push(r.ms);
          else errors[s.name]++;
        }
      }
    }
    latency[cell.id] = { label: cell.label };
    for (const name of ["before", "after"]) {
      const sorted = Float64Array.from(lat[name]).sort();
      latency[cell.id][name] = { ops: sorted.length, errors: errors[name], p50_us: round(pct(sorted, 0.5) * 1000), p99_us: round(pct(sorted, 0.99) * 1000) };
    }
    latency[cell.id].p50_after_over_before = round(latency[cell.id].after.p50_us / latency[cell.id].before.p50_us, 3);
    log(`steady ${cell.id}: p50 before ${latency[cell.id].before.p50_us} µs, after ${latency[cell.id].after.p50_us} µs`);
  }
  for (const s of systemsUp) await s.sys.stop();
  result.latency = latency;
  result.latency_method = `one client per system, closed loop; ${SLICES} slices of ${SLICE_S} s per system and cell, order before/after then after/before, each slice after 0.3 s of warm-up; p50/p99 of successful operations (CAS: the GET and the If-Match PUT together)`;

  // Accounting: counting builds, one at a time, after a warm-up (the isolate's first request reads the layout).
  const OPS = QUICK ? 50 : 300;
  const cells = [
    ...STEADY.map((c) => ({ ...c, clients: 1, ops: OPS })),
    { id: "write_fresh", label: "write fresh keys, 1 client", clients: 1, ops: QUICK ? 50 : 150, op: (p, i) => put(p, `acct-fresh-${i}`, "v".repeat(64)) },
    { id: "put_200_64", label: "PUT 200 keys, 64 conns", clients: 64, ops: QUICK ? 128 : 800, op: (p) => put(p, `acct-k${Math.floor(Math.random() * 200)}`, "v".repeat(64)) },
    { id: "incr_64", label: "increment 1 key, 64 conns", clients: 64, ops: QUICK ? 128 : 800, op: (p) => request(p, "POST", keyPath("acct-n64") + "/increment", '{"by":1}', { "content-type": "application/json" }) },
  ];
  const accounting = {};
  for (const t of trees) {
    const entry = accountingEntry(t.dir, path.join(tmpRoot, `acct-entry-${t.name}.js`));
    const sys = await startBallot(`acct-${t.name}`, entry, t.dir);
    const p1 = await seedSteady(sys);
    const p64 = sys.pool(64);
    const stats = async (reset) => JSON.parse((await request(p1, "GET", `/__bench/stats${reset ? "?reset" : ""}`)).text);
    // Warm-up: every cell once over, so the isolate has read its layout and every key's promise is in place.
    for (const c of cells) for (let i = 0; i < 20; i++) await c.op(c.clients === 1 ? p1 : p64, `warm-${i}`);
    const warm = await stats(true);
    accounting[t.name] = { warm_up: warm };
    for (const c of cells) {
      await stats(true);
      let issued = 0;
      let ok = 0;
      const p = c.clients === 1 ? p1 : p64;
      await Promise.all(
        Array.from({ length: c.clients }, async () => {
          while (issued < c.ops) {
            const i = issued++;
            if (okStatus((await c.op(p, i)).status)) ok++;
          }
        }),
      );
      const k = await stats(true);
      const per = (x) => round((x ?? 0) / c.ops, 2);
      accounting[t.name][c.id] = {
        ops: c.ops,
        ok,
        do_calls_per_op: per(k.groups.calls),
        messages_per_op: per(k.groups.messages),
        commits_per_op: per(k.groups.commits),
        sql_writes_per_op: per(k.groups.sqlWrites),
        sql_reads_per_op: per(k.groups.sqlReads),
        rpc_bytes_in_per_op: round(k.groups.bytesIn / c.ops),
        rpc_bytes_out_per_op: round(k.groups.bytesOut / c.ops),
        calls_by_method: { handle: k.groups.handleCalls, call: k.groups.callCalls },
        root_calls: k.root ? k.root.calls : null,
        root_commits: k.root ? k.root.commits : null,
      };
      log(`accounting ${t.name} ${c.id}: ${accounting[t.name][c.id].do_calls_per_op} calls, ${accounting[t.name][c.id].commits_per_op} commits per op; root calls ${accounting[t.name][c.id].root_calls}`);
    }
    await sys.stop();
  }
  result.accounting = accounting;
  result.accounting_method =
    "counting acceptors (bench/accounting/counting.ts wrappers; both handle() and call() counted), stats reset before each cell, after a warm-up of 20 operations per cell; per operation over the 16 groups of the first layout (shard-0..15 objects); root_calls/root_commits: totals on the root group's objects during the cell (after only); CAS counts its GET and its PUT";
  result.duration_s = Math.round((Date.now() - started) / 1000);
  result.machine.loadavg_at_end = os.loadavg().map((x) => round(x, 2));
  write(result);
  printCompare(result);
}

function printCompare(r) {
  console.log(`$ ${r.command}\n(${r.date}; ${r.machine.cores} cores; load avg ${r.machine.loadavg_at_start.join(" ")} at start, ${r.machine.loadavg_at_end.join(" ")} at end; before ${r.trees.before.git}, after ${r.trees.after.git})\n`);
  console.log("cell                                | p50 µs before | p50 µs after | after/before | p99 µs before | p99 µs after");
  for (const c of Object.values(r.latency)) console.log(`${c.label.padEnd(35)} | ${String(c.before.p50_us).padStart(13)} | ${String(c.after.p50_us).padStart(12)} | ${String(c.p50_after_over_before).padStart(12)} | ${String(c.before.p99_us).padStart(13)} | ${String(c.after.p99_us).padStart(12)}`);
  console.log("\ncell        | tree   | DO calls | commits | SQL writes | SQL reads | bytes in | bytes out | root calls");
  for (const [tree, cells] of Object.entries(r.accounting))
    for (const [id, a] of Object.entries(cells)) {
      if (id === "warm_up") continue;
      console.log(`${id.padEnd(11)} | ${tree.padEnd(6)} | ${String(a.do_calls_per_op).padStart(8)} | ${String(a.commits_per_op).padStart(7)} | ${String(a.sql_writes_per_op).padStart(10)} | ${String(a.sql_reads_per_op).padStart(9)} | ${String(a.rpc_bytes_in_per_op).padStart(8)} | ${String(a.rpc_bytes_out_per_op).padStart(9)} | ${a.root_calls ?? "-"}`);
    }
  console.log(`(${r.duration_s} s; every figure in ${path.relative(ROOT, OUT)})`);
}

try {
  if (COMPARE) await compareBench();
  else await splitBench();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await cleanup();
}
