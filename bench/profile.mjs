#!/usr/bin/env node
// Where a request's CPU goes inside workerd: a V8 CPU profile of one system under one closed-loop client.
//
//   node bench/profile.mjs [read|write|put2000] [--system ballot3|baseline|skeleton3] [--ops 3000] [--top 40]
//                          [--clients 1] [--plain] [--var NAME=VALUE ...]
//
// The Worker and its Durable Objects share one isolate locally, so one profile covers proposer and acceptors.
// Self time is per function (name, file:line of the bundle); "(program)" is time in workerd's C++ outside JS
// (HTTP, RPC, SQLite, fsync), "(idle)" is the thread waiting. A tool for finding waste, not a benchmark: the
// sampler itself slows JS down, so compare shares, not microseconds, and take figures from `npm run bench`.
import { Miniflare } from "miniflare";
import { Pool, WebSocket } from "undici";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { bundleWorker, miniflareOptions } from "./common/worker-build.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const VALUED = new Set(["--system", "--ops", "--top", "--clients", "--var"]);
const SCENARIO = argv.find((a, i) => !a.startsWith("--") && !VALUED.has(argv[i - 1] ?? "")) ?? "read";
if (!["read", "write", "put2000"].includes(SCENARIO)) throw new Error(`unknown scenario ${SCENARIO}: read, write or put2000`);
const SYSTEM = flag("--system", "ballot3");
const OPS = Number(flag("--ops", "3000"));
// --clients N: N closed loops at once (N connections); per-operation figures are then CPU shares, not latency.
const CLIENTS = Number(flag("--clients", "1"));
const TOP = Number(flag("--top", "40"));
// --plain: no profiler, just the latency of OPS operations (p50 and mean; with --clients N also ops/s), to compare
// two builds quickly.
const PLAIN = argv.includes("--plain");
// --var NAME=VALUE (repeatable): a var on top of wrangler.toml's, e.g. the skeleton's experiment knobs.
// workerd's stderr is dropped unless PROFILE_STDERR is set; lines the skeleton logs ("skeleton: ...") always show.
const VARS = Object.fromEntries(
  argv.flatMap((a, i) => (argv[i - 1] === "--var" ? [a] : [])).map((kv) => {
    const at = kv.indexOf("=");
    if (at <= 0) throw new Error(`--var wants NAME=VALUE, not ${kv}`);
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);
const SYSTEMS = {
  ballot3: { entry: "src/index.ts", binding: "ACCEPTOR", className: "Acceptor", collector: true },
  skeleton3: { entry: "bench/skeleton/worker.ts", binding: "ACCEPTOR", className: "SkeletonAcceptor" },
  baseline: { entry: "bench/baseline/worker.ts", binding: "REGISTER", className: "Register" },
};
const sys = SYSTEMS[SYSTEM];
if (sys === undefined) throw new Error(`unknown system ${SYSTEM}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-profile-"));
const outfile = await bundleWorker(sys.entry, path.join(tmp, "worker.js"));

const inspectorPort = await new Promise((resolve) => {
  const s = net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const mf = new Miniflare(miniflareOptions("profiled", sys, outfile, tmp, VARS, {
  ...(PLAIN ? {} : { inspectorPort }),
  handleRuntimeStdio(stdout, stderr) {
    // The Worker's own reports (lines starting "skeleton:") go through; request logs and the rest do not.
    stdout.on("data", (chunk) => {
      for (const line of String(chunk).split("\n")) if (line.includes("skeleton:")) process.stderr.write(`${line.trim()}\n`);
    });
    stderr.on("data", (chunk) => process.env.PROFILE_STDERR && process.stderr.write(chunk));
  },
}));
try {
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pool = new Pool(url, { connections: CLIENTS, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
  const value = "v".repeat(64);
  const send = async (method, key, body) => {
    const res = await pool.request({ method, path: `/v1/keys/${key}`, body, headers: body ? { "content-type": "text/plain" } : {} });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw Object.assign(new Error(`${method} ${key}: ${res.statusCode} ${text}`), { status: res.statusCode });
  };
  const op =
    SCENARIO === "read"
      ? () => send("GET", "hot")
      : SCENARIO === "write"
        ? () => send("PUT", "hot", value)
        : () => send("PUT", `k${Math.floor(Math.random() * 2000)}`, value);
  // Warm up: the keys exist, the proposer's caches and the JIT are warm.
  await send("PUT", "hot", value);
  if (SCENARIO === "put2000") for (let i = 0; i < 2000; i++) await send("PUT", `k${i}`, value);
  for (let i = 0; i < 500; i++) await op(i);
  // Failed operations (an error status, or a connection workerd closed) are counted and reported, not fatal: under
  // sustained saturation a few requests end that way (docs/operations.md, Limits); run.mjs counts them per cell too.
  const failures = new Map();
  const counted = (i) =>
    op(i).catch((e) => {
      const what = e?.status ?? (e?.code === "UND_ERR_SOCKET" || e?.code === "ECONNRESET" ? "closed connection" : undefined);
      if (what === undefined) throw e;
      if (!failures.has(what)) console.error(`first failure (${what}) at ${performance.now().toFixed(0)} ms: ${e.message}`);
      failures.set(what, (failures.get(what) ?? 0) + 1);
    });

  if (PLAIN) {
    const lat = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < OPS) {
          const i = next++;
          const t = performance.now();
          await counted(i);
          lat.push((performance.now() - t) * 1000);
        }
      }),
    );
    const rate = OPS / ((performance.now() - t0) / 1000);
    lat.sort((a, b) => a - b);
    const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
    const p = (q) => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))].toFixed(0);
    const clients = CLIENTS > 1 ? `, ${rate.toFixed(0)} ops/s at ${CLIENTS} clients` : "";
    console.log(`${SYSTEM} ${SCENARIO}: p50 ${p(0.5)} µs, p99 ${p(0.99)} µs, mean ${mean.toFixed(0)} µs over ${OPS} ops${clients}`);
  } else await profileOps(counted);
  for (const [what, count] of failures) console.log(`${count} operations failed: ${what}`);
  await pool.close();
} finally {
  await mf.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
}

async function profileOps(op) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.id.includes("profiled")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map();
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
  };
  const cdp = (method, params = {}) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await cdp("Profiler.enable");
  await cdp("Profiler.setSamplingInterval", { interval: 50 });
  await cdp("Profiler.start");
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < OPS) await op(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const { result } = await cdp("Profiler.stop");
  ws.close();
  report(result.profile, seconds);
}

/** Self and inclusive sample time per function, in µs per operation. */
function report(profile, seconds) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url ? path.basename(f.url) : "";
    return `${f.functionName || "(anonymous)"} ${file}${file ? `:${f.lineNumber + 1}` : ""}`;
  };
  const self = new Map();
  const total = new Map();
  for (const [id, us] of dt) {
    const node = byId.get(id);
    self.set(label(node), (self.get(label(node)) ?? 0) + us);
    // Inclusive: count each function once per sample even when it recurses.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur));
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + us);
    }
  }
  const sampled = [...dt.values()].reduce((a, b) => a + b, 0);
  const perOp = (us) => (us / OPS).toFixed(1).padStart(8);
  console.log(`${SYSTEM} ${SCENARIO}: ${OPS} ops in ${seconds.toFixed(2)} s (${((seconds * 1e6) / OPS).toFixed(0)} µs/op wall), ${(sampled / OPS).toFixed(0)} µs/op sampled`);
  console.log("\n  self µs/op  function");
  for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${perOp(us)}  ${l}`);
  console.log("\n  total µs/op  function");
  for (const [l, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${perOp(us)}  ${l}`);
}
