/**
 * Accounting for the benchmark's "why" analysis (never used in timed runs): wraps an acceptor class so every object
 * counts its RPC calls, messages, SQL statements, commits (calls that wrote) and approximate payload bytes.
 * Nothing in src/ is changed: the wrapper subclasses the exported class and hands it a counting view of ctx.
 */

export interface Counts {
  calls: number;
  messages: number;
  sqlReads: number;
  sqlWrites: number;
  commits: number;
  bytesIn: number;
  bytesOut: number;
}

export function emptyCounts(): Counts {
  return { calls: 0, messages: 0, sqlReads: 0, sqlWrites: 0, commits: 0, bytesIn: 0, bytesOut: 0 };
}

/** The size of a message as JSON with byte arrays counted at their length: an estimate of the RPC payload. */
export function payloadBytes(value: unknown): number {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? "#".repeat(v.byteLength) : v instanceof ArrayBuffer ? "#".repeat(v.byteLength) : v)).length;
}

/** A view of ctx whose `storage.sql.exec` counts statements into `counts`. */
export function countingCtx(ctx: DurableObjectState, counts: Counts): DurableObjectState {
  const sql = ctx.storage.sql;
  const countingSql = {
    exec(query: string, ...bindings: unknown[]) {
      if (/^\s*(SELECT)/i.test(query)) counts.sqlReads++;
      else if (!/^\s*CREATE/i.test(query)) counts.sqlWrites++;
      return sql.exec(query, ...(bindings as SqlStorageValue[]));
    },
    get databaseSize() {
      return sql.databaseSize;
    },
  };
  const storage = new Proxy(ctx.storage, {
    get(target, prop) {
      if (prop === "sql") return countingSql;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return new Proxy(ctx, {
    get(target, prop) {
      if (prop === "storage") return storage;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
