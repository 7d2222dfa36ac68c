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
});
