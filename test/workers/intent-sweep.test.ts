import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { IntentSweeper } from "../../src/collector/intent-sweeper-object.js";
import { armingIntentSweeps, intentSweeperSettings, intentSweeperStub } from "../../src/collector/intent-sweep-trigger.js";
import { loadConfig } from "../../src/config.js";
import { DurableObjectNamedTransport } from "../../src/cluster/named-object-transport.js";
import { systemClock } from "../../src/cluster/runtime.js";
import { write } from "../../src/core/change.js";
import { ownerOf } from "../../src/core/layout/layout.js";
import { vshardOf } from "../../src/core/layout/vshard.js";
import { runTransaction, type TxnStep } from "../../src/core/txn/coordinator.js";
import { parseRecord, recordKey } from "../../src/core/txn/record.js";
import { TxnRegisters } from "../../src/core/txn/registers.js";
import type { TxnRequest } from "../../src/core/txn/request.js";
import type { Env } from "../../src/env.js";
import { serve } from "../../src/index.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { hubHints, hubStub } from "../../src/watch/hub-hints.js";
import { BASE, keyPath } from "./helpers.js";

// The background sweep of transactions' leftover intents (issue 23): src/collector/intent-sweeper-object.ts over the
// real acceptor objects. A "dead coordinator" is src/core's runTransaction with a checkpoint that never returns.

const STALE_MS = 1500;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (v: Uint8Array | null | undefined) => (v == null ? null : new TextDecoder().decode(v));
const puts = (keys: readonly string[], value: string): TxnRequest => ({ compare: [], success: keys.map((key) => ({ op: "put" as const, key, value: enc(value), contentType: "text/plain" })), failure: [] });

/** A cluster of its own with a short staleness deadline, its proposer, and the Worker's arming of sweeps. */
async function sweepWorld() {
  const vars: Env = {
    ...(env as unknown as Env),
    BALLOT_TXN_STALE_MS: String(STALE_MS),
    BALLOT_CLUSTER: `sw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
  };
  const config = loadConfig(vars);
  const proposer = createWorkerProposer(vars, config);
  await proposer.layout.ready(config.proposer.deadlineMs);
  const wakes: Promise<unknown>[] = [];
  const armed = armingIntentSweeps(proposer.registers, vars.INTENT_SWEEPER, config, proposer.layout, (work) => wakes.push(work));
  const reads = new TxnRegisters(armed, systemClock, { staleMs: STALE_MS, pollMs: 5, deadlineMs: config.proposer.deadlineMs });
  const coordinator = { staleMs: STALE_MS, lockWaitMs: 100, pollMs: 5, readDeadlineMs: config.proposer.deadlineMs };
  /** Runs a transaction whose coordinator dies at `step`; resolves once it is dead there. */
  const deadAt = async (step: TxnStep, txn: string, request: TxnRequest) => {
    let died!: () => void;
    const dead = new Promise<void>((resolve) => (died = resolve));
    const checkpoint = (s: TxnStep) => (s === step ? (died(), new Promise<void>(() => {})) : Promise.resolve());
    void runTransaction({ registers: armed, reads, clock: systemClock, checkpoint }, coordinator, txn, request);
    await dead;
    await Promise.all(wakes);
  };
  const layout = () => proposer.layout.current();
  const groupOf = (key: string) => {
    const owner = ownerOf(layout(), vshardOf(key)).owner;
    if (!("group" in owner)) throw new Error("no layout change runs here");
    return owner.group;
  };
  const named = new DurableObjectNamedTransport(vars.ACCEPTOR);
  /** The key's rows on every acceptor of its group. */
  const rows = (key: string) => Promise.all(layout().groups.find((g) => g.id === groupOf(key))!.acceptors.map((ref) => named.stub(ref).inspect(key)));
  const sweeper = (key: string): DurableObjectStub<IntentSweeper> => intentSweeperStub(vars.INTENT_SWEEPER, config, groupOf(key), layout());
  const alarmOf = (stub: DurableObjectStub<IntentSweeper>) => runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
  return { vars, config, proposer, deadAt, rows, sweeper, alarmOf, groupOf, wakes };
}

describe("the background sweep of leftover intents", () => {
  it("aborts and clears the intents of a coordinator that died before its commit, once stale, and then goes back to sleep", async () => {
    const w = await sweepWorld();
    const keys = ["inventory/a", "inventory/b"];
    for (const key of keys) expect((await w.proposer.registers.change(key, write(enc("0"), "text/plain"))).kind).toBe("applied");
    await w.deadAt("prepared", "dead1", puts(keys, "1"));
    // The intents are on the acceptors, and the placements woke the keys' sweepers (their alarms are set).
    for (const key of keys) expect((await w.rows(key)).filter((slot) => slot?.state?.intent?.txn === "dead1").length).toBeGreaterThanOrEqual(2);
    const sweepers = [...new Map(keys.map((key) => [w.groupOf(key), w.sweeper(key)])).values()];
    for (const stub of sweepers) expect(await w.alarmOf(stub)).not.toBeNull();

    // Within its time the transaction is left alone; once stale, the alarm's sweep aborts it and drops the intents.
    for (const stub of sweepers) expect(await runDurableObjectAlarm(stub)).toBe(true);
    for (const key of keys) expect((await w.rows(key)).some((slot) => slot?.state?.intent !== undefined)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, STALE_MS));
    for (const stub of sweepers) expect(await runDurableObjectAlarm(stub)).toBe(true);
    for (const key of keys) {
      expect((await w.rows(key)).filter((slot) => slot?.state?.intent === undefined && slot?.state?.version === 1).length).toBeGreaterThanOrEqual(2);
    }
    const record = await w.proposer.registers.read(recordKey("dead1"));
    expect(record.kind === "applied" && parseRecord(record.state)?.status).toBe("aborted");

    // Nothing is left, but a lease of the wakes still runs: the alarm comes back until a sweep starts after it.
    for (const stub of sweepers) expect(await w.alarmOf(stub)).not.toBeNull();
    const settings = intentSweeperSettings(w.config, w.groupOf(keys[0]!));
    const leaseEnd = await w.sweeper(keys[0]!).wake(settings);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, leaseEnd - Date.now() + 10)));
    for (const stub of sweepers) {
      await runDurableObjectAlarm(stub);
      expect(await w.alarmOf(stub), "no alarm once nothing is left and the lease is over").toBeNull();
      expect(await runDurableObjectAlarm(stub)).toBe(false);
    }
  }, 30_000);

  it("rolls forward a committed transaction whose coordinator died before resolving: the acceptors' versions move, watchers are hinted", async () => {
    const w = await sweepWorld();
    const keys = ["orders/1", "orders/2", "orders/3"];
    for (const key of keys) expect((await w.proposer.registers.change(key, write(enc("old"), "text/plain"))).kind).toBe("applied");
    const before = await w.proposer.scanVersions("orders/");
    expect(before.kind === "scanned" && keys.map((k) => before.versions.get(k))).toEqual([1, 1, 1]);
    await w.deadAt("committed", "dead2", puts(keys, "new"));

    // Committed, but the versions a prefix watch follows have not moved: no watcher would see the transaction yet.
    const stuck = await w.proposer.scanVersions("orders/");
    expect(stuck.kind === "scanned" && keys.map((k) => stuck.versions.get(k))).toEqual([1, 1, 1]);
    // A watcher of orders/1 in another isolate, listening at the key's hub: the sweeper's resolution hints it.
    const hints: number[] = [];
    const unsubscribe = hubHints(w.vars.WATCH_HUB, w.config.cluster).subscribe("orders/1", (version) => hints.push(version));
    const hub = hubStub(w.vars.WATCH_HUB, w.config.cluster, "orders/1");
    for (let i = 0; i < 100 && (await hub.watchers()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await hub.watchers()).toBeGreaterThan(0);
    const groups = [...new Set(keys.map(w.groupOf))];
    const reports = await Promise.all(groups.map((g) => intentSweeperStub(w.vars.INTENT_SWEEPER, w.config, g).sweepNow(intentSweeperSettings(w.config, g))));
    expect(reports.reduce((n, r) => n + r.resolved, 0)).toBe(keys.length);
    expect(reports.every((r) => r.pending === 0 && r.failed === 0 && !r.unreachable)).toBe(true);

    for (let i = 0; i < 100 && hints.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hints).toEqual([2]);
    unsubscribe();
    const after = await w.proposer.scanVersions("orders/");
    expect(after.kind === "scanned" && keys.map((k) => after.versions.get(k))).toEqual([2, 2, 2]);
    for (const key of keys) {
      const read = await w.proposer.registers.read(key);
      expect(read.kind === "applied" && [read.state?.version, dec(read.state?.value), read.state?.intent]).toEqual([2, "new", undefined]);
    }
  }, 30_000);

  it("by its own alarms: a committed transaction within about a period, an abandoned one within staleMs and a period", async () => {
    const w = await sweepWorld();
    const period = 1000; // sweepPeriodMs(1500): max(1 s, staleMs / 2)
    const keys = { committed: ["timed/c1", "timed/c2"], pending: ["timed/p1", "timed/p2"] };
    for (const key of [...keys.committed, ...keys.pending]) expect((await w.proposer.registers.change(key, write(enc("0"), "text/plain"))).kind).toBe("applied");
    const started = Date.now();
    await Promise.all([w.deadAt("committed", "timed-c", puts(keys.committed, "1")), w.deadAt("prepared", "timed-p", puts(keys.pending, "1"))]);
    const placed = Date.now() - started;
    // Nothing drives the sweepers here but the alarms the wakes set: poll the acceptors until the intents are gone.
    const goneAfter = async (key: string) => {
      for (;;) {
        const rows = await w.rows(key);
        if (rows.filter((slot) => slot !== null && slot.state?.intent === undefined).length >= 2) return Date.now() - started;
        if (Date.now() - started > 15_000) return Infinity;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    const committed = Math.max(...(await Promise.all(keys.committed.map(goneAfter))));
    const pending = Math.max(...(await Promise.all(keys.pending.map(goneAfter))));
    console.log(JSON.stringify({ msg: "intent sweep by alarms", staleMs: STALE_MS, periodMs: period, placedMs: placed, committedGoneMs: committed, abandonedGoneMs: pending }));
    // A wake sets the alarm a period after the placement; a sweep then rolls a committed transaction forward, and aborts
    // one pending since staleMs (the sweep after it turned stale). Slack: a few proposer rounds on a busy test machine.
    expect(committed).toBeLessThan(placed + period + 2000);
    expect(pending).toBeLessThan(STALE_MS + period + 2000);
    for (const key of keys.committed) {
      const read = await w.proposer.registers.read(key);
      expect(read.kind === "applied" && [read.state?.version, dec(read.state?.value)]).toEqual([2, "1"]);
    }
  }, 30_000);

  it("is armed by the Worker when a request meets an intent, and never by requests that meet none", async () => {
    const w = await sweepWorld();
    const app = serve(w.vars);
    const fetch = (path: string, init?: RequestInit) => app(new Request(BASE + path, init));
    expect((await fetch(keyPath("plain/x"), { method: "PUT", body: "1" })).status).toBe(201);
    expect((await fetch(keyPath("plain/x"))).status).toBe(200);
    expect(await w.alarmOf(w.sweeper("plain/x"))).toBeNull();

    // An intent left on a key by a coordinator that never woke anyone (straight through the proposer).
    const raw = w.proposer.registers;
    await new Promise<void>((resolve) => {
      const checkpoint = (s: TxnStep) => (s === "prepared" ? (resolve(), new Promise<void>(() => {})) : Promise.resolve());
      void runTransaction({ registers: raw, reads: raw, clock: systemClock, checkpoint }, { staleMs: STALE_MS, lockWaitMs: 100, pollMs: 5, readDeadlineMs: 1000 }, "dead3", puts(["held/y"], "2"));
    });
    expect(await w.alarmOf(w.sweeper("held/y"))).toBeNull();
    // A GET meets it (and answers the state before: the transaction is pending): the Worker wakes the sweeper.
    expect((await fetch(keyPath("held/y"))).status).toBe(404);
    for (let i = 0; i < 50 && (await w.alarmOf(w.sweeper("held/y"))) === null; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await w.alarmOf(w.sweeper("held/y"))).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, STALE_MS));
    await runDurableObjectAlarm(w.sweeper("held/y"));
    expect((await w.rows("held/y")).filter((slot) => slot !== null && slot.state?.intent === undefined).length).toBeGreaterThanOrEqual(2);
  }, 30_000);
});
