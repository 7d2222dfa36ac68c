#!/usr/bin/env node
// Reproduction (found by bench/watch.mjs): does a watch stream stop reading the acceptors once its client has gone?
// One local workerd (Miniflare, N=3) with counted DO requests (bench/accounting/watch-entry.ts); one key written;
// one stream opened (`key`: GET /v1/watch/p%2Fa, `prefix`: GET /v1/watch?prefix=p%2F), its connection closed after
// HOLD_MS of reading (0: right after the response headers, before reading the body); then the acceptor calls of every
// 10 s are printed for DURATION_S. Nothing else runs, so any call after the close is the closed stream's.
//
//   node bench/repro/watch-disconnect.mjs [key|prefix] [HOLD_MS=2000] [DURATION_S=120]
//
// Seen on workerd 1.20260426.1 (Miniflare 4.20260426.0): HOLD_MS=2000 stops after 20-30 s (about two heartbeats:
// the server learns of the disconnect from a failed write); HOLD_MS=0 never stops (2 peeks per 5 s for a key stream,
// 48 scans per 5 s for a prefix stream, for as long as the process runs). Still so after the stream learnt to
// stop on the request's abort signal and after two heartbeats with nothing read (src/http/event-stream.ts): neither
// reaches it on local workerd.
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
const mf = new Miniflare(
  miniflareOptions("repro", sys, outfile, tmp, {}, {
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
