#!/usr/bin/env node
// `npm run sim:geo -- [--ops N] [--seed N] [--no-write]`: bundles the geo model (test/sim/geo/main.ts, TypeScript)
// with esbuild, already a dev dependency, and runs it in this Node process. See docs/geo.md.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const dir = mkdtempSync(join(tmpdir(), "ballot-geo-"));
const outfile = join(dir, "geo.mjs");
try {
  await build({ entryPoints: [join(root, "test/sim/geo/main.ts")], bundle: true, platform: "node", format: "esm", outfile, logLevel: "warning" });
  process.env.GEO_ROOT = root;
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
