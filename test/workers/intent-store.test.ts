import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleRequest } from "../../src/core/acceptor.js";
import { SqliteSlotStore } from "../../src/acceptor/sqlite-slot-store.js";
import type { Acceptor } from "../../src/acceptor/acceptor-object.js";
import type { RegisterState } from "../../src/core/register.js";

function freshObject(): DurableObjectStub<Acceptor> {
  const ns = (env as unknown as { ACCEPTOR: DurableObjectNamespace<Acceptor> }).ACCEPTOR;
  return ns.get(ns.idFromName(`intent-store-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`));
}

describe("SQLite slot store: transactions' intents (issue 23)", () => {
  it("adds the intent and hidden columns to a table made before them, reads old rows, and round-trips an intent", async () => {
    await runInDurableObject(freshObject(), (_instance, state) => {
      const sql = state.storage.sql;
      // The schema from before intents (with lineage), and a row written by that code.
      sql.exec("DROP TABLE IF EXISTS slots");
      sql.exec(`CREATE TABLE slots (key TEXT PRIMARY KEY, promised_counter INTEGER, promised_proposer TEXT,
        accepted_counter INTEGER, accepted_proposer TEXT, version INTEGER, tombstone INTEGER, value BLOB,
        content_type TEXT, origin TEXT, lineage TEXT) WITHOUT ROWID`);
      sql.exec("INSERT INTO slots VALUES ('old', NULL, NULL, 5, 'p', 3, 0, X'6869', 'text/plain', 'o3', '3 o3')");

      const store = new SqliteSlotStore(sql);
      const old = handleRequest(store, { type: "peek", key: "old" });
      expect(old).toMatchObject({ type: "peeked", state: { version: 3, origin: "o3" } });
      expect((old as { state: RegisterState }).state.intent).toBeUndefined();
      expect((old as { state: RegisterState }).state.hidden).toBeUndefined();

      const withIntent: RegisterState = {
        version: 3,
        value: new Uint8Array([104, 105]),
        contentType: "text/plain",
        origin: "o3",
        hidden: 1,
        lineage: [{ origin: "q:1", version: 3, hidden: 1 }, { origin: "o3", version: 3 }],
        intent: { txn: "t1", record: "\u0001txn:t1", startedAt: 17, success: { kind: "put", value: new Uint8Array([0, 255, 7]), contentType: "x/y" }, failure: { kind: "delete" } },
      };
      expect(handleRequest(store, { type: "accept", key: "old", ballot: { counter: 6, proposer: "q" }, state: withIntent })).toEqual({ type: "accepted" });
      const restarted = new SqliteSlotStore(sql);
      expect(restarted.read("old")?.state).toEqual(withIntent);
      // A tombstone holding an intent is not garbage: forget refuses it.
      const tomb: RegisterState = { version: 4, value: null, contentType: "", origin: "o4", intent: { ...withIntent.intent!, failure: { kind: "keep" } } };
      handleRequest(restarted, { type: "accept", key: "gone", ballot: { counter: 7, proposer: "q" }, state: tomb });
      expect(handleRequest(restarted, { type: "forget", key: "gone", ballot: { counter: 7, proposer: "q" } })).toMatchObject({ type: "rejected" });
    });
  });

  it("indexes the keys holding intents (a partial index, made on an old table too) and pages through them", async () => {
    await runInDurableObject(freshObject(), (_instance, state) => {
      const sql = state.storage.sql;
      // A table from before intents, with rows; the store adds the column, then the index over it.
      sql.exec("DROP TABLE IF EXISTS slots");
      sql.exec(`CREATE TABLE slots (key TEXT PRIMARY KEY, promised_counter INTEGER, promised_proposer TEXT,
        accepted_counter INTEGER, accepted_proposer TEXT, version INTEGER, tombstone INTEGER, value BLOB,
        content_type TEXT, origin TEXT, lineage TEXT) WITHOUT ROWID`);
      for (const key of ["b", "d", "f"]) sql.exec("INSERT INTO slots VALUES (?, NULL, NULL, 5, 'p', 3, 0, X'6869', 'text/plain', 'o3', NULL)", key);
      const store = new SqliteSlotStore(sql);
      const index = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'slots_intents'").toArray();
      expect(index.map((r) => r.sql)).toEqual(["CREATE INDEX slots_intents ON slots (key) WHERE intent IS NOT NULL"]);
      expect(handleRequest(store, { type: "intents", after: null, limit: 10 })).toEqual({ type: "intent-keys", keys: [], full: false, epoch: 0 });

      const intent = { txn: "t1", record: "\u0001txn:t1", startedAt: 17, success: { kind: "keep" as const }, failure: { kind: "delete" as const } };
      const state3: RegisterState = { version: 3, value: new Uint8Array([104, 105]), contentType: "text/plain", origin: "o3" };
      for (const key of ["a", "d", "e", "f", "\u{1F600}", "\uFFFD"]) {
        handleRequest(store, { type: "accept", key, ballot: { counter: 6, proposer: "q" }, state: { ...state3, hidden: 1, intent } });
      }
      // Resolved: the row stays, the intent goes, and so does its index entry.
      handleRequest(store, { type: "accept", key: "f", ballot: { counter: 7, proposer: "q" }, state: { ...state3, hidden: 2 } });
      const page = (after: string | null) => handleRequest(store, { type: "intents", after, limit: 2 });
      // UTF-8 byte order, as listings: U+FFFD before U+1F600 (JavaScript's < would put the surrogate pair first).
      expect(page(null)).toEqual({ type: "intent-keys", keys: ["a", "d"], full: true, epoch: 0 });
      expect(page("d")).toEqual({ type: "intent-keys", keys: ["e", "\uFFFD"], full: true, epoch: 0 });
      expect(page("\uFFFD")).toEqual({ type: "intent-keys", keys: ["\u{1F600}"], full: false, epoch: 0 });
      // SQLite answers from the partial index, not by reading every row.
      const plan = sql.exec<{ detail: string }>("EXPLAIN QUERY PLAN SELECT key FROM slots WHERE intent IS NOT NULL AND key > ? ORDER BY key LIMIT ?", "a", 2).toArray();
      expect(plan.map((r) => r.detail).join("; ")).toContain("slots_intents");
    });
  });
});
