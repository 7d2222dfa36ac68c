import type { Ballot } from "../core/ballot.js";
import type { Slot, SlotStore } from "../core/acceptor.js";
import type { LineageEntry, Register } from "../core/register.js";

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
};

/**
 * The acceptor's slots as rows of one SQLite table, one row per key. Each write is a synchronous statement; the
 * Durable Object's output gate holds the reply until the transaction is durable, so an answer implies the write
 * survived.
 */
export class SqliteSlotStore implements SlotStore {
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
        version, tombstone, value, content_type, origin, lineage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  }

  /** Every key's row, for the admin view of one key across acceptors. */
  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM slots").one().n;
  }
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
  };
}

/**
 * Lineage as compact text, `version origin` pairs joined by newlines: cheaper to write and parse than JSON on every
 * acceptor read and write (origins are proposer-made ids without whitespace).
 */
export function encodeLineage(lineage: readonly LineageEntry[]): string {
  return lineage.map((e) => `${e.version} ${e.origin}`).join("\n");
}

export function decodeLineage(text: string): LineageEntry[] {
  if (text === "") return [];
  return text.split("\n").map((line) => {
    const space = line.indexOf(" ");
    return { version: Number(line.slice(0, space)), origin: line.slice(space + 1) };
  });
}
