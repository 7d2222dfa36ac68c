/**
 * Runs the cases of testdata/*.txt, in the manner of etcd-io/raft's datadriven tests. A case is a command line, a
 * line "----", and the expected output up to the next blank line; "#" lines before it say why. The cases of a file
 * run in order on one layout:
 *
 *     legacy cluster=main acceptors=3 hints=wnam,enam,-      today's layout (- for no hint)
 *     change {"groups": 32}                                  plan a change (the POST body); the layout becomes its joint epoch
 *     advance joint-installed | caught-up | final-installed  move the running change along
 *     advance progress vshards=N keys=K
 *     advance fail error=TEXT
 *     run {"groups": 2}                                      plan and run a change to done; prints the final layout
 *     setup {"groups": 400}                                  the same, printing only a summary
 *     complete                                               run the running change to done; prints a summary
 *     show                                                   print the layout
 *     lookup vshard=V                                        who owns a vshard
 *     corrupt PATH=JSON                                      decode the layout's encoding with one field set (or
 *                                                            PATH=<delete>), without changing the layout
 *
 * After every command that changes the layout, the runner also checks the invariants (validate.ts), the codec round
 * trip, and that the epoch did not go back. UPDATE=1 rewrites the expected outputs (then read the diff).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { advance, type ChangeEvent } from "../../../src/core/layout/advance.js";
import { parseChangeRequest } from "../../../src/core/layout/change-request.js";
import { decodeLayout, encodeLayout } from "../../../src/core/layout/codec.js";
import { isJoint, ownerOf, type Layout } from "../../../src/core/layout/layout.js";
import { legacyLayout } from "../../../src/core/layout/legacy.js";
import { isLocationHint } from "../../../src/core/layout/location-hint.js";
import { planChange } from "../../../src/core/layout/plan.js";
import type { LayoutError, Result } from "../../../src/core/layout/result.js";
import { validateLayout } from "../../../src/core/layout/validate.js";
import { positionOf } from "../../../src/core/layout/vshard.js";
import { printLayout, printPlan, printSummary } from "./print.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "testdata");

interface Case {
  readonly line: number;
  readonly command: string;
  readonly expected: string;
  /** Where the expected output sits in the file's lines, for UPDATE=1. */
  readonly outputLines: [number, number];
}

function parse(lines: readonly string[], file: string): Case[] {
  const cases: Case[] = [];
  let i = 0;
  while (i < lines.length) {
    const text = lines[i]!.trim();
    if (text === "" || text.startsWith("#")) {
      i++;
      continue;
    }
    if (lines[i + 1]?.trim() !== "----") throw new Error(`${file}:${i + 2}: expected "----" after the command`);
    let end = i + 2;
    while (end < lines.length && lines[end]!.trim() !== "") end++;
    cases.push({ line: i + 1, command: text, expected: lines.slice(i + 2, end).join("\n"), outputLines: [i + 2, end] });
    i = end;
  }
  return cases;
}

const errorText = (e: LayoutError) => `error ${e.code}: ${e.message}`;

/** Runs one command on the file's layout: the output, and the layout after. */
function run(command: string, layout: Layout | undefined): { output: string; layout: Layout | undefined } {
  const [verb = "", ...rest] = command.split(" ");
  const argText = rest.join(" ");
  const need = (): Layout => {
    if (layout === undefined) throw new Error(`${verb} needs a layout: start with "legacy"`);
    return layout;
  };
  const step = (next: Result<Layout>) => (next.ok ? { output: printLayout(next.value), layout: next.value } : { output: errorText(next.error), layout });
  switch (verb) {
    case "legacy": {
      const args = keyValues(argText);
      const acceptors = Number(args.get("acceptors") ?? "3");
      const hints = (args.get("hints") ?? "").split(",").map((h) => (isLocationHint(h) ? h : undefined));
      const next = legacyLayout(args.get("cluster") ?? "main", acceptors, hints);
      return { output: printLayout(next), layout: next };
    }
    case "change": {
      const request = parseChangeRequest(JSON.parse(argText));
      if (!request.ok) return { output: errorText(request.error), layout };
      const plan = planChange(need(), request.value);
      if (!plan.ok) return { output: errorText(plan.error), layout };
      return { output: printPlan(plan.value), layout: plan.value.joint };
    }
    case "advance":
      return step(advance(need(), eventOf(argText)));
    case "run":
    case "setup": {
      const request = parseChangeRequest(JSON.parse(argText));
      if (!request.ok) return { output: errorText(request.error), layout };
      const plan = planChange(need(), request.value);
      if (!plan.ok) return { output: errorText(plan.error), layout };
      let next = plan.value.joint;
      const total = plan.value.change.vshardsTotal;
      for (const event of [
        { kind: "joint-installed" },
        { kind: "progress", vshardsDone: total, keysCopied: 0 },
        { kind: "caught-up" },
        { kind: "final-installed" },
      ] as const) {
        const r = advance(next, event);
        if (!r.ok) throw new Error(`run: ${errorText(r.error)}`);
        next = r.value;
      }
      return { output: verb === "run" ? printLayout(next) : printSummary(next), layout: next };
    }
    case "complete": {
      let next = need();
      while (next.change?.state === "running") {
        const c = next.change;
        const event: ChangeEvent =
          c.step === "joint" ? { kind: "joint-installed" }
          : c.step === "final" ? { kind: "final-installed" }
          : c.vshardsDone < c.vshardsTotal ? { kind: "progress", vshardsDone: c.vshardsTotal, keysCopied: c.keysCopied }
          : { kind: "caught-up" };
        const r = advance(next, event);
        if (!r.ok) throw new Error(`complete: ${errorText(r.error)}`);
        next = r.value;
      }
      return { output: printSummary(next), layout: next };
    }
    case "show":
      return { output: printLayout(need()), layout };
    case "lookup": {
      const vshard = Number(keyValues(argText).get("vshard"));
      const { owner, since } = ownerOf(need(), vshard);
      const who = isJoint(owner) ? `g${owner.old} -> g${owner.new}` : `g${owner.group}`;
      return { output: `vshard ${vshard} at position ${positionOf(vshard)}: ${who} since ${since}`, layout };
    }
    case "corrupt": {
      const at = argText.indexOf("=");
      const json = JSON.parse(encodeLayout(need())) as unknown;
      setPath(json, argText.slice(0, at), argText.slice(at + 1));
      const decoded = decodeLayout(JSON.stringify(json));
      return { output: decoded.ok ? `ok epoch=${decoded.value.epoch}` : errorText(decoded.error), layout };
    }
    default:
      throw new Error(`unknown command ${verb}`);
  }
}

function eventOf(text: string): ChangeEvent {
  const [kind = "", ...rest] = text.split(" ");
  if (kind === "joint-installed" || kind === "caught-up" || kind === "final-installed") return { kind };
  if (kind === "fail") return { kind, error: rest.join(" ").replace(/^error=/, "") };
  if (kind === "progress") {
    const args = keyValues(rest.join(" "));
    return { kind, vshardsDone: Number(args.get("vshards")), keysCopied: Number(args.get("keys")) };
  }
  throw new Error(`unknown event ${kind}`);
}

function keyValues(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\s+/)
      .filter((t) => t !== "")
      .map((t) => {
        const at = t.indexOf("=");
        return [t.slice(0, at), t.slice(at + 1)] as [string, string];
      }),
  );
}

/** Sets (or with "<delete>" removes) a field at a path like owners[0].to or change.request.groups. */
function setPath(root: unknown, path: string, value: string): void {
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
  let node = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === "<delete>") delete node[last];
  else node[last] = JSON.parse(value);
}

/** The checks every layout a command produces must pass. */
function checkInvariants(where: string, before: Layout | undefined, after: Layout): void {
  const valid = validateLayout(after);
  expect(valid.ok ? null : valid.error.message, `${where}: invariants`).toBeNull();
  const decoded = decodeLayout(encodeLayout(after));
  expect(decoded.ok ? decoded.value : decoded.error, `${where}: codec round trip`).toEqual(after);
  if (before !== undefined && before.cluster === after.cluster) {
    expect(after.epoch, `${where}: epochs only grow`).toBeGreaterThanOrEqual(before.epoch);
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith(".txt"));

describe("layout testdata", () => {
  it("has case files", () => expect(files.length).toBeGreaterThan(0));

  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const lines = readFileSync(path, "utf8").split("\n");
      const cases = parse(lines, file);
      const rewritten: string[][] = [];
      let layout: Layout | undefined;
      for (const c of cases) {
        const before = layout;
        const result = run(c.command, layout);
        layout = result.layout;
        if (layout !== undefined && layout !== before) checkInvariants(`${file}:${c.line}`, before, layout);
        if (process.env.UPDATE === "1") rewritten.push(result.output.split("\n"));
        else expect(result.output, `${file}:${c.line}: ${c.command}`).toBe(c.expected);
      }
      if (process.env.UPDATE === "1") {
        // Splice from the last case back, so earlier positions stay right.
        const fresh = [...lines];
        for (let i = cases.length - 1; i >= 0; i--) {
          const [from, to] = cases[i]!.outputLines;
          fresh.splice(from, to - from, ...rewritten[i]!);
        }
        writeFileSync(path, fresh.join("\n"));
      }
    });
  }
});
