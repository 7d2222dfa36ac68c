#!/usr/bin/env node
// CPU per request of the HTTP layer alone (routing, handler, headers; no proposer rounds): the app of src/http/app.ts
// around a Registers that answers at once, built from this tree and from another (`node bench/http-overhead.mjs
// /tmp/before`), run alternately in this Node process. Issue 18 measured the move to Hono with it: the bench's
// end-to-end p50 is too noisy on a shared machine to resolve a few microseconds.
import * as esbuild from "esbuild";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./common/worker-build.mjs";

const other = process.argv[2];
if (!other || !fs.existsSync(path.join(other, "src/http/app.ts"))) throw new Error("usage: node bench/http-overhead.mjs <other source tree>");
const N = Number(process.env.HTTP_OVERHEAD_N ?? 20_000);
const RUNS = 6;

const harness = (app) => `
import { createApp } from ${JSON.stringify(app)};
const stats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };
const state = { version: 3, value: new TextEncoder().encode("v".repeat(64)), contentType: "text/plain" };
const answer = async () => ({ kind: "applied", state, previous: state, stats });
const app = createApp({ registers: { read: answer, change: answer }, maxValueBytes: 1 << 20 });
export async function run(n, method) {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const init = method === "PUT" ? { method, body: "v".repeat(64) } : undefined;
    await (await app(new Request("http://x/v1/keys/lat-r", init))).arrayBuffer();
  }
  return ((performance.now() - started) * 1000) / n;
}
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-http-overhead-"));
async function build(name, tree) {
  const entry = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(entry, harness(path.join(path.resolve(tree), "src/http/app.ts")));
  const outfile = path.join(dir, `${name}.bundle.mjs`);
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile, nodePaths: [path.join(ROOT, "node_modules")], logLevel: "warning" });
  return import(outfile);
}
try {
  const systems = { before: await build("before", other), after: await build("after", ROOT) };
  for (const method of ["GET", "PUT"]) {
    for (const s of Object.values(systems)) await s.run(N, method); // warm up
    const times = { before: [], after: [] };
    for (let r = 0; r < RUNS; r++) for (const [name, s] of r % 2 ? Object.entries(systems).reverse() : Object.entries(systems)) times[name].push(await s.run(N, method));
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`${method} /v1/keys/{key}: before ${median(times.before).toFixed(1)} µs, after ${median(times.after).toFixed(1)} µs per request (median of ${RUNS} x ${N})`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
