// How the benchmark tools build and configure a Worker for Miniflare: one place for bench/run.mjs and bench/profile.mjs.
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const toml = () => fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");

/** The compatibility flags of wrangler.toml. */
export function compatibilityFlags() {
  const list = /compatibility_flags\s*=\s*\[([^\]]*)\]/.exec(toml())?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/** The compatibility date of wrangler.toml. */
export function compatibilityDate() {
  return /compatibility_date\s*=\s*"([^"]+)"/.exec(toml())?.[1] ?? "2026-04-20";
}

/** [vars] of wrangler.toml (the top-level table only), so the Worker runs with exactly the dev configuration. */
export function wranglerVars() {
  const section = /^\[vars\]\s*$([\s\S]*?)^\[/m.exec(toml())?.[1] ?? "";
  const vars = {};
  for (const m of section.matchAll(/^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  return vars;
}

/**
 * Bundles a Worker entry (path from the repository root, or absolute: another source tree) for workerd into `outfile`,
 * as wrangler would. Packages a tree lacks are taken from this repository's node_modules.
 */
export async function bundleWorker(entry, outfile) {
  await esbuild.build({
    entryPoints: [path.resolve(ROOT, entry)],
    nodePaths: [path.join(ROOT, "node_modules")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*", "node:*"],
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/**
 * Miniflare options serving one bundled system (`{binding, className, collector}`) from `dir` on a free port of
 * 127.0.0.1, with wrangler.toml's vars, N=3 and `vars` over them; `extra` adds or overrides options.
 */
/**
 * Every Durable Object class of the Worker (Ballot's whole bundle): acceptors, collectors, reconfigurer, watch hubs,
 * intent sweepers.
 */
export const ALL_DURABLE_OBJECTS = {
  ACCEPTOR: { className: "Acceptor", useSQLite: true },
  COLLECTOR: { className: "Collector", useSQLite: true },
  RECONFIGURER: { className: "LayoutReconfigurer", useSQLite: true },
  WATCH_HUB: { className: "WatchHub", useSQLite: true },
  INTENT_SWEEPER: { className: "IntentSweeper", useSQLite: true },
};

export function miniflareOptions(name, sys, outfile, dir, vars, extra = {}) {
  return {
    name,
    modules: true,
    scriptPath: outfile,
    modulesRoot: dir,
    compatibilityDate: compatibilityDate(),
    compatibilityFlags: compatibilityFlags(),
    durableObjects: {
      [sys.binding]: { className: sys.className, useSQLite: true },
      ...(sys.collector ? { COLLECTOR: { className: "Collector", useSQLite: true } } : {}),
    },
    bindings: { ...wranglerVars(), BALLOT_ACCEPTORS: "3", ...vars },
    durableObjectsPersist: path.join(dir, "persist"),
    host: "127.0.0.1",
    port: 0,
    ...extra,
  };
}
