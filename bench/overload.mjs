#!/usr/bin/env node
// Issue 24's load, served by Miniflare directly: C connections in a closed loop, each PUTting a random key among K
// with a 64-byte value, for S seconds. Prints p50/p90/p99/max, the share of each status, the requests over 1 s and
// 2 s, and the Server-Timing of the slowest requests (where they spent their time); then reads every key back and
// checks that no acknowledged write was lost (the key's version is at least the highest acknowledged one, and holds
// that write's value when equal).
//
//   node bench/overload.mjs [--system ballot3|baseline] [--clients 64] [--keys 2000] [--seconds 15] [--slowest 8]
//                           [--var NAME=VALUE ...]
import { Miniflare } from "miniflare";
import { Pool } from "undici";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bundleWorker, miniflareOptions } from "./common/worker-build.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const SYSTEM = flag("--system", "ballot3");
const CLIENTS = Number(flag("--clients", "64"));
const KEYS = Number(flag("--keys", "2000"));
const SECONDS = Number(flag("--seconds", "15"));
const SLOWEST = Number(flag("--slowest", "8"));
const VARS = Object.fromEntries(
  argv.flatMap((a, i) => (argv[i - 1] === "--var" ? [a] : [])).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const SYSTEMS = {
  ballot3: { entry: "src/index.ts", binding: "ACCEPTOR", className: "Acceptor", collector: true },
  baseline: { entry: "bench/baseline/worker.ts", binding: "REGISTER", className: "Register" },
};
const sys = SYSTEMS[SYSTEM];
if (sys === undefined) throw new Error(`unknown system ${SYSTEM}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-overload-"));
const outfile = await bundleWorker(sys.entry, path.join(tmp, "worker.js"));
const mf = new Miniflare(miniflareOptions("overload", sys, outfile, tmp, VARS, {
  handleRuntimeStdio(stdout, stderr) {
    // OVERLOAD_SLOW_LOG=ms: print the Worker's request-log lines slower than ms (its own view of the latency).
    const slow = Number(process.env.OVERLOAD_SLOW_LOG ?? Infinity);
    if (slow === Infinity) stdout.resume();
    else
      stdout.on("data", (chunk) => {
        for (const line of String(chunk).split("\n")) {
          const ms = Number(/"latencyMs":(\d+)/.exec(line)?.[1] ?? NaN);
          if (ms > slow) process.stderr.write(`worker: ${line.trim()}\n`);
        }
      });
    stderr.on("data", (chunk) => process.env.OVERLOAD_STDERR && process.stderr.write(chunk));
  },
}));
try {
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pool = new Pool(url, { connections: CLIENTS, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
  const versionOf = (etag) => Number(/"?(\d+)"?/.exec(etag ?? "")?.[1] ?? NaN);
  let serial = 0;
  const acked = new Map(); // key -> { version, value }
  const put = async (key) => {
    const value = `${String(++serial).padStart(12, "0")}${"v".repeat(52)}`;
    const t = performance.now();
    try {
      const res = await pool.request({ method: "PUT", path: `/v1/keys/${key}`, body: value, headers: { "content-type": "text/plain" } });
      const text = await res.body.text();
      const ms = performance.now() - t;
      if (res.statusCode === 200 || res.statusCode === 201) {
        const version = versionOf(res.headers.etag);
        const prior = acked.get(key);
        if (prior === undefined || version > prior.version) acked.set(key, { version, value });
      }
      return { status: res.statusCode, ms, at: t - (globalThis.t0 ?? t), timing: res.headers["server-timing"] ?? "", retryAfter: res.headers["retry-after"], text };
    } catch (e) {
      return { status: `net:${e?.code ?? e?.message}`, ms: performance.now() - t, at: t - (globalThis.t0 ?? t), timing: "", text: "" };
    }
  };
  // Warm-up: JIT and caches warm, about a tenth of the keys written.
  for (let i = 0; i < 200; i++) await put(`k${Math.floor(Math.random() * KEYS)}`);
  const t0 = performance.now();
  const results = [];
  const end = performance.now() + SECONDS * 1000;
  // A heartbeat on a connection of its own: every 50 ms a GET of a static page the Worker answers without any I/O,
  // so its latency is the server's own intake and scheduling delay, apart from any round or queue.
  const beats = [];
  const beatPool = new Pool(url, { connections: 1 });
  const heartbeat = (async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await beatPool.request({ method: "GET", path: "/console/app.css" });
        await res.body.text();
        beats.push({ at: t - t0, ms: performance.now() - t });
      } catch (e) {
        beats.push({ at: t - t0, ms: performance.now() - t, error: e?.code ?? String(e) });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  globalThis.t0 = t0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) results.push(await put(`k${Math.floor(Math.random() * KEYS)}`));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await heartbeat;
  await beatPool.close();
  const lat = results.map((r) => r.ms).sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))];
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const ok = results.filter((r) => r.status === 200 || r.status === 201).length;
  console.log(
    `${SYSTEM} ${CLIENTS} conns, ${KEYS} keys, ${seconds.toFixed(1)} s: ${results.length} requests, ${(ok / seconds).toFixed(0)} ok/s; ` +
      `p50 ${p(0.5).toFixed(0)} ms, p90 ${p(0.9).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms, max ${lat[lat.length - 1].toFixed(0)} ms; ` +
      `over 1 s ${lat.filter((x) => x > 1000).length}, over 2 s ${lat.filter((x) => x > 2000).length}; statuses ${JSON.stringify(statuses)}`,
  );
  const slowBeats = beats.filter((b) => b.ms > 200);
  const bl = beats.map((b) => b.ms).sort((a, b) => a - b);
  console.log(
    `  heartbeat (static page, no I/O): ${beats.length} beats, p50 ${bl[Math.floor(bl.length / 2)]?.toFixed(0)} ms, max ${bl[bl.length - 1]?.toFixed(0)} ms; over 200 ms: ` +
      slowBeats.slice(0, 8).map((b) => `${b.ms.toFixed(0)} ms at ${b.at.toFixed(0)}${b.error ? ` (${b.error})` : ""}`).join(", "),
  );
  for (const r of [...results].filter((r) => typeof r.status === "number").sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)) {
    console.log(`  ${r.ms.toFixed(0).padStart(6)} ms (from ${(r.at ?? 0).toFixed(0)}) ${r.status} ${r.timing}${r.retryAfter ? ` retry-after=${r.retryAfter}` : ""}${r.status >= 500 ? ` ${r.text.slice(0, 160)}` : ""}`);
  }
  const failed = results.filter((r) => typeof r.status !== "number");
  if (failed.length > 0) {
    const ends = failed.map((r) => r.at + r.ms).sort((a, b) => a - b);
    console.log(`  ${failed.length} connection errors, sent between ${Math.min(...failed.map((r) => r.at)).toFixed(0)} and ${Math.max(...failed.map((r) => r.at)).toFixed(0)} ms, failed between ${ends[0].toFixed(0)} and ${ends[ends.length - 1].toFixed(0)} ms`);
  }
  if (process.env.OVERLOAD_ISO) {
    const seq = results.filter((r) => /iso;desc="(\d+)"/.test(r.timing)).map((r) => ({ end: r.at + r.ms, n: Number(/iso;desc="(\d+)"/.exec(r.timing)[1]) })).sort((a, b) => a.end - b.end);
    for (let i = 1; i < seq.length; i++) if (seq[i].n < seq[i - 1].n - 200) console.log(`  served counter dropped from ${seq[i - 1].n} to ${seq[i].n} at ${seq[i].end.toFixed(0)} ms`);
  }
  // Read back every acknowledged key (after the load, one at a time).
  let lost = 0;
  for (const [key, { version, value }] of acked) {
    const res = await pool.request({ method: "GET", path: `/v1/keys/${key}` });
    const text = await res.body.text();
    const v = versionOf(res.headers.etag);
    if (res.statusCode !== 200 || v < version || (v === version && text !== value)) {
      lost++;
      if (lost <= 5) console.log(`  LOST ${key}: acknowledged version ${version}, read ${res.statusCode} version ${v}`);
    }
  }
  console.log(`read back ${acked.size} keys: ${lost} acknowledged writes lost`);
  await pool.close();
  if (lost > 0) process.exitCode = 1;
} finally {
  await mf.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
}
