import { describe, expect, it } from "vitest";
import { increment, write } from "../../../src/core/change.js";
import { isLive, type Register } from "../../../src/core/register.js";
import { runTransaction, type CoordinatorPorts, type CoordinatorSettings, type TxnStep } from "../../../src/core/txn/coordinator.js";
import { parseRecord, recordKey } from "../../../src/core/txn/record.js";
import { TxnRegisters } from "../../../src/core/txn/registers.js";
import { sweepKey } from "../../../src/core/txn/resolver.js";
import type { TxnRequest } from "../../../src/core/txn/request.js";
import { flush, ManualClock } from "../manual-clock.js";
import { MemRegisters } from "./mem-registers.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (r: Register | undefined) => (r == null || r.value === null ? null : new TextDecoder().decode(r.value));
const SETTINGS: CoordinatorSettings = { staleMs: 500, lockWaitMs: 50, pollMs: 5, readDeadlineMs: 200 };

function world(balances: Record<string, number>) {
  const raw = new MemRegisters();
  for (const [key, n] of Object.entries(balances)) raw.states.set(key, { version: 1, value: enc(String(n)), contentType: "text/plain", origin: "init" });
  const clock = new ManualClock();
  const registers = new TxnRegisters(raw, clock, { staleMs: SETTINGS.staleMs, pollMs: SETTINGS.pollMs, deadlineMs: 300 });
  const ports = (checkpoint?: (step: TxnStep) => Promise<void>): CoordinatorPorts => ({ registers: raw, reads: registers, clock, ...(checkpoint ? { checkpoint } : {}) });
  return { raw, clock, registers, ports };
}

const transfer = (from: string, balance: number, to: string, amount: number): TxnRequest => ({
  compare: [{ key: from, value: enc(String(balance)) }],
  success: [{ op: "increment", key: from, by: -amount }, { op: "increment", key: to, by: amount }],
  failure: [{ op: "get", key: from }],
});

/** A checkpoint that never returns at `step`: the coordinator dies there. */
const dieAt = (step: TxnStep) => (s: TxnStep) => (s === step ? new Promise<void>(() => {}) : Promise.resolve());

describe("the coordinator", () => {
  it("commits a transfer: both keys move by one version, the record is committed, no intent is left", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    const out = await runTransaction(ports(), SETTINGS, "t1", transfer("a", 10, "b", 3));
    expect(out).toMatchObject({ kind: "committed", succeeded: true });
    expect(out.kind === "committed" && out.results.map((r) => [r.key, r.state?.version, dec(r.state ?? undefined)])).toEqual([["a", 2, "7"], ["b", 2, "3"]]);
    expect(dec(raw.states.get("a"))).toBe("7");
    expect(dec(raw.states.get("b"))).toBe("3");
    expect([raw.states.get("a")?.version, raw.states.get("b")?.version]).toEqual([2, 2]);
    expect(raw.states.get("a")?.intent).toBeUndefined();
    expect(parseRecord(raw.states.get(recordKey("t1")) ?? null)).toMatchObject({ status: "committed", succeeded: true });
  });

  it("takes the failure branch when a comparison fails, and changes no version", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    const out = await runTransaction(ports(), SETTINGS, "t1", transfer("a", 9, "b", 3));
    expect(out.kind === "committed" && [out.succeeded, out.results.map((r) => [r.key, r.state?.version, dec(r.state ?? undefined)])]).toEqual([false, [["a", 1, "10"]]]);
    expect([raw.states.get("a")?.version, raw.states.get("b")?.version]).toEqual([1, 1]);
    expect(dec(raw.states.get("a"))).toBe("10");
  });

  it("refuses an increment of a non-integer in the branch taken (not_integer), aborting with nothing changed", async () => {
    const { raw, ports } = world({ a: 10 });
    raw.states.set("b", { version: 4, value: enc("text"), contentType: "text/plain", origin: "x" });
    const out = await runTransaction(ports(), SETTINGS, "t1", transfer("a", 10, "b", 3));
    expect(out).toMatchObject({ kind: "refused", code: "not_integer", key: "b" });
    await flush();
    expect(parseRecord(raw.states.get(recordKey("t1")) ?? null)?.status).toBe("aborted");
    expect([dec(raw.states.get("a")), raw.states.get("a")?.version, raw.states.get("a")?.intent]).toEqual(["10", 1, undefined]);
  });

  it("answers unavailable (definitely not applied) when a placement fails, and aborts", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    raw.fail((key, name) => key === "b" && name === "txn.place", "unavailable");
    const out = await runTransaction(ports(), SETTINGS, "t1", transfer("a", 10, "b", 3));
    expect(out.kind).toBe("unavailable");
    await flush();
    expect(parseRecord(raw.states.get(recordKey("t1")) ?? null)?.status).toBe("aborted");
    expect(raw.states.get("a")?.intent).toBeUndefined();
  });

  it("answers unknown (maybe applied) when the commit is not confirmed", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    raw.fail((key, name) => key === recordKey("t1") && name === "txn.commit", "unknown");
    const out = await runTransaction(ports(), SETTINGS, "t1", transfer("a", 10, "b", 3));
    expect(out.kind).toBe("unknown");
  });

  it("gives up (unavailable) on a key held by another pending transaction, after waiting lockWaitMs", async () => {
    const { raw, clock, ports } = world({ a: 10, b: 0 });
    void runTransaction(ports(dieAt("prepared")), SETTINGS, "holder", transfer("a", 10, "b", 1));
    await flush();
    expect(raw.states.get("a")?.intent?.txn).toBe("holder");
    const second = runTransaction(ports(), SETTINGS, "t2", transfer("a", 10, "b", 1));
    await clock.advance(100);
    expect(await second).toMatchObject({ kind: "unavailable", reason: '"a" is held by transaction holder' });
    // Once the holder is stale, the next transaction aborts it and goes through.
    await clock.advance(SETTINGS.staleMs);
    const third = await runTransaction(ports(), SETTINGS, "t3", transfer("a", 10, "b", 1));
    expect(third).toMatchObject({ kind: "committed", succeeded: true });
    expect(parseRecord(raw.states.get(recordKey("holder")) ?? null)?.status).toBe("aborted");
    expect(dec(raw.states.get("a"))).toBe("9");
  });
});

describe("resolution by whoever meets an intent", () => {
  it("coordinator dead after the commit: reads answer the committed state, a write rolls it forward first, the sweep clears", async () => {
    const { raw, clock, registers, ports } = world({ a: 10, b: 0 });
    void runTransaction(ports(dieAt("committed")), SETTINGS, "t1", transfer("a", 10, "b", 3));
    await flush();
    expect(parseRecord(raw.states.get(recordKey("t1")) ?? null)?.status).toBe("committed");
    expect(raw.states.get("a")?.intent?.txn).toBe("t1");
    const read = await registers.read("b");
    expect(read.kind === "applied" && [read.state?.version, dec(read.state ?? undefined), read.state?.intent]).toEqual([2, "3", undefined]);
    // The read rolled b forward; a's write resolves a's intent, then applies on top.
    const w = await registers.change("a", increment(100));
    expect(w.kind === "applied" && [w.previous?.version, dec(w.previous ?? undefined), w.state?.version, dec(w.state ?? undefined)]).toEqual([2, "7", 3, "107"]);
    expect(await sweepKey(raw, "b", () => clock.now(), SETTINGS.staleMs)).toBe("clear");
  });

  it("coordinator dead before the commit: reads answer the state before; once stale, a reader aborts the record", async () => {
    const { raw, clock, registers, ports } = world({ a: 10, b: 0 });
    void runTransaction(ports(dieAt("prepared")), SETTINGS, "t1", transfer("a", 10, "b", 3));
    await flush();
    const before = await registers.read("a");
    expect(before.kind === "applied" && [before.state?.version, dec(before.state ?? undefined), before.state?.intent, before.state?.hidden]).toEqual([1, "10", undefined, undefined]);
    expect(raw.states.get("a")?.intent?.txn).toBe("t1");
    // A writer waits for a fresh pending intent, then gives up without applying anything.
    const blocked = registers.change("a", write(enc("w"), "text/plain"));
    await clock.advance(400);
    expect((await blocked).kind).toBe("unavailable");
    expect(dec(raw.states.get("a"))).toBe("10");
    await clock.advance(200);
    const after = await registers.read("a");
    expect(after.kind === "applied" && dec(after.state ?? undefined)).toBe("10");
    expect(parseRecord(raw.states.get(recordKey("t1")) ?? null)?.status).toBe("aborted");
    expect(raw.states.get("a")?.intent).toBeUndefined();
    expect(raw.states.get("a")?.version).toBe(1);
  });

  it("a pending intent's next state is never answered (and the negative-control flag does answer it)", async () => {
    const { raw, clock, ports } = world({ a: 10, b: 0 });
    void runTransaction(ports(dieAt("prepared")), SETTINGS, "t1", transfer("a", 10, "b", 3));
    await flush();
    const honest = new TxnRegisters(raw, clock, { staleMs: 500, pollMs: 5, deadlineMs: 300 });
    const broken = new TxnRegisters(raw, clock, { staleMs: 500, pollMs: 5, deadlineMs: 300, bugReadPendingIntent: true });
    const h = await honest.read("b");
    const b = await broken.read("b");
    expect(h.kind === "applied" && dec(h.state ?? undefined)).toBe("0");
    expect(b.kind === "applied" && dec(b.state ?? undefined)).toBe("3");
  });

  it("a key without intents costs exactly one proposer call per read or change", async () => {
    const { raw, registers } = world({ a: 10 });
    raw.calls.length = 0;
    await registers.read("a");
    await registers.change("a", increment(1));
    await registers.change("z", write(enc("new"), "text/plain"));
    expect(raw.calls).toEqual(["read a", "increment a", "write z"]);
  });
});

describe("atomic multi-key reads", () => {
  const readAll: TxnRequest = { compare: [], success: [{ op: "get", key: "a" }, { op: "get", key: "b" }], failure: [] };

  it("reads every key twice and answers when nothing moved, placing no intent", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    raw.calls.length = 0;
    const out = await runTransaction(ports(), SETTINGS, "r1", readAll);
    expect(out.kind === "committed" && out.results.map((r) => dec(r.state ?? undefined))).toEqual(["10", "0"]);
    expect(raw.calls).toEqual(["read a", "read b", "read a", "read b"]);
  });

  it("reads again when a key moved between the two rounds", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    let moved = false;
    const reads = {
      read: async (key: string) => {
        const o = await ports().reads.read(key);
        if (!moved && key === "b") {
          moved = true;
          await raw.change("b", increment(5));
        }
        return o;
      },
      change: ports().reads.change.bind(ports().reads),
    };
    const out = await runTransaction({ ...ports(), reads }, SETTINGS, "r1", readAll);
    expect(out.kind === "committed" && out.results.map((r) => dec(r.state ?? undefined))).toEqual(["10", "5"]);
  });

  it("falls back to intents when the keys move between every two rounds, and still answers one snapshot", async () => {
    const { raw, ports } = world({ a: 10, b: 0 });
    // Every read of b is followed by a plain write of b: no two rounds ever agree.
    const reads = {
      read: async (key: string) => {
        const o = await ports().reads.read(key);
        if (key === "b" && raw.states.get("b")?.intent === undefined) await raw.change("b", increment(1));
        return o;
      },
      change: ports().reads.change.bind(ports().reads),
    };
    raw.calls.length = 0;
    const out = await runTransaction({ ...ports(), reads }, SETTINGS, "r1", readAll);
    expect(out.kind).toBe("committed");
    expect(raw.calls.filter((c) => c.startsWith("txn.place")).sort()).toEqual(["txn.place a", "txn.place b"]);
    // The answer is the state the intents locked: b as it stood when its intent was placed.
    const b = out.kind === "committed" ? out.results[1]!.state : null;
    expect(b?.version).toBe(raw.states.get("b")?.version);
    expect(raw.states.get("b")?.intent).toBeUndefined();
  });

  it("evaluates comparisons on the snapshot", async () => {
    const { ports } = world({ a: 10, b: 0 });
    const out = await runTransaction(ports(), SETTINGS, "r1", { compare: [{ key: "a", exists: false }], success: [{ op: "get", key: "a" }], failure: [{ op: "get", key: "b" }] });
    expect(out.kind === "committed" && [out.succeeded, out.results.map((r) => r.key)]).toEqual([false, ["b"]]);
    expect(isLive(null)).toBe(false);
  });
});
