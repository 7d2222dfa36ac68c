/**
 * The baseline of the benchmark: the obvious alternative to Ballot, one SQLite-backed Durable Object per key holding
 * the value (consistent, one location, no tolerance of its loss). Same HTTP contract as Ballot for the routes the
 * benchmark measures (bench/common/http.ts). Every change is one RPC and one durable SQLite commit; a read is one
 * RPC and one SELECT (no in-memory cache, like Ballot's acceptors).
 */
import { DurableObject } from "cloudflare:workers";
import { applyChange, serve, type Backend, type Change, type Result, type State } from "../common/http.js";

interface Env {
  REGISTER: DurableObjectNamespace<Register>;
}

type Row = { version: number; value: ArrayBuffer | null; content_type: string };

export class Register extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS register (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, value BLOB, content_type TEXT NOT NULL)");
  }

  private load(): State | null {
    const row = this.sql.exec<Row>("SELECT version, value, content_type FROM register WHERE id = 0").toArray()[0];
    return row === undefined ? null : { version: row.version, value: row.value, contentType: row.content_type };
  }

  read(): State | null {
    return this.load();
  }

  change(change: Change): Result {
    const result = applyChange(this.load(), change);
    if (result.kind === "applied") {
      const s = result.state;
      this.sql.exec("INSERT OR REPLACE INTO register (id, version, value, content_type) VALUES (0, ?, ?, ?)", s.version, s.value, s.contentType);
    }
    return result;
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const stub = (key: string) => env.REGISTER.get(env.REGISTER.idFromName(key));
    const backend: Backend = {
      async read(key) {
        return { state: (await stub(key).read()) as State | null };
      },
      async change(key, change) {
        return (await stub(key).change(change)) as Result;
      },
    };
    return serve(request, backend);
  },
} satisfies ExportedHandler<Env>;
