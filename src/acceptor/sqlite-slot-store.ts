import { compareBallots, maxBallot, type Ballot } from "../core/ballot.js";
import { NO_FLOOR, type Floor, type KeyVersion, type Slot, type SlotStore } from "../core/acceptor.js";
import { keyHash } from "../core/key-hash.js";
import { compareKeys, prefixEnd } from "../core/listing/key-order.js";
import type { LineageEntry, Register } from "../core/register.js";
import { decodeIntent, encodeIntent } from "../core/txn/intent-codec.js";

type Row = {
  promised_counter: number | null;
  promised_proposer: string | null;
  accepted_counter: number | null;
  accepted_proposer: string | null;
  version: number | null;
  tombstone: number | null;
  value: ArrayBuffer | null;
  content_type: string | null;
  origin: string | null;
  lineage: string | null;
  /** A multi-key transaction's intent (src/core/txn/intent-codec.ts); null for none. Added after lineage. */
  intent?: string | null;
  /** Invisible changes since `version` (RegisterState.hidden); null for 0. Added after lineage. */
  hidden?: number | null;
};

/**
 * Forgotten (garbage-collected) keys share a floor per bucket: 64 rows at most per acceptor object, whatever the number
 * of deleted keys. More buckets would mean smaller version jumps for recreated keys and more rows; the bucket takes
 * the hash's high bits, as the shard takes its low ones. Never change it for existing data.
 */
export const FLOOR_BUCKETS = 64;

export function floorBucketOf(key: string): number {
  return (keyHash(key) >>> 16) % FLOOR_BUCKETS;
}

/** A deleted key waiting for garbage collection, as listed by `tombstones`. */
export interface TombstoneRow {
  readonly key: string;
  /** Counter of the ballot the tombstone was accepted at (proposers take it from their clock: about when, in ms). */
  readonly acceptedCounter: number | null;
}

/**
 * The acceptor's slots as rows of one SQLite table, one row per key. Each write is a synchronous statement; the
 * Durable Object's output gate holds the reply until the transaction is durable, so an answer implies the write
 * survived.
 */
export class SqliteSlotStore implements SlotStore {
  /**
   * Every bucket's floor, read once when the object starts (at most FLOOR_BUCKETS rows): a key without a row is looked
   * up on every first write, and only this object writes floors, so memory stays true until it restarts.
   */
  private readonly floors = new Map<number, Floor>();
  /**
   * The lowest epoch served per vshard (absent: 0), read once when the object starts (at most 4096 rows, and only for
   * vshards a reconfiguration touched): every message checks it, and only this object writes it.
   */
  private readonly epochs = new Map<number, number>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS slots (
      key TEXT PRIMARY KEY,
      promised_counter INTEGER, promised_proposer TEXT,
      accepted_counter INTEGER, accepted_proposer TEXT,
      version INTEGER, tombstone INTEGER, value BLOB, content_type TEXT, origin TEXT, lineage TEXT
    ) WITHOUT ROWID`);
    // Tables made before the lineage column existed get it added (it is optional in the register).
    const columns = sql.exec<{ name: string }>("PRAGMA table_info(slots)").toArray();
    if (!columns.some((c) => c.name === "lineage")) sql.exec("ALTER TABLE slots ADD COLUMN lineage TEXT");
    // Likewise the transactions' intents (issue 23): rows from before read as holding none.
    if (!columns.some((c) => c.name === "intent")) sql.exec("ALTER TABLE slots ADD COLUMN intent TEXT");
    if (!columns.some((c) => c.name === "hidden")) sql.exec("ALTER TABLE slots ADD COLUMN hidden INTEGER");
    // Deleted keys for the collector to find, oldest first; only tombstones are indexed, live rows pay nothing.
    sql.exec("CREATE INDEX IF NOT EXISTS slots_tombstones ON slots (accepted_counter) WHERE tombstone = 1");
    // Keys holding a transaction's intent, for the background sweep (keysWithIntents). Partial, after the ALTER
    // above on an old table: a row without an intent (almost all of them, almost always) is not in it and pays no
    // index write; the sweep's page reads only the few rows that are.
    sql.exec("CREATE INDEX IF NOT EXISTS slots_intents ON slots (key) WHERE intent IS NOT NULL");
    sql.exec(`CREATE TABLE IF NOT EXISTS floors (
      bucket INTEGER PRIMARY KEY, ballot_counter INTEGER, ballot_proposer TEXT, version INTEGER NOT NULL
    )`);
    const rows = sql.exec<{ bucket: number; ballot_counter: number | null; ballot_proposer: string | null; version: number }>(
      "SELECT bucket, ballot_counter, ballot_proposer, version FROM floors",
    );
    for (const row of rows) this.floors.set(row.bucket, { ballot: ballot(row.ballot_counter, row.ballot_proposer), version: row.version });
    // Epochs (issue 19). A new table, so an object made before epochs keeps its rows as they are: with no row here,
    // every vshard serves from epoch 0, which is what proposers from before epochs send.
    sql.exec("CREATE TABLE IF NOT EXISTS epochs (vshard INTEGER PRIMARY KEY, min_epoch INTEGER NOT NULL)");
    for (const row of sql.exec<{ vshard: number; min_epoch: number }>("SELECT vshard, min_epoch FROM epochs")) {
      this.epochs.set(row.vshard, row.min_epoch);
    }
  }

  read(key: string): Slot | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM slots WHERE key = ?", key).toArray()[0];
    if (row === undefined) return undefined;
    return {
      promised: ballot(row.promised_counter, row.promised_proposer),
      accepted: ballot(row.accepted_counter, row.accepted_proposer),
      state: register(row),
    };
  }

  write(key: string, slot: Slot): void {
    const s = slot.state;
    this.sql.exec(
      `INSERT OR REPLACE INTO slots (key, promised_counter, promised_proposer, accepted_counter, accepted_proposer,
        version, tombstone, value, content_type, origin, lineage, intent, hidden) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      key,
      slot.promised?.counter ?? null,
      slot.promised?.proposer ?? null,
      slot.accepted?.counter ?? null,
      slot.accepted?.proposer ?? null,
      s?.version ?? null,
      s === null ? null : s.value === null ? 1 : 0,
      s?.value ?? null,
      s?.contentType ?? null,
      s?.origin ?? null,
      s?.lineage === undefined ? null : encodeLineage(s.lineage),
      s?.intent === undefined ? null : encodeIntent(s.intent),
      s?.hidden ?? null,
    );
  }

  floor(key: string): Floor {
    return higherFloor(this.floors.get(floorBucketOf(key)) ?? NO_FLOOR, this.floors.get(BASE_FLOOR) ?? NO_FLOOR);
  }

  minEpoch(vshard: number): number {
    return this.epochs.get(vshard) ?? 0;
  }

  highestEpoch(): number {
    let highest = 0;
    for (const epoch of this.epochs.values()) highest = Math.max(highest, epoch);
    return highest;
  }

  install(vshards: readonly number[], epoch: number, floor: Floor): void {
    for (const vshard of vshards) {
      if (this.minEpoch(vshard) >= epoch) continue;
      this.sql.exec("INSERT OR REPLACE INTO epochs (vshard, min_epoch) VALUES (?, ?)", vshard, epoch);
      this.epochs.set(vshard, epoch);
    }
    this.raiseFloor(BASE_FLOOR, floor);
  }

  keysAfter(after: string | null, limit: number): readonly string[] {
    const rows =
      after === null
        ? this.sql.exec<{ key: string }>("SELECT key FROM slots ORDER BY key LIMIT ?", limit)
        : this.sql.exec<{ key: string }>("SELECT key FROM slots WHERE key > ? ORDER BY key LIMIT ?", after, limit);
    return rows.toArray().map((r) => r.key);
  }

  keysUnder(prefix: string, after: string | null, limit: number): readonly KeyVersion[] {
    // One range over the primary key: [prefix, prefixEnd) cut below by `after`. SQLite compares TEXT by its UTF-8
    // bytes (BINARY collation), the order compareKeys defines.
    const [low, lowOp] = after !== null && compareKeys(after, prefix) >= 0 ? [after, ">"] : [prefix, ">="];
    const end = prefixEnd(prefix);
    const rows =
      end === null
        ? this.sql.exec<{ key: string; version: number | null }>(`SELECT key, version FROM slots WHERE key ${lowOp} ? ORDER BY key LIMIT ?`, low, limit)
        : this.sql.exec<{ key: string; version: number | null }>(`SELECT key, version FROM slots WHERE key ${lowOp} ? AND key < ? ORDER BY key LIMIT ?`, low, end, limit);
    return rows.toArray().map((r) => ({ key: r.key, version: r.version ?? 0 }));
  }

  highestFloor(): Floor {
    return [...this.floors.values()].reduce(higherFloor, NO_FLOOR);
  }

  keysWithIntents(after: string | null, limit: number): readonly string[] {
    // The condition repeats the partial index's, so SQLite answers from slots_intents alone.
    const rows =
      after === null
        ? this.sql.exec<{ key: string }>("SELECT key FROM slots WHERE intent IS NOT NULL ORDER BY key LIMIT ?", limit)
        : this.sql.exec<{ key: string }>("SELECT key FROM slots WHERE intent IS NOT NULL AND key > ? ORDER BY key LIMIT ?", after, limit);
    return rows.toArray().map((r) => r.key);
  }

  remove(key: string, floor: Floor): void {
    this.sql.exec("DELETE FROM slots WHERE key = ?", key);
    this.raiseFloor(floorBucketOf(key), floor);
  }

  private raiseFloor(bucket: number, floor: Floor): void {
    const old = this.floors.get(bucket) ?? NO_FLOOR;
    const raised = higherFloor(old, floor);
    if (compareBallots(raised.ballot, old.ballot) === 0 && raised.version === old.version && this.floors.has(bucket)) return;
    if (raised.ballot === null && raised.version === 0) return;
    this.sql.exec(
      "INSERT OR REPLACE INTO floors (bucket, ballot_counter, ballot_proposer, version) VALUES (?, ?, ?, ?)",
      bucket,
      raised.ballot?.counter ?? null,
      raised.ballot?.proposer ?? null,
      raised.version,
    );
    this.floors.set(bucket, raised);
  }

  /** Tombstones, oldest accepted ballot first, for the collector. Reads only. */
  tombstones(limit: number): TombstoneRow[] {
    return this.sql
      .exec<{ key: string; accepted_counter: number | null }>(
        "SELECT key, accepted_counter FROM slots WHERE tombstone = 1 ORDER BY accepted_counter LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ key: r.key, acceptedCounter: r.accepted_counter }));
  }

  /** Rows of the slots and floors tables, for the storage stats of the admin view and tests. */
  counts(): { slots: number; tombstones: number; floors: number } {
    const n = (query: string) => this.sql.exec<{ n: number }>(query).one().n;
    return {
      slots: n("SELECT count(*) AS n FROM slots"),
      tombstones: n("SELECT count(*) AS n FROM slots WHERE tombstone = 1"),
      floors: n("SELECT count(*) AS n FROM floors"),
    };
  }
}

/** The floors table's row for the floor every bucket has at least: raised when a moved vshard's floors arrive. */
const BASE_FLOOR = -1;

function higherFloor(a: Floor, b: Floor): Floor {
  return { ballot: maxBallot(a.ballot, b.ballot), version: Math.max(a.version, b.version) };
}

function ballot(counter: number | null, proposer: string | null): Ballot | null {
  return counter === null || proposer === null ? null : { counter, proposer };
}

function register(row: Row): Register {
  if (row.version === null) return null;
  return {
    version: row.version,
    value: row.tombstone === 1 ? null : new Uint8Array(row.value ?? new ArrayBuffer(0)),
    contentType: row.content_type ?? "",
    origin: row.origin ?? "",
    ...(row.lineage === null ? {} : { lineage: decodeLineage(row.lineage) }),
    ...(row.intent === null || row.intent === undefined ? {} : { intent: decodeIntent(row.intent) }),
    ...(row.hidden === null || row.hidden === undefined || row.hidden === 0 ? {} : { hidden: row.hidden }),
  };
}

/**
 * Lineage as compact text, `version origin` pairs joined by newlines: cheaper to write and parse than JSON on every
 * acceptor read and write (origins are proposer-made ids without whitespace). An entry with hidden changes (see
 * RegisterState.hidden) writes its version as `version+hidden`; rows from before read as they always did.
 */
export function encodeLineage(lineage: readonly LineageEntry[]): string {
  return lineage.map((e) => `${e.version}${e.hidden ? `+${e.hidden}` : ""} ${e.origin}`).join("\n");
}

export function decodeLineage(text: string): LineageEntry[] {
  if (text === "") return [];
  return text.split("\n").map((line) => {
    const space = line.indexOf(" ");
    const [version, hidden] = line.slice(0, space).split("+");
    const origin = line.slice(space + 1);
    return hidden === undefined ? { version: Number(version), origin } : { version: Number(version), origin, hidden: Number(hidden) };
  });
}
