import { describe, expect, it } from "vitest";
import { checkFinalBalances, checkSerializable, checkTotals, checkVersions } from "./check.js";
import { History, type Seen } from "./history.js";

/** The bank's checkers on small hand-made histories: each must pass the good one and catch the bad one. */
const s = (key: string, version: number, value: number | null): Seen => ({ key, version, value });

function history(ops: [string, number, number, Seen[], Seen[]][]): History {
  const h = new History();
  for (const [what, call, ret, reads, writes] of ops) h.add({ what, call, ret, reads, writes });
  return h;
}

describe("checkSerializable", () => {
  it("passes a serial history of a transfer between two reads", () => {
    const h = history([
      ["read a", 0, 1, [s("a", 1, 10)], []],
      ["T1", 2, 3, [s("a", 1, 10), s("b", 1, 10)], [s("a", 2, 7), s("b", 2, 13)]],
      ["atomic read", 4, 5, [s("a", 2, 7), s("b", 2, 13)], []],
    ]);
    expect(checkSerializable(h)).toEqual([]);
  });

  it("catches a fractured read: one key before a transaction, the other after it", () => {
    const h = history([
      ["T1", 0, 10, [s("a", 1, 10), s("b", 1, 10)], [s("a", 2, 7), s("b", 2, 13)]],
      ["atomic read", 2, 8, [s("a", 1, 10), s("b", 2, 13)], []],
    ]);
    expect(checkSerializable(h)[0]).toMatch(/not serializable/);
  });

  it("catches a stale read after a write returned (real time)", () => {
    const h = history([
      ["write a", 0, 1, [s("a", 1, 10)], [s("a", 2, 11)]],
      ["read a", 2, 3, [s("a", 1, 10)], []],
    ]);
    expect(checkSerializable(h)[0]).toMatch(/not serializable/);
  });

  it("allows a read concurrent with a write to see either state", () => {
    const h = history([
      ["write a", 0, 5, [s("a", 1, 10)], [s("a", 2, 11)]],
      ["read a", 1, 2, [s("a", 1, 10)], []],
      ["read a", 3, 4, [s("a", 2, 11)], []],
    ]);
    expect(checkSerializable(h)).toEqual([]);
  });

  it("orders through writers nobody acknowledged (versions with no known writer)", () => {
    // v2 was written by an op of unknown outcome; a read of v3 returned before a read of v1 was called.
    const h = history([
      ["write a", 0, 1, [s("a", 2, 10)], [s("a", 3, 12)]],
      ["read a", 2, 3, [s("a", 3, 12)], []],
      ["read a", 4, 5, [s("a", 1, 10)], []],
    ]);
    expect(checkSerializable(h)[0]).toMatch(/not serializable/);
  });
});

describe("checkVersions, checkTotals, checkFinalBalances", () => {
  it("one version, one value; one writer per version", () => {
    expect(checkVersions(history([["r", 0, 1, [s("a", 2, 7)], []], ["w", 0, 1, [], [s("a", 2, 7)]]]))).toEqual([]);
    expect(checkVersions(history([["r", 0, 1, [s("a", 2, 7)], []], ["w", 0, 1, [], [s("a", 2, 8)]]]))[0]).toMatch(/a@2 is 7 to r but 8 to w/);
    expect(checkVersions(history([["T1", 0, 1, [], [s("a", 2, 7)]], ["T2", 0, 1, [], [s("a", 2, 7)]]]))[0]).toMatch(/written by both/);
  });

  it("totals and negative balances", () => {
    const h = new History();
    h.totals.push({ total: 20, call: 0, ret: 1, balances: [s("a", 1, 10), s("b", 1, 10)] });
    expect(checkTotals(h, 20)).toEqual([]);
    h.totals.push({ total: 21, call: 0, ret: 1, balances: [s("a", 1, 11), s("b", 1, 10)] });
    expect(checkTotals(h, 20)).toHaveLength(1);
    h.add({ what: "T", call: 0, ret: 1, reads: [], writes: [s("a", 3, -1)] });
    expect(checkTotals(h, 20)[1]).toMatch(/negative/);
  });

  it("final balances: acknowledged ones committed, definitely-not-applied ones not, unknown ones either way", () => {
    const h = new History();
    h.transfers.push({ txn: "t1", from: "a", to: "b", amount: 3, call: 0, ending: "succeeded" });
    h.transfers.push({ txn: "t2", from: "b", to: "a", amount: 1, call: 0, ending: "unknown" });
    h.transfers.push({ txn: "t3", from: "a", to: "b", amount: 5, call: 0, ending: "unavailable" });
    const initial = new Map([["a", 10], ["b", 10]]);
    const committed = new Map([["t1", "committed-succeeded" as const], ["t2", "committed-succeeded" as const], ["t3", "aborted" as const]]);
    expect(checkFinalBalances(h, initial, new Map([["a", 8], ["b", 12]]), committed)).toEqual([]);
    expect(checkFinalBalances(h, initial, new Map([["a", 7], ["b", 13]]), committed)[0]).toMatch(/final balance of a is 7, expected 8/);
    expect(checkFinalBalances(h, initial, new Map([["a", 7], ["b", 13]]), new Map([["t1", "committed-succeeded"], ["t2", "aborted"], ["t3", "aborted"]]))).toEqual([]);
    expect(checkFinalBalances(h, initial, new Map([["a", 2], ["b", 18]]), new Map([["t1", "committed-succeeded"], ["t2", "committed-succeeded"], ["t3", "committed-succeeded"]]))[0]).toMatch(/t3 was answered unavailable/);
    expect(checkFinalBalances(h, initial, new Map([["a", 10], ["b", 10]]), new Map([["t1", "aborted"]]))[0]).toMatch(/t1 was acknowledged as done, but its record is aborted/);
  });
});
