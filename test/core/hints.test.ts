import { describe, expect, it } from "vitest";
import type { Outcome, Registers } from "../../src/core/proposer.js";
import { LocalHints, publishingChanges } from "../../src/core/watch/hints.js";

const stats = { rounds: 1, attempts: 1, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };
const reg = (version: number, value: string | null) => ({ version, value: value === null ? null : new TextEncoder().encode(value), contentType: "text/plain", origin: "o" });

describe("LocalHints and publishingChanges", () => {
  it("hints each applied change (after it is chosen) to the key's subscribers only, until they unsubscribe", async () => {
    const outcomes: Outcome[] = [
      { kind: "applied", state: reg(2, "b"), previous: reg(1, "a"), stats },
      { kind: "applied", state: reg(3, null), previous: reg(2, "b"), stats },
      { kind: "refused", refusal: { code: "precondition_failed", current: reg(3, null) }, stats } as unknown as Outcome,
      { kind: "unknown", reason: "x", stats } as unknown as Outcome,
    ];
    const inner: Registers = { read: async () => outcomes[0]!, change: async () => outcomes.shift()! };
    const hints = new LocalHints();
    const seen: number[] = [];
    const other: number[] = [];
    const stop = hints.subscribe("k", (v) => seen.push(v));
    hints.subscribe("j", (v) => other.push(v));
    const registers = publishingChanges(inner, hints.publish);
    const change = { kind: "write" } as never;
    await registers.change("k", change);
    await registers.change("k", change);
    await registers.change("k", change); // refused: nothing chosen
    await registers.change("k", change); // unknown: nothing known
    expect(seen).toEqual([2, 3]);
    expect(other).toEqual([]);
    stop();
    expect(hints.watchedKeys).toBe(1);
  });

  it("a subscriber that throws does not keep the others from hearing", () => {
    const hints = new LocalHints();
    const seen: number[] = [];
    hints.subscribe("k", () => {
      throw new Error("boom");
    });
    hints.subscribe("k", (v) => seen.push(v));
    hints.publish("k", 4);
    expect(seen).toEqual([4]);
  });

  it("tells prefix subscribers of every key under their prefix, until they unsubscribe", () => {
    const hints = new LocalHints();
    const seen: string[] = [];
    const stop = hints.subscribePrefix("app/", (key, version) => seen.push(`${key}@${version}`));
    hints.subscribePrefix("", (key) => seen.push(`all ${key}`));
    hints.publish("app/a", 2);
    hints.publish("apple", 3);
    stop();
    hints.publish("app/b", 4);
    expect(seen).toEqual(["app/a@2", "all app/a", "all apple", "all app/b"]);
    expect(hints.watchedPrefixes).toBe(1);
  });
});
