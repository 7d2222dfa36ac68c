#!/usr/bin/env node
// Issue 20's listing cell: writes K keys (64-byte values) under one prefix, then lists them by pages of P
// (GET /v1/keys?prefix=...&limit=P&after=...), several passes, and reports the time per page (p50/p90/max), the
// pages and keys seen, and the Worker's own Server-Timing (steps, reads). Served by Miniflare directly, N=3 and the
// first layout (16 groups), as bench/overload.mjs. Prints the figures and writes bench/results/list.json.
//
//   node bench/list.mjs [--keys 10000] [--page 1000] [--passes 5] [--out bench/results/list.json]
import { Miniflare } from "miniflare";
import { Pool } from "undici";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, bundleWorker, miniflareOptions } from "./common/worker-build.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const KEYS = Number(flag("--keys", "10000"));
const PAGE = Number(flag("--page", "1000"));
const PASSES = Number(flag("--passes", "5"));
const OUT = path.resolve(ROOT, flag("--out", "bench/results/list.json"));

const sys = { entry: "src/index.ts", binding: "ACCEPTOR", className: "Acceptor", collector: true };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-list-"));
const outfile = await bundleWorker(sys.entry, path.join(tmp, "worker.js"));
const mf = new Miniflare(
  miniflareOptions("list", sys, outfile, tmp, {}, {
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  }),
);
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
try {
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pool = new Pool(url, { connections: 32, pipelining: 1 });
  const prefix = "bench-list/";
  const value = "v".repeat(64);
  // Writes, 32 at a time.
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < KEYS) {
        const key = `${prefix}${String(next++).padStart(6, "0")}`;
        const res = await pool.request({ method: "PUT", path: `/v1/keys/${encodeURIComponent(key)}`, body: value, headers: { "content-type": "text/plain" } });
        await res.body.text();
        if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`PUT ${key}: ${res.statusCode}`);
      }
    }),
  );
  const writeS = (performance.now() - t0) / 1000;
  const pages = [];
  for (let pass = 0; pass <= PASSES; pass++) {
    let after = null;
    let seen = 0;
    for (;;) {
      const query = new URLSearchParams({ prefix, limit: String(PAGE), ...(after === null ? {} : { after }) });
      const t = performance.now();
      const res = await pool.request({ method: "GET", path: `/v1/keys?${query}` });
      const body = JSON.parse(await res.body.text());
      const ms = performance.now() - t;
      if (res.statusCode !== 200) throw new Error(`list: ${res.statusCode} ${JSON.stringify(body)}`);
      seen += body.keys.length;
      // Pass 0 warms the isolate and the acceptor objects up; it is not counted.
      if (pass > 0) pages.push({ ms, keys: body.keys.length, timing: res.headers["server-timing"] });
      if (body.next === null) break;
      after = body.next;
    }
    if (seen !== KEYS) throw new Error(`pass ${pass} listed ${seen} keys of ${KEYS}`);
  }
  await pool.close();
  const times = pages.map((p) => p.ms).sort((a, b) => a - b);
  const steps = pages.map((p) => Number(/steps;desc="(\d+)"/.exec(p.timing ?? "")?.[1] ?? NaN));
  const reads = pages.map((p) => Number(/reads;desc="(\d+)"/.exec(p.timing ?? "")?.[1] ?? NaN));
  const result = {
    cell: `listing ${KEYS} keys by pages of ${PAGE}`,
    command: `node bench/list.mjs --keys ${KEYS} --page ${PAGE} --passes ${PASSES}`,
    date: new Date().toISOString(),
    machine: `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}`,
    setup: "Miniflare (workerd), N=3, 16 groups (the first layout), 64-byte values, one isolate, pages fetched one after another",
    writeSeconds: Number(writeS.toFixed(1)),
    pagesTimed: pages.length,
    pagesPerPass: pages.length / PASSES,
    msPerPage: { p50: Number(quantile(times, 0.5).toFixed(1)), p90: Number(quantile(times, 0.9).toFixed(1)), max: Number(times[times.length - 1].toFixed(1)) },
    stepsPerPage: { max: Math.max(...steps) },
    readsPerPage: { max: Math.max(...reads), mean: Number((reads.reduce((a, b) => a + b, 0) / reads.length).toFixed(1)) },
  };
  console.log(JSON.stringify(result, null, 2));
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
} finally {
  await mf.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
}
