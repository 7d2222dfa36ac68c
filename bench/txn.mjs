#!/usr/bin/env node
// Issue 23's cells, in one run against one server (Miniflare directly, N=3, the first layout of 16 groups, as
// bench/list.mjs):
// 1. Latency, one client, operations interleaved round-robin so each kind sees the same machine: a single PUT, a
//    single GET, a two-key transaction (two puts), a two-key transfer (two increments), an atomic read of two keys
//    (a transaction of gets). The two keys of a transaction are in different groups. Reports p50/p90/p99 and the
//    ratio of each transaction's p50 to the single PUT's (issue 23's target: at most 3x for a two-key transaction).
// 2. Throughput: C clients (default 16) running transfers between random pairs of A accounts (default 1000: low
//    contention; and 20: high contention) for S seconds each: transfers/s, p50/p99, how many answered 503 (held by
//    another transaction, retried by the client after Retry-After? no: counted), 504, and whether the total held.
// 3. With --rtt MS (default 10; 0 skips it), cell 1 again with every call from the Worker to an acceptor made MS late
//    (the dev fault table's "slow" mode): a model of acceptors a network round trip away, as deployed, where the
//    count of sequential rounds decides latency. Locally every acceptor shares the Worker's machine, so without it
//    the cell measures the CPU work of the rounds more than their number.
//
// --pause MS idles after each sample of cells 1 and 3 (see PAUSE).
//
//   node bench/txn.mjs [--samples 300] [--clients 16] [--seconds 15] [--accounts 1000,20] [--rtt 10] [--pause 0] [--out bench/results/txn.json]
import { Miniflare } from "miniflare";
import { Pool } from "undici";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ALL_DURABLE_OBJECTS, ROOT, bundleWorker, miniflareOptions } from "./common/worker-build.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const SAMPLES = Number(flag("--samples", "300"));
const CLIENTS = Number(flag("--clients", "16"));
const SECONDS = Number(flag("--seconds", "15"));
const ACCOUNTS = flag("--accounts", "1000,20").split(",").map(Number);
const RTT = Number(flag("--rtt", "10"));
// Idle ms after each sample of cell 1 (and 3): a transaction's resolution runs after its answer, and locally it takes
// the same CPU as the next sample; a pause lets it finish first, as it would on acceptors of their own.
const PAUSE = Number(flag("--pause", "0"));
const OUT = path.resolve(ROOT, flag("--out", "bench/results/txn.json"));

const sys = { entry: "src/index.ts", binding: "ACCEPTOR", className: "Acceptor", collector: true };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-txn-"));
const outfile = await bundleWorker(sys.entry, path.join(tmp, "worker.js"));
const mf = new Miniflare(
  // DEV_ADMIN: the fault table (--rtt). Every object class, so the Worker's background work (watch hints, intent
  // sweeps) runs as deployed.
  miniflareOptions("txn", sys, outfile, tmp, { DEV_ADMIN: "true" }, {
    durableObjects: ALL_DURABLE_OBJECTS,
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  }),
);
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const summary = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x) => Number(x.toFixed(2));
  return { n: s.length, p50: r(quantile(s, 0.5)), p90: r(quantile(s, 0.9)), p99: r(quantile(s, 0.99)), max: r(s[s.length - 1]) };
};

/** FNV-1a (32 bits) of an ASCII key, as src/core/key-hash.ts. */
function fnv1a(key) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** `first`, and `second` with a suffix if needed so that the two fall in different groups of the first layout. */
function inDistinctGroups(first, second) {
  let other = second;
  for (let i = 0; fnv1a(other) % 16 === fnv1a(first) % 16; i++) other = `${second}-${i}`;
  return [first, other];
}

try {
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pool = new Pool(url, { connections: Math.max(32, CLIENTS * 2), pipelining: 1 });
  const call = async (method, p, body) => {
    const t = performance.now();
    const res = await pool.request({ method, path: p, body, headers: body === undefined ? {} : { "content-type": method === "POST" ? "application/json" : "text/plain" } });
    const text = await res.body.text();
    return { status: res.statusCode, ms: performance.now() - t, text };
  };
  const txn = (body) => call("POST", "/v1/txn", JSON.stringify(body));
  const key = (k) => `/v1/keys/${encodeURIComponent(k)}`;

  // Keys of a transaction in different groups (the first layout's group is FNV-1a(key) mod 16: vshard.ts).
  const [a, b] = inDistinctGroups("bench-txn/a", "bench-txn/b");
  const [c1, c2] = inDistinctGroups("bench-txn/c1", "bench-txn/c2");
  const kinds = {
    "PUT (one key)": () => call("PUT", key(a), "x".repeat(16)),
    "GET (one key)": () => call("GET", key(a)),
    "txn: two puts": () => txn({ compare: [], success: [{ op: "put", key: a, value: "y".repeat(16) }, { op: "put", key: b, value: "y".repeat(16) }], failure: [] }),
    "txn: transfer (two increments)": () =>
      txn({ compare: [], success: [{ op: "increment", key: c1, by: -1 }, { op: "increment", key: c2, by: 1 }], failure: [] }),
    "txn: atomic read of two keys": () => txn({ compare: [], success: [{ op: "get", key: a }, { op: "get", key: b }], failure: [] }),
  };
  /** Cell 1: every kind `SAMPLES` times, interleaved; p50s and ratios to the single PUT's p50. */
  const latencyCell = async () => {
    // Warm-up: every kind a few times (isolate, objects, SQLite pages).
    for (let i = 0; i < 20; i++) for (const run of Object.values(kinds)) await run();
    const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    for (let i = 0; i < SAMPLES; i++) {
      for (const [name, run] of Object.entries(kinds)) {
        const r = await run();
        if (r.status !== 200 && r.status !== 201) throw new Error(`${name}: ${r.status} ${r.text}`);
        samples[name].push(r.ms);
        if (PAUSE > 0) await new Promise((resolve) => setTimeout(resolve, PAUSE));
      }
    }
    const latency = Object.fromEntries(Object.entries(samples).map(([k, ms]) => [k, summary(ms)]));
    const put50 = latency["PUT (one key)"].p50;
    const ratios = Object.fromEntries(Object.keys(kinds).filter((k) => k.startsWith("txn")).map((k) => [k, Number((latency[k].p50 / put50).toFixed(2))]));
    return { latency, ratios };
  };
  const { latency, ratios } = await latencyCell();
  let withRtt = null;
  if (RTT > 0) {
    const fault = async (mode, ms) => {
      for (let acceptor = 0; acceptor < 3; acceptor++) {
        const r = await call("POST", "/v1/admin/faults", JSON.stringify({ acceptor, mode, ...(ms === undefined ? {} : { ms }) }));
        if (r.status !== 200) throw new Error(`fault: ${r.status} ${r.text}`);
      }
    };
    await fault("slow", RTT);
    withRtt = { rttMs: RTT, ...(await latencyCell()) };
    await fault("none");
  }

  const throughput = [];
  for (const accounts of ACCOUNTS) {
    const names = Array.from({ length: accounts }, (_, i) => `bench-txn/acct-${accounts}-${i}`);
    const counts = { ok: 0, s503: 0, s504: 0, other: 0 };
    const ms = [];
    const stopAt = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < stopAt) {
          const from = names[Math.floor(Math.random() * accounts)];
          let to = from;
          while (to === from) to = names[Math.floor(Math.random() * accounts)];
          const r = await txn({ compare: [], success: [{ op: "increment", key: from, by: -1 }, { op: "increment", key: to, by: 1 }], failure: [] });
          if (r.status === 200) {
            counts.ok++;
            ms.push(r.ms);
          } else if (r.status === 503) counts.s503++;
          else if (r.status === 504) counts.s504++;
          else counts.other++;
        }
      }),
    );
    // The total must be 0: an atomic read of every account, in pages of 64 keys (a transaction's bound) would not be
    // atomic across pages, so sum plain reads now that nothing moves (intents left behind resolve on read).
    let total = 0;
    for (const n of names) {
      const r = await call("GET", key(n));
      if (r.status === 200) total += Number(r.text);
    }
    throughput.push({
      accounts,
      clients: CLIENTS,
      seconds: SECONDS,
      transfersPerSecond: Number((counts.ok / SECONDS).toFixed(1)),
      latencyOk: summary(ms),
      answers: counts,
      totalAfter: total,
    });
  }
  await pool.close();
  const result = {
    cell: "multi-key transactions (issue 23): latency against a single write, and transfers at 16 clients",
    command: `node bench/txn.mjs --samples ${SAMPLES} --clients ${CLIENTS} --seconds ${SECONDS} --accounts ${ACCOUNTS.join(",")} --rtt ${RTT}${PAUSE > 0 ? ` --pause ${PAUSE}` : ""}`,
    date: new Date().toISOString(),
    machine: `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`,
    setup: "Miniflare (workerd), N=3, 16 groups (the first layout), one isolate, 16-byte values; latency: one client, kinds interleaved",
    latencyMs: latency,
    p50OverSinglePut: ratios,
    withRtt,
    throughput,
  };
  console.log(JSON.stringify(result, null, 2));
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
} finally {
  await mf.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
}
