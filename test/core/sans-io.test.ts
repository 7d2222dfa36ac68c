import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const coreDir = join(dirname(fileURLToPath(import.meta.url)), "../../src/core");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier: import/export ... from "x", import "x", dynamic import("x"), require("x"). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]!);
  return found;
}

const AMBIENT = ["Date.now(", "Math.random(", "performance.now(", "setTimeout(", "setInterval(", "crypto.", "fetch("];

const files = tsFiles(coreDir);

describe("src/core is sans-I/O", () => {
  it("has the protocol files", () => {
    const names = files.map((f) => relative(coreDir, f)).sort();
    for (const expected of ["acceptor.ts", "ballot.ts", "change.ts", "proposer.ts", "round.ts", "quorum/majority.ts", "quorum/joint.ts"]) {
      expect(names).toContain(expected);
    }
  });

  it("the specifier scanner sees every form of import (self-check)", () => {
    const sample = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      'export * from "node:fs";',
      'import "cloudflare:workers";',
      'const m = await import("zod");',
      "import {\n  x,\n  y,\n} from 'multi-line';",
    ].join("\n");
    expect(specifiers(sample)).toEqual(
      expect.arrayContaining(["./a.js", "../b.js", "node:fs", "cloudflare:workers", "zod", "multi-line"]),
    );
  });

  for (const file of files) {
    const name = relative(coreDir, file);

    it(`${name} imports only modules inside src/core`, () => {
      // Relative specifiers only, and resolved they stay in src/core (a subfolder may import its parent's modules).
      const outside = specifiers(readFileSync(file, "utf8")).filter(
        (s) => !(s.startsWith("./") || s.startsWith("../")) || relative(coreDir, resolve(dirname(file), s)).startsWith(".."),
      );
      expect(outside).toEqual([]);
    });

    it(`${name} uses no ambient time, randomness or I/O`, () => {
      const source = readFileSync(file, "utf8");
      expect(AMBIENT.filter((needle) => source.includes(needle))).toEqual([]);
    });
  }
});
