import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleRequest } from "../../src/core/acceptor.js";
import { vshardOf } from "../../src/core/layout/vshard.js";
import { SqliteSlotStore } from "../../src/acceptor/sqlite-slot-store.js";
import type { Acceptor } from "../../src/acceptor/acceptor-object.js";

const ballot = { counter: 5, proposer: "p" };

/** A fresh acceptor object of its own, to run the SQLite store on its storage. */
function freshObject(): DurableObjectStub<Acceptor> {
  const ns = (env as unknown as { ACCEPTOR: DurableObjectNamespace<Acceptor> }).ACCEPTOR;
  return ns.get(ns.idFromName(`epoch-store-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`));
}

describe("SQLite slot store: epochs (issue 19)", () => {
  it("keeps the rows of a table made before epochs, serves them at epoch 0, and keeps an install across restarts", async () => {
    await runInDurableObject(freshObject(), (_instance, state) => {
      const sql = state.storage.sql;
      // The object's constructor made today's tables: put back the schema from before epochs (and before lineage),
      // with a row written by an older version of the code.
      for (const table of ["slots", "floors", "epochs"]) sql.exec(`DROP TABLE IF EXISTS ${table}`);
      sql.exec(`CREATE TABLE slots (key TEXT PRIMARY KEY, promised_counter INTEGER, promised_proposer TEXT,
        accepted_counter INTEGER, accepted_proposer TEXT, version INTEGER, tombstone INTEGER, value BLOB,
        content_type TEXT, origin TEXT) WITHOUT ROWID`);
      sql.exec("INSERT INTO slots VALUES ('old', NULL, NULL, 5, 'p', 3, 0, X'6869', 'text/plain', 'o3')");

      const store = new SqliteSlotStore(sql);
      const v = vshardOf("old");
      expect(store.minEpoch(v)).toBe(0);
      // A proposer from before epochs (no epoch) and one of the legacy layout (epoch 1) both read the old row.
      for (const epoch of [undefined, 1]) {
        const reply = handleRequest(store, { type: "peek", key: "old", ...(epoch === undefined ? {} : { epoch }) });
        expect(reply).toMatchObject({ type: "peeked", accepted: ballot, state: { version: 3, origin: "o3" } });
      }
      expect(handleRequest(store, { type: "install", vshards: [v], epoch: 2, floor: { ballot: null, version: 9 } })).toEqual({ type: "installed" });

      // A restart reads the epochs and floors back from storage.
      const restarted = new SqliteSlotStore(sql);
      expect(restarted.minEpoch(v)).toBe(2);
      expect(handleRequest(restarted, { type: "peek", key: "old", epoch: 1 })).toEqual({ type: "stale", epoch: 2 });
      expect(handleRequest(restarted, { type: "peek", key: "never-written", epoch: 2 })).toMatchObject({ state: { version: 9, value: null } });
      expect(restarted.highestFloor()).toEqual({ ballot: null, version: 9 });
      expect(restarted.keysAfter(null, 10)).toEqual(["old"]);
      expect(restarted.keysAfter("old", 10)).toEqual([]);
    });
  });
});
