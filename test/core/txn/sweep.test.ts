import { describe, expect, it } from "vitest";
import { handleRequest } from "../../../src/core/acceptor.js";
import { read as readChange } from "../../../src/core/change.js";
import type { Register } from "../../../src/core/register.js";
import { runTransaction, type TxnStep } from "../../../src/core/txn/coordinator.js";
import { PLACE_INTENT } from "../../../src/core/txn/intent-changes.js";
import { parseRecord, recordKey } from "../../../src/core/txn/record.js";
import { TxnRegisters } from "../../../src/core/txn/registers.js";
import type { TxnRequest } from "../../../src/core/txn/request.js";
import { emptySweepReport, sweepIntents, type SweepOptions } from "../../../src/core/txn/sweep.js";
import { nextSweepAt, sweepLeaseMs, sweepPeriodMs } from "../../../src/core/txn/sweep-schedule.js";
import { armingSweeps, SweepLeases } from "../../../src/core/txn/sweep-trigger.js";
import { Cluster } from "../harness.js";
import { flush } from "../manual-clock.js";
import { MemoryStore } from "../memory-store.js";
import { MemRegisters } from "./mem-registers.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (r: Register | undefined) => (r == null || r.value === null ? null : new TextDecoder().decode(r.value));
const STALE_MS = 500;
const OPTIONS: SweepOptions = { staleMs: STALE_MS, pageSize: 100, concurrency: 4, roundTimeoutMs: 100, maxKeys: 1000 };
const COORDINATOR = { staleMs: STALE_MS, lockWaitMs: 50, pollMs: 5, readDeadlineMs: 500 };

const transfer = (from: string, balance: number, to: string, amount: number): TxnRequest => ({
  compare: [{ key: from, value: enc(String(balance)) }],
  success: [{ op: "increment", key: from, by: -amount }, { op: "increment", key: to, by: amount }],
  failure: [{ op: "get", key: from }],
});
const dieAt = (step: TxnStep) => (s: TxnStep) => (s === step ? new Promise<void>(() => {}) : Promise.resolve());

/** Three in-memory acceptors, accounts a = 10 and b = 0, and a proposer for the coordinator and one for the sweep. */
async function world() {
  const cluster = new Cluster(3);
  const coordinator = cluster.proposer("coord");
  const sweeper = cluster.proposer("sweep", { seed: 3 });
  for (const [key, value] of [["a", "10"], ["b", "0"]] as const) {
    await cluster.clock.runUntil(coordinator.proposer.change(key, { name: "init", mutates: true, apply: (c, o) => ({ kind: "apply", next: { version: (c?.version ?? 0) + 1, value: enc(value), contentType: "text/plain", origin: o } }) }));
  }
  const reads = new TxnRegisters(coordinator.proposer, cluster.clock, { staleMs: STALE_MS, pollMs: 5, deadlineMs: 500 });
  const ports = (step: TxnStep) => ({ registers: coordinator.proposer, reads, clock: cluster.clock, checkpoint: dieAt(step) });
  const sweep = (options: Partial<SweepOptions> = {}) =>
    cluster.clock.runUntil(sweepIntents({ acceptors: 3, send: (i, r) => sweeper.link.send(i, r), registers: sweeper.proposer, clock: cluster.clock }, { ...OPTIONS, ...options }));
  const intentsOn = (key: string) => cluster.stores.filter((s) => s.read(key)?.state?.intent !== undefined).length;
  return { cluster, coordinator, sweeper, ports, sweep, intentsOn };
}

describe("the acceptor's intents page", () => {
  it("lists only keys whose accepted state holds an intent, in key order, page by page", () => {
    const store = new MemoryStore();
    const intent = { txn: "t", record: recordKey("t"), startedAt: 1, success: { kind: "keep" as const }, failure: { kind: "keep" as const } };
    for (const key of ["d", "a", "c", "b", "e"]) {
      const held = key !== "c";
      handleRequest(store, { type: "accept", key, ballot: { counter: 1, proposer: "p" }, state: { version: 1, value: enc("x"), contentType: "", origin: "o", ...(held ? { intent } : {}) } });
    }
    expect(handleRequest(store, { type: "intents", after: null, limit: 2 })).toEqual({ type: "intent-keys", keys: ["a", "b"], full: true, epoch: 0 });
    expect(handleRequest(store, { type: "intents", after: "b", limit: 2 })).toEqual({ type: "intent-keys", keys: ["d", "e"], full: true, epoch: 0 });
    expect(handleRequest(store, { type: "intents", after: "e", limit: 2 })).toEqual({ type: "intent-keys", keys: [], full: false, epoch: 0 });
  });
});

describe("the background sweep of a group's intents", () => {
  it("finds nothing and reads nothing when no key holds an intent", async () => {
    const { sweep, sweeper } = await world();
    expect(await sweep()).toEqual({ ...emptySweepReport() });
    expect(sweeper.link.sent.map((s) => s.request.type)).toEqual(["intents", "intents", "intents"]);
  });

  it("rolls forward the intents of a transaction whose coordinator died after the commit", async () => {
    const { cluster, ports, sweep, intentsOn } = await world();
    void runTransaction(ports("committed"), COORDINATOR, "t1", transfer("a", 10, "b", 3));
    await cluster.clock.advance(50);
    expect(intentsOn("a")).toBeGreaterThanOrEqual(2);
    // The record is committed but the keys' versions have not moved: a version scan would not see the transfer.
    expect(cluster.stores.map((s) => s.read("b")?.state?.version)).toEqual([1, 1, 1]);
    const report = await sweep();
    expect(report).toMatchObject({ found: 2, resolved: 2, pending: 0, failed: 0, unreachable: false });
    expect([intentsOn("a"), intentsOn("b")]).toEqual([0, 0]);
    const b = cluster.stores.map((s) => s.read("b")?.state).filter((s) => s?.version === 2);
    expect(b.length).toBeGreaterThanOrEqual(2);
    expect(dec(b[0])).toBe("3");
  });

  it("leaves a pending transaction alone within its time, and aborts it once stale", async () => {
    const { cluster, coordinator, ports, sweep, intentsOn } = await world();
    void runTransaction(ports("prepared"), COORDINATOR, "t1", transfer("a", 10, "b", 3));
    await cluster.clock.advance(20);
    expect(await sweep()).toMatchObject({ found: 2, resolved: 0, pending: 2 });
    await cluster.clock.advance(STALE_MS);
    expect(await sweep()).toMatchObject({ found: 2, resolved: 2, pending: 0 });
    expect([intentsOn("a"), intentsOn("b")]).toEqual([0, 0]);
    const record = await cluster.clock.runUntil(coordinator.proposer.read(recordKey("t1")));
    expect(record.kind === "applied" && parseRecord(record.state)?.status).toBe("aborted");
    // Nothing visible changed: an aborted transaction leaves no trace.
    const a = await cluster.clock.runUntil(coordinator.proposer.change("a", readChange()));
    expect(a.kind === "applied" && [a.state?.version, dec(a.state ?? undefined)]).toEqual([1, "10"]);
  });

  it("finds an intent on the union of a majority: placed without acceptor 0, swept without acceptor 1", async () => {
    const { cluster, coordinator, sweeper, ports, sweep, intentsOn } = await world();
    coordinator.link.set({ 0: "fail" });
    void runTransaction(ports("committed"), COORDINATOR, "t1", transfer("a", 10, "b", 3));
    await cluster.clock.advance(50);
    expect(cluster.stores[0]!.read("a")?.state?.intent).toBeUndefined();
    expect(intentsOn("a")).toBe(2);
    sweeper.link.set({ 1: "hang" });
    expect(await sweep()).toMatchObject({ found: 2, resolved: 2, unreachable: false });
    sweeper.link.set({ 0: "fail", 1: "hang" });
    expect(await sweep()).toMatchObject({ found: 0, unreachable: true });
  });

  it("pages through many keys, a few at a time, and stops at maxKeys with a backlog", async () => {
    const { cluster, ports, sweep, intentsOn } = await world();
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
    void runTransaction(ports("committed"), COORDINATOR, "t1", { compare: [], success: keys.map((key) => ({ op: "put" as const, key, value: enc("v"), contentType: "" })), failure: [] });
    await cluster.clock.advance(50);
    expect(await sweep({ pageSize: 2, maxKeys: 4 })).toMatchObject({ found: 4, resolved: 4, backlog: true });
    expect(await sweep({ pageSize: 2 })).toMatchObject({ found: 3, resolved: 3, backlog: false });
    expect(keys.map(intentsOn)).toEqual(keys.map(() => 0));
  });
});

describe("when the sweep runs", () => {
  it("every half staleness deadline, at least a second; a lease of four periods, past the longest change", () => {
    expect(sweepPeriodMs(10_000)).toBe(5_000);
    expect(sweepPeriodMs(250)).toBe(1_000);
    expect(sweepPeriodMs(250, 100)).toBe(125);
    expect(sweepLeaseMs(5_000, 5_000)).toBe(20_000);
    expect(sweepLeaseMs(125, 440)).toBe(565);
  });

  it("again a period later while something is pending, failed, unreached or a lease runs; soon on a backlog; else never", () => {
    const times = { now: 10_000, startedAt: 9_000, activeUntil: 0, periodMs: 1_000 };
    expect(nextSweepAt(emptySweepReport(), times)).toBeNull();
    expect(nextSweepAt({ ...emptySweepReport(), resolved: 3, clear: 2 }, times)).toBeNull();
    expect(nextSweepAt({ ...emptySweepReport(), pending: 1 }, times)).toBe(11_000);
    expect(nextSweepAt({ ...emptySweepReport(), failed: 1 }, times)).toBe(11_000);
    expect(nextSweepAt({ ...emptySweepReport(), unreachable: true }, times)).toBe(11_000);
    expect(nextSweepAt({ ...emptySweepReport(), backlog: true }, times)).toBe(10_100);
    // A lease not yet outlived by a sweep's start: once more; a sweep that started after it ends the run.
    expect(nextSweepAt(emptySweepReport(), { ...times, activeUntil: 9_001 })).toBe(11_000);
    expect(nextSweepAt(emptySweepReport(), { ...times, activeUntil: 9_000 })).toBeNull();
  });

  it("a Worker wakes a group only when no lease it knows of covers the intent, and again after a failed wake", () => {
    const leases = new SweepLeases(1_000);
    expect(leases.needsWake(1, 5_000)).toBe(true);
    leases.leased(1, 20_000);
    expect(leases.needsWake(1, 18_999)).toBe(false);
    expect(leases.needsWake(1, 19_000)).toBe(true);
    expect(leases.needsWake(2, 0)).toBe(true);
    leases.leased(1, 10_000); // an older answer arriving late does not shorten it
    expect(leases.needsWake(1, 18_000)).toBe(false);
    leases.forget(1);
    expect(leases.needsWake(1, 0)).toBe(true);
  });

  it("arms before a placement is sent (by when it may be chosen), and after any answer that shows an intent", async () => {
    const raw = new MemRegisters();
    raw.states.set("x", { version: 1, value: enc("1"), contentType: "", origin: "o" });
    const armed: string[] = [];
    let now = 100;
    const registers = armingSweeps(raw, { now: () => now, timer: () => ({ fired: new Promise(() => {}), cancel: () => {} }) }, 50, (key, by) => armed.push(`${key}@${by}`));
    await registers.read("x");
    expect(armed).toEqual([]);
    const place = { name: PLACE_INTENT, mutates: true, apply: (c: Register) => ({ kind: "apply" as const, next: c === null ? null : { ...c, intent: { txn: "t", record: "r", startedAt: 0, success: { kind: "keep" as const }, failure: { kind: "keep" as const } } } }) };
    // A placement that fails is armed all the same: it was sent, and may yet be chosen.
    raw.fail((key) => key === "x", "unavailable");
    await registers.change("x", place);
    expect(armed).toEqual(["x@150"]);
    now = 200;
    await registers.change("x", place);
    expect(armed).toEqual(["x@150", "x@250", "x@200"]);
    now = 300;
    await registers.read("x");
    await registers.change("x", { name: "guarded", mutates: true, apply: (c) => ({ kind: "refuse", refusal: { code: "intent_present", current: c } }) });
    expect(armed.slice(3)).toEqual(["x@300", "x@300"]);
    await flush();
  });
});
