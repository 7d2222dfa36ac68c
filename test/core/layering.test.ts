import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The dependency rule of src/ (docs/architecture.md, "Dependency direction"), pinned by scanning every import:
 *
 *   http ──▶ proposer ──▶ core ◀── acceptor (adapter)
 *     │                    ▲
 *     └──▶ collector ──▶ cluster (the way to reach acceptors: layout, root group, transport, faults, clock)
 *          reconfigurer ──▶ cluster
 *
 * Each unit is a folder under src/, or one of the entry files at its root (index.ts, config.ts, env.ts). A unit
 * may import its own modules, the units listed in `MAY_IMPORT`, and, type-only, those in `MAY_IMPORT_TYPES`
 * (the RPC stub types of Durable Object classes: erased at build, they tie no module to another at run time).
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // The protocol, sans-I/O (test/core/sans-io.test.ts checks it further: no platform imports, no ambient clock).
  core: [],
  acceptor: ["core"],
  // Beside core: what the proposer, the collector and the reconfigurer share to reach acceptors. Nothing above it.
  cluster: ["core"],
  proposer: ["core", "cluster", "config", "env"],
  // The intent sweeper publishes the hints of the resolutions it makes (the Worker's hub publisher).
  collector: ["core", "cluster", "config", "watch"],
  // The layout changes' background worker: the core reconfigurer over the cluster's objects.
  reconfigurer: ["core", "cluster"],
  // Watch hubs and the Worker's ways to reach them (issue 20): change hints only, no protocol.
  watch: ["core"],
  http: ["core", "cluster", "proposer", "collector", "config"],
  // The page's hint select lists the location hints the layout accepts (a constant of core, nothing else of it).
  console: ["http", "core"],
  index: ["core", "cluster", "proposer", "collector", "reconfigurer", "acceptor", "http", "console", "config", "env", "watch"],
  config: ["core"],
  env: [],
  // Runs in Workers, Node and browsers with `fetch` only: nothing of the server.
  client: [],
  cli: ["client"],
};

const MAY_IMPORT_TYPES: Record<string, readonly string[]> = {
  cluster: ["acceptor"],
  collector: ["acceptor"],
  reconfigurer: ["acceptor"],
  http: ["acceptor", "reconfigurer"],
  config: ["env"],
  env: ["acceptor", "collector", "reconfigurer", "watch"],
};

/** Platform modules a unit may not import at all (the client runs in browsers too). */
const NO_PLATFORM: readonly string[] = ["client"];

const srcDir = join(dirname(fileURLToPath(import.meta.url)), "../../src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

interface Import {
  readonly specifier: string;
  /** `import type … from` or `export type … from`: erased at build. */
  readonly typeOnly: boolean;
}

/** Every import: import/export ... from "x" (type-only or not), import "x", dynamic import("x"), require("x"). */
function importsOf(source: string): Import[] {
  const found: Import[] = [];
  for (const m of source.matchAll(/\b(import|export)(\s+type\b)?[^;]*?\bfrom\s*["']([^"']+)["']/g)) {
    found.push({ specifier: m[3]!, typeOnly: m[2] !== undefined });
  }
  for (const pattern of [/\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g]) {
    for (const m of source.matchAll(pattern)) found.push({ specifier: m[1]!, typeOnly: false });
  }
  return found;
}

/** The unit a path under src/ belongs to: its top folder, or the name of a root file; "outside src" otherwise. */
function unitOf(path: string): string {
  const rel = relative(srcDir, path);
  if (rel.startsWith("..")) return "outside src";
  const [first, ...rest] = rel.split(sep);
  return rest.length === 0 ? first!.replace(/\.[jt]s$/, "") : first!;
}

/** What `file` imports of other units, as "unit" or "unit (type-only)"; platform modules as they are named. */
function dependencies(file: string): { units: Import[]; platform: string[] } {
  const units: Import[] = [];
  const platform: string[] = [];
  for (const { specifier, typeOnly } of importsOf(readFileSync(file, "utf8"))) {
    if (!specifier.startsWith(".")) {
      platform.push(specifier);
      continue;
    }
    const unit = unitOf(resolve(dirname(file), specifier));
    if (unit !== unitOf(file)) units.push({ specifier: unit, typeOnly });
  }
  return { units, platform };
}

const files = tsFiles(srcDir);

describe("the layering of src/", () => {
  it("the import scanner sees every form of import and tells type-only ones apart (self-check)", () => {
    const sample = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      'import { type C, d } from "./c.js";',
      'export type { E } from "./e.js";',
      'export * from "node:fs";',
      'import "cloudflare:workers";',
      'const m = await import("zod");',
      "import {\n  x,\n  y,\n} from 'multi-line';",
    ].join("\n");
    expect(importsOf(sample)).toEqual(
      expect.arrayContaining([
        { specifier: "./a.js", typeOnly: false },
        { specifier: "../b.js", typeOnly: true },
        { specifier: "./c.js", typeOnly: false },
        { specifier: "./e.js", typeOnly: true },
        { specifier: "node:fs", typeOnly: false },
        { specifier: "cloudflare:workers", typeOnly: false },
        { specifier: "zod", typeOnly: false },
        { specifier: "multi-line", typeOnly: false },
      ]),
    );
  });

  it("every unit of src/ has a rule (a new folder needs a decision here)", () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it("the rule keeps the project's direction", () => {
    const may = (from: string, to: string) => [...MAY_IMPORT[from]!, ...(MAY_IMPORT_TYPES[from] ?? [])].includes(to);
    const server = ["core", "acceptor", "cluster", "proposer", "collector", "http", "console", "index", "config", "env"];
    expect(MAY_IMPORT_TYPES.core ?? []).toEqual([]);
    expect(server.filter((u) => may("core", u))).toEqual([]);
    for (const u of ["proposer", "collector", "http", "console", "index", "config", "env"]) expect(may("cluster", u)).toBe(false);
    for (const u of ["proposer", "http", "console", "index"]) expect(may("collector", u)).toBe(false);
    for (const u of ["collector", "http", "console", "index"]) expect(may("proposer", u)).toBe(false);
    for (const client of ["client", "cli"]) expect(server.filter((u) => may(client, u))).toEqual([]);
    // No cycle among the folders, type-only edges included (the root files config/env are wiring, left out).
    const folders = ["core", "acceptor", "cluster", "proposer", "collector", "http", "console", "client", "cli"];
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycleFrom = (u: string): string[] | null => {
      if (done.has(u)) return null;
      if (visiting.has(u)) return [u];
      visiting.add(u);
      for (const v of folders.filter((v) => may(u, v))) {
        const cycle = cycleFrom(v);
        if (cycle !== null) return [u, ...cycle];
      }
      visiting.delete(u);
      done.add(u);
      return null;
    };
    for (const u of folders) expect(cycleFrom(u)).toBeNull();
  });

  for (const file of files) {
    const name = relative(srcDir, file);
    const unit = unitOf(file);

    it(`${name} (${unit}) imports only what ${unit} may`, () => {
      const { units, platform } = dependencies(file);
      const forbidden = units
        .filter(({ specifier: to, typeOnly }) => !MAY_IMPORT[unit]!.includes(to) && !(typeOnly && (MAY_IMPORT_TYPES[unit] ?? []).includes(to)))
        .map(({ specifier: to, typeOnly }) => `${to}${typeOnly ? " (type-only)" : ""}`);
      expect(forbidden).toEqual([]);
      if (NO_PLATFORM.includes(unit)) expect(platform).toEqual([]);
    });
  }
});

/**
 * Inside core, multi-key transactions (src/core/txn/, issue 23) sit on top of the single-key protocol: they use the
 * proposer through its `Registers` and the change functions, and the protocol knows nothing of them, except the
 * shape of an intent, which the register state carries (a type-only import: register.ts). So the single-key code
 * cannot come to depend on transactions, and txn/ stays one folder to read.
 */
const coreDir = join(srcDir, "core");
const txnDir = join(coreDir, "txn");
const MAY_IMPORT_TXN_TYPES: readonly string[] = ["register.ts"];

describe("src/core/txn sits on top of the single-key protocol", () => {
  for (const file of files.filter((f) => f.startsWith(coreDir + sep) && !f.startsWith(txnDir + sep))) {
    const name = relative(coreDir, file);
    it(`core/${name} imports nothing of txn/${MAY_IMPORT_TXN_TYPES.includes(name) ? " but types" : ""}`, () => {
      const intoTxn = importsOf(readFileSync(file, "utf8")).filter(({ specifier }) => specifier.startsWith(".") && resolve(dirname(file), specifier).startsWith(txnDir + sep));
      const allowed = MAY_IMPORT_TXN_TYPES.includes(name) ? intoTxn.filter((i) => !i.typeOnly) : intoTxn;
      expect(allowed.map((i) => i.specifier)).toEqual([]);
    });
  }

  it("has its files", () => {
    const names = files.filter((f) => f.startsWith(txnDir + sep)).map((f) => relative(txnDir, f)).sort();
    for (const expected of ["coordinator.ts", "intent-changes.ts", "intent.ts", "record.ts", "registers.ts", "resolver.ts", "snapshot.ts"]) {
      expect(names).toContain(expected);
    }
  });
});
