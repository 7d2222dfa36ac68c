/**
 * Accounting for the benchmark's "why" analysis (never used in timed runs): wraps an acceptor class so every object
 * counts its RPC calls, messages, SQL statements, commits (calls that wrote) and approximate payload bytes.
 * Nothing in src/ is changed: the wrapper subclasses the exported class and swaps a counting `sql` into its store.
 */
import type { DurableObject } from "cloudflare:workers";

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

/**
 * A stand-in for `ctx.storage.sql` that counts statements into `counts`. (A Proxy of ctx itself is refused by the
 * DurableObject base class, so the wrappers swap this in where the acceptor keeps its `sql`.)
 */
export function countingSql(sql: SqlStorage, counts: Counts): SqlStorage {
  const wrapper = {
    exec(query: string, ...bindings: unknown[]) {
      if (/^\s*SELECT/i.test(query)) counts.sqlReads++;
      else if (!/^\s*CREATE/i.test(query)) counts.sqlWrites++;
      return sql.exec(query, ...(bindings as SqlStorageValue[]));
    },
    get databaseSize() {
      return sql.databaseSize;
    },
  };
  return wrapper as unknown as SqlStorage;
}

/** Runs one acceptor call and counts it: the call, its messages, a commit if it wrote, and payload bytes both ways. */
export function countCall<R>(counts: Counts, layout: string, requests: readonly unknown[], handle: () => R): R {
  const writesBefore = counts.sqlWrites;
  counts.calls++;
  counts.messages += requests.length;
  counts.bytesIn += payloadBytes([layout, requests]);
  const replies = handle();
  if (counts.sqlWrites > writesBefore) counts.commits++;
  counts.bytesOut += payloadBytes(replies);
  return replies;
}

/** The stats a counting acceptor reports, optionally starting over. */
export function takeCounts(counts: Counts, reset: boolean): Counts {
  const out = { ...counts };
  if (reset) Object.assign(counts, emptyCounts());
  return out;
}

/** An acceptor class with the counting wrapper: what `/__bench/stats` reads from every object. */
export type CountingAcceptor = DurableObject & { benchStats(reset: boolean): Counts };

export interface CountingEnv<A extends CountingAcceptor> {
  ACCEPTOR: DurableObjectNamespace<A>;
  BALLOT_ACCEPTORS?: string;
  BALLOT_CLUSTER?: string;
}

/**
 * The counts of the first layout's acceptor objects (16 groups x N, the names of the 16 shards from before layouts),
 * summed; `reset` zeroes them after reading. The benchmark never changes the layout, so these are all the data objects;
 * the root group (the layout's register) is read once per isolate and not counted.
 */
export async function sumCounts<A extends CountingAcceptor>(env: CountingEnv<A>, reset: boolean): Promise<Counts> {
  const total = emptyCounts();
  const n = Number(env.BALLOT_ACCEPTORS ?? "3");
  const cluster = env.BALLOT_CLUSTER ?? "main";
  for (let s = 0; s < 16; s++) {
    for (let i = 0; i < n; i++) {
      const stub = env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`${cluster}/shard-${s}/acceptor-${i}`)) as unknown as {
        benchStats(reset: boolean): Promise<Counts>;
      };
      const c = await stub.benchStats(reset);
      for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += c[k];
    }
  }
  return total;
}
