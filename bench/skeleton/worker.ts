/**
 * The bare skeleton of the benchmark: exactly Ballot's pattern of Durable Object calls and storage writes, with no
 * protocol logic (no ballot comparisons, no quorum bookkeeping beyond "first majority", no recovery, no timers).
 * It is the floor of Ballot's design; Ballot's distance to it is what Ballot's own code costs.
 *
 * Pattern mirrored from src/ (read it there):
 * - Layout: 16 shards (FNV-1a of the key) x N objects named `{cluster}/shard-{s}/acceptor-{i}`, one SQLite row per key
 *   in a table of the same schema, one RPC per message (`call([request])` in src/), ids cached per isolate and a stub
 *   made per call with the same location hints (src/cluster/named-object-transport.ts). The first layout's groups
 *   are these shards with these names, so the pattern is the same.
 * - Acceptor call: SELECT the key's row, then for a prepare/accept one INSERT OR REPLACE of the full row in the same
 *   synchronous turn (one commit); a peek writes nothing (src/core/acceptor.ts, src/acceptor/).
 * - Read: peeks at a bare majority (starting at a random acceptor; the rest asked if one fails), answered when they
 *   agree; otherwise a full change.
 * - Write: prepare round (N parallel, first majority) then accept round (N parallel, first majority); the accept
 *   carries the next promise, so the next change of the key from this isolate skips the prepare (piggyback cache).
 *   A cached promise older than 1 s is used only after a bare-majority peek shows the key did not move since.
 * - Concurrent changes of one key queue behind the round in flight and go together in the next one (coalescing);
 *   every change, even a refused one, takes an accept round (as Ballot's proposer does). A change finding a key idle
 *   whose round applied several changes within the last 100 ms waits 1 ms before leading (lingering).
 * As in Ballot, a batch is led by one of its own members and waiters poll on a 1 ms timer of their own: workerd
 * cancels a request as hung when it awaits a promise only another request resolves (tried: with a wakeup from the
 * leader, up to 45 of 64 concurrent increments failed that way).
 *
 * Two knobs for "what would the floor be" experiments (off by default; the benchmark's table never sets them), set
 * as vars, e.g. `node bench/profile.mjs write --system skeleton3 --plain --var SKELETON_ACCEPT=majority`:
 * - SKELETON_ACCEPT: `all` (Ballot's pattern), `trailing` (the accept goes to a bare majority and to the others only
 *   once that majority answered), `majority` (a bare majority only: fewer commits, the rest never get it).
 * - SKELETON_PROBE=1: logs, every 2,000 acceptor calls, how many other calls to the same object were in flight
 *   when each was sent (the most a cross-key batcher could merge without making a call wait), and how many of the
 *   poll and linger timers set since fired more than 100 ms late (timers starve while the one thread stays busy).
 */
import { DurableObject } from "cloudflare:workers";
import { applyChange, serve, type Backend, type Change, type Result, type State } from "../common/http.js";

const SHARDS = 16;
const HINTS = ["wnam", "enam", "weur"] as const;
const MAX_BATCH = 256;
/** How often a change waiting behind its key's round checks whether it was answered or may lead (as Ballot). */
const POLL_MS = 1;
const CACHE_SIZE = 10_000;
/** As Ballot's defaults (src/core/proposer.ts): promiseTtlMs, lingerMs, contentionWindowMs. */
const PROMISE_TTL_MS = 1_000;
const LINGER_MS = 1;
const CONTENTION_WINDOW_MS = 100;

interface Env {
  ACCEPTOR: DurableObjectNamespace<SkeletonAcceptor>;
  BALLOT_ACCEPTORS?: string;
  BALLOT_CLUSTER?: string;
  SKELETON_ACCEPT?: string;
  SKELETON_PROBE?: string;
}

type AcceptFanout = "all" | "trailing" | "majority";

/** Calls in flight per acceptor object, what the calls saw when sent, and late timers (SKELETON_PROBE). */
class Probe {
  private readonly inflight = new Map<number, number>();
  private sends = 0;
  private othersSeen = 0;
  private busy = 0;
  private totalSeen = 0;
  private timers = 0;
  private lateTimers = 0;
  private latestTimerMs = 0;

  timer(setMs: number, firedAfterMs: number): void {
    this.timers++;
    if (firedAfterMs > setMs + 100) this.lateTimers++;
    this.latestTimerMs = Math.max(this.latestTimerMs, firedAfterMs);
  }

  sent(slot: number): void {
    const others = this.inflight.get(slot) ?? 0;
    let total = 0;
    for (const v of this.inflight.values()) total += v;
    this.inflight.set(slot, others + 1);
    this.sends++;
    this.othersSeen += others;
    this.totalSeen += total;
    if (others > 0) this.busy++;
    if (this.sends % 2000 === 0) {
      console.log(
        `skeleton: last 2000 calls: ${(this.othersSeen / 2000).toFixed(2)} other calls to the same object in flight on average, ` +
          `${((100 * this.busy) / 2000).toFixed(0)}% found it busy, ${(this.totalSeen / 2000).toFixed(1)} calls in flight in all; ` +
          `${this.lateTimers} of ${this.timers} timers fired over 100 ms late (latest after ${this.latestTimerMs} ms)`,
      );
      this.othersSeen = this.busy = this.totalSeen = this.timers = this.lateTimers = this.latestTimerMs = 0;
    }
  }

  answered(slot: number): void {
    this.inflight.set(slot, (this.inflight.get(slot) ?? 1) - 1);
  }
}

interface Ballot {
  counter: number;
  proposer: string;
}
interface WireState {
  version: number;
  value: Uint8Array | null;
  contentType: string;
  origin: string;
}
type Req =
  | { type: "peek"; key: string }
  | { type: "prepare"; key: string; ballot: Ballot }
  | { type: "accept"; key: string; ballot: Ballot; state: WireState | null; promiseNext?: Ballot };
type Rep =
  | { type: "peeked"; accepted: Ballot | null; state: WireState | null }
  | { type: "promised"; accepted: Ballot | null; state: WireState | null }
  | { type: "accepted" };

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
};

export class SkeletonAcceptor extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private layout: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS slots (
      key TEXT PRIMARY KEY,
      promised_counter INTEGER, promised_proposer TEXT,
      accepted_counter INTEGER, accepted_proposer TEXT,
      version INTEGER, tombstone INTEGER, value BLOB, content_type TEXT, origin TEXT
    ) WITHOUT ROWID`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  handle(layout: string, requests: Req[]): Rep[] {
    if (this.layout !== layout) {
      this.sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('layout', ?)", layout);
      this.layout = layout;
    }
    return requests.map((r) => {
      const row = this.sql.exec<Row>("SELECT * FROM slots WHERE key = ?", r.key).toArray()[0];
      const accepted = row?.accepted_counter != null ? { counter: row.accepted_counter, proposer: row.accepted_proposer ?? "" } : null;
      const state: WireState | null =
        row?.version != null
          ? { version: row.version, value: row.tombstone === 1 ? null : new Uint8Array(row.value ?? new ArrayBuffer(0)), contentType: row.content_type ?? "", origin: row.origin ?? "" }
          : null;
      if (r.type === "peek") return { type: "peeked", accepted, state };
      if (r.type === "prepare") {
        this.write(r.key, r.ballot, accepted, state);
        return { type: "promised", accepted, state };
      }
      this.write(r.key, r.promiseNext ?? null, r.ballot, r.state);
      return { type: "accepted" };
    });
  }

  private write(key: string, promised: Ballot | null, accepted: Ballot | null, s: WireState | null): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO slots (key, promised_counter, promised_proposer, accepted_counter, accepted_proposer,
        version, tombstone, value, content_type, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      key,
      promised?.counter ?? null,
      promised?.proposer ?? null,
      accepted?.counter ?? null,
      accepted?.proposer ?? null,
      s?.version ?? null,
      s === null ? null : s.value === null ? 1 : 0,
      s?.value ?? null,
      s?.contentType ?? null,
      s?.origin ?? null,
    );
  }
}

function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % SHARDS;
}

interface Waiter {
  change: Change;
  result?: Result;
  error?: unknown;
}

interface KeyQueue {
  running: boolean;
  waiting: Waiter[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Skeleton implements Backend {
  private readonly id = crypto.randomUUID();
  private counter = 0;
  private requests = 0;
  private readonly quorum: number;
  private readonly layout: string;
  private readonly cache = new Map<string, { ballot: Ballot; state: WireState | null; since: number; acceptedAt: Ballot }>();
  /** When each key last had a round apply several changes. */
  private readonly contended = new Map<string, number>();
  private readonly queues = new Map<string, KeyQueue>();
  /** Object ids computed once per isolate, a stub made per call (as Ballot's transport). */
  private readonly ids = new Map<number, DurableObjectId>();

  constructor(
    private readonly ns: DurableObjectNamespace<SkeletonAcceptor>,
    private readonly n: number,
    private readonly cluster: string,
    private readonly acceptFanout: AcceptFanout = "all",
    private readonly probe?: Probe,
  ) {
    this.quorum = Math.floor(n / 2) + 1;
    this.layout = `ballot-v1 acceptors=${n} shards=${SHARDS}`;
  }

  private async sleep(ms: number): Promise<void> {
    const t0 = Date.now();
    await sleep(ms);
    this.probe?.timer(ms, Date.now() - t0);
  }

  private ballot(): Ballot {
    return { counter: ++this.counter, proposer: this.id };
  }

  /**
   * N parallel calls, or with `bare` a majority of them (from a random acceptor on) and the rest only if one fails;
   * settles with the first majority of replies. `after` (experiments only): with "trailing" the rest are also called
   * once the majority answered, with "majority" never unless one fails.
   */
  private round(key: string, make: () => Req, bare = false, after: AcceptFanout = "all"): Promise<Rep[]> {
    const shard = shardOf(key);
    const start = bare ? Math.floor(Math.random() * this.n) : 0;
    const order = Array.from({ length: this.n }, (_, i) => (start + i) % this.n);
    let rest = bare || after !== "all" ? order.splice(this.quorum) : [];
    return new Promise((resolve, reject) => {
      const replies: Rep[] = [];
      let failed = 0;
      const call = (i: number) => {
        const slot = shard * 8 + i;
        let id = this.ids.get(slot);
        if (id === undefined) {
          id = this.ns.idFromName(`${this.cluster}/shard-${shard}/acceptor-${i}`);
          this.ids.set(slot, id);
        }
        const hint = HINTS[i];
        const stub = hint === undefined ? this.ns.get(id) : this.ns.get(id, { locationHint: hint });
        this.probe?.sent(slot);
        (stub.handle(this.layout, [make()]) as Promise<Rep[]>).then(
          (r) => {
            this.probe?.answered(slot);
            replies.push(r[0] as Rep);
            if (replies.length === this.quorum) {
              resolve(replies);
              if (after === "trailing") callRest();
            }
          },
          (e) => {
            this.probe?.answered(slot);
            if (++failed > this.n - this.quorum) reject(e);
            callRest();
          },
        );
      };
      const callRest = () => {
        const now = rest;
        rest = [];
        for (const j of now) call(j);
      };
      for (const i of order) call(i);
    });
  }

  /** A bare-majority peek round: the state the peeked acceptors agree on (by accepted ballot), if they do. */
  private async peek(key: string): Promise<Extract<Rep, { type: "peeked" }> | undefined> {
    const replies = (await this.round(key, () => ({ type: "peek", key }), true)) as Extract<Rep, { type: "peeked" }>[];
    const first = replies[0];
    const agree = replies.every((r) => r.accepted?.counter === first?.accepted?.counter && r.accepted?.proposer === first?.accepted?.proposer);
    return agree ? first : undefined;
  }

  async read(key: string): Promise<{ state: State | null; timing?: string }> {
    const t0 = Date.now();
    const agreed = await this.peek(key);
    if (agreed !== undefined) return { state: toState(agreed.state), timing: `rounds;desc="1", peek;dur=${Date.now() - t0}` };
    const r = await this.change(key, { kind: "increment", by: 0 }, true);
    return { state: r.kind === "applied" ? r.state : r.current, timing: r.timing };
  }

  async change(key: string, change: Change, identity = false): Promise<Result> {
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { running: false, waiting: [] };
      this.queues.set(key, q);
    }
    const me: Waiter = { change: identity ? IDENTITY : change };
    q.waiting.push(me);
    let lingered = false;
    for (;;) {
      if (me.result !== undefined) return me.result;
      if (me.error !== undefined) throw me.error;
      if (!q.running) {
        const at = this.contended.get(key);
        if (!lingered && at !== undefined && Date.now() - at <= CONTENTION_WINDOW_MS) {
          lingered = true;
          await this.sleep(LINGER_MS);
          continue;
        }
        await this.lead(key, q);
        continue;
      }
      await this.sleep(POLL_MS);
    }
  }

  /** Runs one batch of the key's waiting changes (led by one of its members) and answers them. */
  private async lead(key: string, q: KeyQueue): Promise<void> {
    q.running = true;
    const batch = q.waiting.splice(0, MAX_BATCH);
    try {
      const results = await this.rounds(key, batch.map((w) => w.change));
      batch.forEach((w, i) => (w.result = results[i] as Result));
      if (results.filter((r) => r.kind === "applied").length >= 2) {
        this.contended.delete(key);
        this.contended.set(key, Date.now());
        if (this.contended.size > CACHE_SIZE) this.contended.delete(this.contended.keys().next().value as string);
      }
    } catch (e) {
      for (const w of batch) w.error = e ?? new Error("round failed");
    }
    q.running = false;
    if (q.waiting.length === 0) this.queues.delete(key);
  }

  private async rounds(key: string, changes: Change[]): Promise<Result[]> {
    const t0 = Date.now();
    let rounds = 1;
    let ballot: Ballot;
    let current: WireState | null;
    let cached = this.cache.get(key);
    if (cached !== undefined) this.cache.delete(key);
    if (cached !== undefined && Date.now() - cached.since > PROMISE_TTL_MS) {
      rounds++;
      const agreed = await this.peek(key);
      const at = cached.acceptedAt;
      if (agreed?.accepted?.counter !== at.counter || agreed?.accepted?.proposer !== at.proposer) cached = undefined;
    }
    if (cached !== undefined) {
      ballot = cached.ballot;
      current = cached.state;
    } else {
      rounds++;
      ballot = this.ballot();
      const b = ballot;
      const replies = (await this.round(key, () => ({ type: "prepare", key, ballot: b }))) as Extract<Rep, { type: "promised" }>[];
      current = null;
      for (const r of replies) if (r.state !== null && (current === null || r.state.version > current.version)) current = r.state;
    }
    const origin = `${this.id}:${++this.requests}`;
    let state: State | null = toState(current);
    const results: Result[] = changes.map((c) => {
      if (c === IDENTITY) return { kind: "applied", state: state as State, previous: state };
      const r = applyChange(state, c);
      if (r.kind === "applied") state = r.state;
      return r;
    });
    const next: WireState | null =
      state === null ? null : { version: state.version, value: state.value === null ? null : new Uint8Array(state.value), contentType: state.contentType, origin };
    const promiseNext = this.ballot();
    const t1 = Date.now();
    await this.round(key, () => ({ type: "accept", key, ballot, state: next, promiseNext }), false, this.acceptFanout);
    this.cache.set(key, { ballot: promiseNext, state: next, since: Date.now(), acceptedAt: ballot });
    if (this.cache.size > CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    const timing =
      cached !== undefined
        ? `rounds;desc="${rounds}", accept;dur=${Date.now() - t1}, piggyback`
        : `rounds;desc="${rounds}", prepare;dur=${t1 - t0}, accept;dur=${Date.now() - t1}`;
    return results.map((r) => ({ ...r, timing }));
  }
}

const IDENTITY: Change = { kind: "increment", by: 0 };

function toState(s: WireState | null): State | null {
  return s === null ? null : { version: s.version, value: s.value, contentType: s.contentType };
}

function acceptFanoutOf(raw: string | undefined): AcceptFanout {
  if (raw === undefined || raw === "all" || raw === "trailing" || raw === "majority") return raw ?? "all";
  throw new Error(`SKELETON_ACCEPT must be all, trailing or majority, not ${raw}`);
}

let skeleton: Skeleton | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    skeleton ??= new Skeleton(
      env.ACCEPTOR,
      Number(env.BALLOT_ACCEPTORS ?? "3"),
      env.BALLOT_CLUSTER ?? "main",
      acceptFanoutOf(env.SKELETON_ACCEPT),
      env.SKELETON_PROBE === "1" ? new Probe() : undefined,
    );
    return serve(request, skeleton);
  },
} satisfies ExportedHandler<Env>;
