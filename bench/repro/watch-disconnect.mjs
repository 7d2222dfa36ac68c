#!/usr/bin/env node
// Reproduction (found by bench/watch.mjs): does a watch stream stop reading the acceptors once its client has gone?
// One local workerd (Miniflare, N=3) with counted DO requests (bench/accounting/watch-entry.ts); one key written;
// one stream opened (`key`: GET /v1/watch/p%2Fa, `prefix`: GET /v1/watch?prefix=p%2F), its connection closed after
// HOLD_MS of reading (0: right after the response headers, before reading the body); then the acceptor calls of every
// 10 s are printed for DURATION_S. Nothing else runs, so any call after the close is the closed stream's.
//
//   [BALLOT_WATCH_MAX_STREAM_MS=30000] node bench/repro/watch-disconnect.mjs [key|prefix] [HOLD_MS=2000] [DURATION_S=120]
//
// (BALLOT_* variables of this process override wrangler.toml's vars.) Seen on workerd 1.20260426.1 (Miniflare
// 4.20260426.0): HOLD_MS=2000 stops by itself within about two heartbeats (2-12 s after the close on 2026-12-05).
// HOLD_MS=0 is the orphan: the stream's request is kept alive by its hub WebSockets while workerd goes on draining
// its body (chunks are taken, desiredSize never shows a stall), and neither cancel() nor request.signal comes
// (src/http/event-stream.ts): 48 scans per 5 s for a prefix stream. A key stream (2 peeks per 5 s) varies: it stopped
// by itself 15-50 s after the close in the runs of 2026-12-05, and it was once seen running on. What bounds both is the
// stream's lifetime (src/http/stream-lifetime.ts): it stops at most BALLOT_WATCH_MAX_STREAM_MS (default 600000) after
// it opened: with 30000, nothing after the 30 s line (docs/benchmark.md#watching-keys-issue-20 has the runs).
import { Miniflare } from "miniflare";
import { request } from "undici";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ALL_DURABLE_OBJECTS, bundleWorker, miniflareOptions } from "../common/worker-build.mjs";

const kind = process.argv[2] ?? "prefix";
const holdMs = Number(process.argv[3] ?? "2000");
const durationS = Number(process.argv[4] ?? "120");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-watch-disconnect-"));
const outfile = await bundleWorker("bench/accounting/watch-entry.ts", path.join(tmp, "worker.js"));
const durableObjects = ALL_DURABLE_OBJECTS;
const sys = { binding: "ACCEPTOR", className: "Acceptor", collector: true };
// BALLOT_* variables of this process override wrangler.toml's (e.g. BALLOT_WATCH_MAX_STREAM_MS=30000).
const vars = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("BALLOT_")));
const mf = new Miniflare(
  miniflareOptions("repro", sys, outfile, tmp, vars, {
    durableObjects,
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  }),
);
try {
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const t0 = Date.now();
  const stats = async () => (await request(`${url}/__bench/stats?reset`)).body.json();
  await (await request(`${url}/v1/keys/p%2Fa`, { method: "PUT", body: "x", headers: { "content-type": "text/plain" } })).body.text();
  await stats();
  const res = await request(`${url}/v1/watch${kind === "prefix" ? "?prefix=p%2F" : "/p%2Fa"}`);
  let text = "";
  res.body.setEncoding("utf8");
  res.body.on("data", (c) => (text += c));
  res.body.on("error", () => {});
  if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
  console.log(`${kind} stream: status ${res.statusCode}, read ${text.length} characters in ${holdMs} ms; closing the connection`);
  res.body.destroy();
  for (let s = 10; s <= durationS; s += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    console.log(`${Math.round((Date.now() - t0) / 1000)} s: DO requests in the last 10 s: ${JSON.stringify(await stats())}`);
  }
} finally {
  await mf.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
}
