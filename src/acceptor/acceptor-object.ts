import { DurableObject } from "cloudflare:workers";
import { handleRequest, type Slot } from "../core/acceptor.js";
import type { AcceptorReply, AcceptorRequest } from "../core/messages.js";
import { SqliteSlotStore, type TombstoneRow } from "./sqlite-slot-store.js";

/**
 * One acceptor of one shard: a thin adapter that runs the core acceptor rules over SQLite rows. A call carries a
 * batch of requests and handles them in one synchronous turn, so they commit together in one durable write; the
 * output gate holds the reply until that write is durable (never `allowUnconfirmed`).
 */
export class Acceptor extends DurableObject<object> {
  private readonly store: SqliteSlotStore;
  private layout: string | undefined;
  /** Identifies this in-memory instance (not stored): it changes when the object restarts. For the dev admin. */
  private readonly instanceId = crypto.randomUUID();

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.store = new SqliteSlotStore(ctx.storage.sql);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /**
   * The root group's calls (and those of a proposer from before layouts): checked against the layout string the
   * object was created with, so a Worker with another BALLOT_ACCEPTORS is refused instead of forming quorums that do
   * not intersect.
   */
  handle(layout: string, requests: AcceptorRequest[]): AcceptorReply[] {
    this.checkLayout(layout);
    return requests.map((request) => handleRequest(this.store, request));
  }

  /**
   * A call placed by the layout (src/core/routing): the group it names is the layout's, and the epoch each message
   * carries is what fences it (an object refuses an epoch older than the lowest it serves for the key's vshard).
   */
  call(requests: AcceptorRequest[]): AcceptorReply[] {
    return requests.map((request) => handleRequest(this.store, request));
  }

  /**
   * Health probe (`GET /v1/health`): answers the layout this acceptor was created for (null before its first use).
   * Reads one row, writes nothing.
   */
  ping(): { layout: string | null } {
    if (this.layout !== undefined) return { layout: this.layout };
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE name = 'layout'").toArray()[0];
    return { layout: row?.value ?? null };
  }

  /** Deleted keys for the collector (src/collector), oldest first. Reads only. */
  tombstones(layout: string | null, limit: number): TombstoneRow[] {
    if (layout !== null) this.checkLayout(layout);
    return this.store.tombstones(limit);
  }

  /** Row counts and the database size in bytes, for the admin view and the garbage-collection tests. Reads only. */
  storage(): { slots: number; tombstones: number; floors: number; bytes: number } {
    return { ...this.store.counts(), bytes: this.ctx.storage.sql.databaseSize };
  }

  /** The raw slot of a key, for the admin view. Reads only. */
  inspect(key: string): Slot | null {
    return this.store.read(key) ?? null;
  }

  /** Dev admin only: the id of this in-memory instance; a restart changes it. */
  instance(): string {
    return this.instanceId;
  }

  /**
   * Dev admin only: restarts this object (in-memory state such as the cached layout is lost, storage is kept).
   * `ctx.abort()` throws, so the caller's call rejects; that is the expected answer.
   */
  restart(): void {
    this.ctx.abort("restart requested by the dev admin API");
  }

  /**
   * An acceptor refuses proposers of another layout (another N or shard count): their quorums would not intersect
   * with the ones that wrote its data, which silently breaks consistency. Remembered on first use.
   */
  private checkLayout(layout: string): void {
    if (this.layout === layout) return;
    const sql = this.ctx.storage.sql;
    const stored = sql.exec<{ value: string }>("SELECT value FROM meta WHERE name = 'layout'").toArray()[0]?.value;
    if (stored === undefined) sql.exec("INSERT INTO meta (name, value) VALUES ('layout', ?)", layout);
    else if (stored !== layout) throw new Error(`layout mismatch: acceptor has "${stored}", proposer uses "${layout}"`);
    this.layout = layout;
  }
}
