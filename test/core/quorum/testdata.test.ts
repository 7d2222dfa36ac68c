/**
 * Runs the cases of testdata/*.txt, in the manner of etcd's raft quorum tests: each file lists cases as
 *
 *     # why
 *     vote cfg=(1,2,3) cfgj=(3,4,5) votes=(y,_,n,y,_) -> pending
 *     bare cfg=(1,2,3) cfgj=(3,4,5) order=(5,4,3,2,1) -> (5,3,2)
 *
 * `cfg` is a majority config, `cfgj` the incoming half of a joint config with `cfg` as its outgoing half, `all` a
 * unanimous config. `votes` go to the union of the members in order of first appearance: y granted, n refused or
 * failed, _ silent. `order` is the order of preference for a bare quorum.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { JointConfig } from "../../../src/core/quorum/joint.js";
import { MajorityConfig } from "../../../src/core/quorum/majority.js";
import type { AcceptorId, QuorumConfig } from "../../../src/core/quorum/quorum-config.js";
import { UnanimousConfig } from "../../../src/core/quorum/unanimous.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "testdata");

interface Case {
  readonly line: number;
  readonly text: string;
  readonly command: "vote" | "bare";
  readonly args: ReadonlyMap<string, readonly string[]>;
  readonly expected: string;
}

function parse(file: string): Case[] {
  const cases: Case[] = [];
  readFileSync(join(dir, file), "utf8")
    .split("\n")
    .forEach((raw, i) => {
      const text = raw.trim();
      if (text === "" || text.startsWith("#")) return;
      const m = /^(vote|bare)\s+(.*?)\s*->\s*(.+)$/.exec(text);
      if (m === null) throw new Error(`${file}:${i + 1}: not a case: ${text}`);
      const args = new Map<string, string[]>();
      for (const arg of m[2]!.split(/\s+/)) {
        const a = /^(\w+)=\((.*)\)$/.exec(arg);
        if (a === null) throw new Error(`${file}:${i + 1}: bad argument ${arg}`);
        args.set(a[1]!, a[2] === "" ? [] : a[2]!.split(","));
      }
      cases.push({ line: i + 1, text, command: m[1] as Case["command"], args, expected: m[3]! });
    });
  return cases;
}

const ids = (c: Case, key: string): AcceptorId[] | undefined => c.args.get(key)?.map(Number);

/** The config a case describes, and the same config with its halves swapped when it is joint. */
function configsOf(c: Case): QuorumConfig[] {
  const all = ids(c, "all");
  if (all !== undefined) return [new UnanimousConfig(all)];
  const outgoing = new MajorityConfig(ids(c, "cfg") ?? []);
  const incoming = ids(c, "cfgj");
  if (incoming === undefined) return [outgoing];
  const joint = new MajorityConfig(incoming);
  return [new JointConfig(outgoing, joint), new JointConfig(joint, outgoing)];
}

function votesOf(c: Case, config: QuorumConfig): Map<AcceptorId, boolean> {
  const marks = c.args.get("votes") ?? [];
  // The members in order of first appearance in the case (cfg, then cfgj), whichever half a config lists first.
  const listed = [...new Set([...(ids(c, "all") ?? []), ...(ids(c, "cfg") ?? []), ...(ids(c, "cfgj") ?? [])])];
  expect(listed.length, `${c.text}: one vote per member`).toBe(marks.length);
  expect(new Set(config.members)).toEqual(new Set(listed));
  const votes = new Map<AcceptorId, boolean>();
  marks.forEach((mark, i) => {
    if (mark === "y") votes.set(listed[i]!, true);
    else if (mark === "n") votes.set(listed[i]!, false);
    else if (mark !== "_") throw new Error(`${c.text}: unknown vote ${mark}`);
  });
  return votes;
}

const files = readdirSync(dir).filter((f) => f.endsWith(".txt"));

describe("quorum testdata", () => {
  it("has the case files", () => {
    expect(files.sort()).toEqual(["bare.txt", "joint.txt", "majority.txt", "unanimous.txt"]);
  });

  for (const file of files) {
    describe(file, () => {
      for (const c of parse(file)) {
        it(`line ${c.line}: ${c.text}`, () => {
          for (const config of configsOf(c)) {
            if (c.command === "vote") {
              expect(config.voteResult(votesOf(c, config))).toBe(c.expected);
            } else {
              const order = ids(c, "order") ?? [];
              const bare = config.bareQuorum(order);
              if (config === configsOf(c)[0]) expect(`(${bare.join(",")})`).toBe(c.expected);
              // Granting, the bare quorum wins on its own (a config without members never wins).
              const votes = new Map(bare.map((id) => [id, true] as const));
              expect(config.voteResult(votes)).toBe(config.members.length === 0 ? "lost" : "won");
            }
          }
        });
      }
    });
  }

  it("majority.txt covers every class of vote pattern (how many y, how many n) of 1, 3, 5 and 7 acceptors", () => {
    const seen = new Set<string>();
    for (const c of parse("majority.txt")) {
      const votes = c.args.get("votes");
      if (c.command !== "vote" || votes === undefined) continue;
      const count = (mark: string) => votes.filter((v) => v === mark).length;
      seen.add(`${votes.length}:${count("y")}:${count("n")}`);
    }
    const missing: string[] = [];
    for (const n of [1, 3, 5, 7]) {
      for (let y = 0; y <= n; y++) for (let no = 0; no + y <= n; no++) if (!seen.has(`${n}:${y}:${no}`)) missing.push(`${n}:${y}:${no}`);
    }
    expect(missing).toEqual([]);
  });
});
