import * as changes from "../../src/core/change.js";
import type { Outcome } from "../../src/core/proposer.js";
import { COLLECTED_ORIGIN, isLive, type Register } from "../../src/core/register.js";
import { HistoryRecorder, type Op, type Result } from "../lin/history.js";
import { singleAcceptorRead } from "./bugs.js";
import type { Violation } from "./invariants.js";
import { currentRequest, Request } from "./clock.js";
import type { Cluster, ProposerNode } from "./cluster.js";
import type { Rng } from "./rng.js";

export type OpKind = "read" | "write" | "cas" | "create" | "delete" | "deleteExpect" | "increment";
export type OpMix = Readonly<Partial<Record<OpKind, number>>>;

export interface WorkloadSpec {
  readonly clients: number;
  readonly keys: number;
  /** A client stops after this many ops even if the faulty phase goes on (keeps histories checkable). */
  readonly maxOpsPerClient: number;
  readonly mix: OpMix;
  /** Share of written values that are decimal integers, so increments can apply. */
  readonly integerValues: number;
  readonly thinkMs: readonly [number, number];
  /** Now and then a client pauses far longer (keys go idle, so a garbage collector gets through). */
  readonly longThink?: { readonly chance: number; readonly ms: readonly [number, number] };
  /** A client gives up waiting after this long (outcome unknown); null: it waits for the proposer's answer. */
  readonly clientTimeoutMs: number | null;
  /** Probability that a client giving up also cancels its request at the proposer (workerd then runs none of it). */
  readonly cancelOnTimeout: number;
  /** Probability that an op goes through the client's home proposer rather than a random one. */
  readonly sticky: number;
}

/** How one client call ended, from the client's side. */
export type Ending =
  | { readonly kind: "outcome"; readonly outcome: Outcome }
  | { readonly kind: "timeout" }
  | { readonly kind: "died" }
  | { readonly kind: "threw"; readonly error: unknown };

interface Client {
  /** The history's client id; renewed after an unknown outcome, whose op may still be in flight. */
  historyId: number;
  readonly home: number;
  ops: number;
  /** Latest version this client saw per key, for compare-and-set and conditional delete. */
  readonly seen: Map<string, number>;
}

interface ProposerCall {
  readonly node: ProposerNode;
  readonly request: Request;
  readonly start: number;
  readonly what: string;
}

const CONTENT_TYPE = "text/plain; charset=utf-8";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const decode = (bytes: Uint8Array) => decoder.decode(bytes);
const liveness = (message: string): Violation => ({ invariant: "liveness", message });
const protocol = (message: string): Violation => ({ invariant: "protocol", message });

/** Clients issuing operations through the proposers and recording what they observe as a history. */
export class Workload {
  readonly recorder = new HistoryRecorder();
  readonly keys: readonly string[];
  readonly counts = { ops: 0, applied: 0, refused: 0, unknown: 0, unavailable: 0, timedOut: 0, cancelled: 0, orphaned: 0 };
  /** How often the proposer's special paths were taken, to show the runs reach them. */
  readonly paths = { peek: 0, piggyback: 0, coalesced: 0, retried: 0 };
  private readonly origins = new Set<string>();
  /** Liveness and protocol problems seen while running (invariant 4 and sanity of outcomes). */
  readonly problems: Violation[] = [];
  /** Per key: every acknowledged version with its content (null: deleted), for invariant 3. */
  readonly acks = new Map<string, Map<number, string | null>>();
  /** Per key: the origin of every acknowledged version (one version, one state). */
  private readonly ackOrigins = new Map<string, Map<number, string>>();
  /** Per key: the latest acknowledged delete (its tombstone's version and when it was acknowledged). */
  private readonly deletes = new Map<string, { version: number; at: number }>();
  private readonly clients: Client[] = [];
  private readonly calls = new Set<ProposerCall>();
  /** Client operations still waiting for an ending; written to the history only once they end (or by close()). */
  private readonly waiting = new Set<{ readonly c: Client; readonly key: string; readonly op: Op; readonly call: number }>();
  private readonly conflicting = new Set<string>();
  private nextHistoryId = 0;
  private unique = 0;
  /** Clients keep issuing operations while this holds. */
  faulty = true;
  /** When set, every client operation is described here. */
  log: ((line: string) => void) | null = null;

  constructor(
    readonly spec: WorkloadSpec,
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    /** Longest a proposer call may take: its deadline plus the rounds that may still be running at it. */
    readonly callBoundMs: number,
  ) {
    this.keys = Array.from({ length: spec.keys }, (_, i) => `key-${i}`);
    for (let i = 0; i < spec.clients; i++) {
      this.clients.push({ historyId: this.nextHistoryId++, home: i % cluster.proposerSlots, ops: 0, seen: new Map() });
    }
  }

  private get now(): number {
    return this.cluster.scheduler.now;
  }

  /** Every client runs its random operations while the faulty phase lasts. */
  runClients(): Promise<void>[] {
    return this.clients.map(async (c) => {
      while (c.ops < this.spec.maxOpsPerClient) {
        const long = this.spec.longThink;
        const think = long !== undefined && this.rng.chance(long.chance) ? long.ms : this.spec.thinkMs;
        await this.cluster.scheduler.sleep(this.rng.between(...think));
        if (!this.faulty) return;
        const key = this.rng.pick(this.keys);
        await this.perform(c, key, this.nextOp(c, key), this.spec.clientTimeoutMs);
      }
    });
  }

  /**
   * Invariant 4: after healing, every client's next operation completes (applied or refused) within the bound.
   * Clients go one at a time: under concurrent contention an accept that reached only some acceptors and was then
   * overtaken by two newer states is rightly "unknown" (it might still be written back), so only an operation
   * without contention must always complete.
   */
  async livenessRound(): Promise<void> {
    for (const c of this.clients) {
      const key = this.rng.pick(this.keys);
      const op = this.nextOp(c, key);
      const started = this.now;
      const ending = await this.perform(c, key, op, this.callBoundMs + 1);
      const kind = ending.kind === "outcome" ? ending.outcome.kind : ending.kind;
      if (kind !== "applied" && kind !== "refused") {
        const reason = ending.kind === "outcome" && "reason" in ending.outcome ? ` (${ending.outcome.reason})` : "";
        this.problems.push(liveness(`after healing, client ${c.historyId} ${op.kind} on ${key} ended ${kind}${reason} at +${Math.round(this.now - started)} ms`));
      }
    }
  }

  /** A fresh client reads `key` once; the register it returns is checked against the acknowledgements. */
  async finalRead(key: string): Promise<Register | undefined> {
    const c: Client = { historyId: this.nextHistoryId++, home: 0, ops: 0, seen: new Map() };
    const ending = await this.perform(c, key, { kind: "read" }, this.callBoundMs + 1);
    if (ending.kind === "outcome" && ending.outcome.kind === "applied") return ending.outcome.state;
    const kind = ending.kind === "outcome" ? ending.outcome.kind : ending.kind;
    this.problems.push(liveness(`after healing, the final read of ${key} ended ${kind}`));
    return undefined;
  }

  /** Calls that still run: neither their proposer died nor their request was cancelled. */
  private running(call: ProposerCall): boolean {
    return call.node.life.isAlive && !call.request.cancelled;
  }

  /** Proposer calls that have not returned yet and still may. */
  get callsInFlight(): number {
    let n = 0;
    for (const call of this.calls) if (this.running(call)) n++;
    return n;
  }

  /** Reports calls still running (they must end within their deadline). */
  reportHungCalls(): void {
    for (const call of this.calls) {
      if (this.running(call)) {
        this.problems.push(liveness(`${call.what} at ${call.node.id} started at ${Math.round(call.start)} never returned`));
      }
    }
  }

  /** Operations that never ended go into the history as unknown, never returned: they may take effect any time. */
  close(): void {
    for (const w of this.waiting) this.recorder.invoke(w.key, w.c.historyId, w.op, w.call);
    this.waiting.clear();
  }

  private async perform(c: Client, key: string, op: Op, timeoutMs: number | null): Promise<Ending> {
    c.ops++;
    this.counts.ops++;
    const slot = this.rng.chance(this.spec.sticky) ? c.home : this.rng.int(this.cluster.proposerSlots);
    const node = this.cluster.node(slot);
    const call = this.now;
    const waiting = { c, key, op, call };
    this.waiting.add(waiting);
    const request = new Request();
    const running = this.call(node, request, key, op);
    let cancelTimer = () => {};
    let unsubscribe = () => {};
    const ending = await new Promise<Ending>((resolve) => {
      running.then(
        (outcome) => resolve({ kind: "outcome", outcome }),
        (error: unknown) => resolve({ kind: "threw", error }),
      );
      const giveUp = () => {
        if (this.rng.chance(this.spec.cancelOnTimeout)) request.cancelled = true;
        resolve({ kind: "timeout" });
      };
      if (timeoutMs !== null) cancelTimer = this.cluster.scheduler.after(timeoutMs, giveUp).cancel;
      unsubscribe = node.life.whenDead(() => resolve({ kind: "died" }));
    });
    if (request.cancelled) this.counts.cancelled++;
    cancelTimer();
    unsubscribe();
    this.waiting.delete(waiting);
    if (this.log !== null) {
      const how = ending.kind === "outcome" ? `${ending.outcome.kind}${"reason" in ending.outcome ? ` (${ending.outcome.reason})` : ""}` : ending.kind;
      this.log(`client ${c.historyId} via ${node.id}: ${JSON.stringify(op)} on ${key} since ${call.toFixed(3)} -> ${how}`);
    }
    this.record(c, key, op, call, ending);
    return ending;
  }

  private record(c: Client, key: string, op: Op, call: number, ending: Ending): void {
    if (ending.kind === "outcome" && ending.outcome.kind === "unavailable") {
      // Definitely not applied: left out of the history. If it did apply, the checker meets an unexplained state.
      this.counts.unavailable++;
      return;
    }
    const id = this.recorder.invoke(key, c.historyId, op, call);
    const result = ending.kind === "outcome" ? this.toResult(key, op, ending.outcome, call) : null;
    if (result === null) {
      if (ending.kind === "threw") this.problems.push(protocol(`proposer threw on ${op.kind} ${key}: ${String(ending.error)}`));
      if (ending.kind === "outcome" && ending.outcome.kind === "unknown" && ending.outcome.reason.startsWith("internal error")) {
        this.problems.push(protocol(`proposer failed on ${op.kind} ${key}: ${ending.outcome.reason}`));
      }
      if (ending.kind === "timeout") this.counts.timedOut++;
      if (ending.kind === "died") this.counts.orphaned++;
      this.counts.unknown++;
      this.recorder.unknown(id, this.now);
      c.historyId = this.nextHistoryId++;
      return;
    }
    this.recorder.complete(id, result, this.now);
    if ("version" in result) c.seen.set(key, result.version);
    else if ("current" in result && result.current !== null) c.seen.set(key, result.current);
  }

  /** Maps a proposer outcome to the history's vocabulary; null for an unknown outcome. */
  private toResult(key: string, op: Op, outcome: Outcome, call: number): Result | null {
    if (outcome.kind === "unknown" || outcome.kind === "unavailable") return null;
    this.countPaths(op, outcome);
    if (outcome.kind === "refused") {
      this.counts.refused++;
      const { code, current } = outcome.refusal;
      this.acknowledge(key, current, call);
      if (code === "not_integer") return { ok: false, notInteger: true };
      if (code === "overflow") return { ok: false, overflow: true };
      if (code === "not_found") return { ok: false, current: null };
      return { ok: false, current: isLive(current) ? current.version : null };
    }
    this.counts.applied++;
    const state = outcome.state;
    this.acknowledge(key, state, call);
    if (op.kind === "delete" && state !== null && state.value === null) {
      const last = this.deletes.get(key);
      if (last === undefined || state.version > last.version) this.deletes.set(key, { version: state.version, at: this.now });
    }
    if (op.kind === "read") {
      return isLive(state) ? { found: true, value: decode(state.value), version: state.version } : { found: false };
    }
    if (state === null) {
      this.problems.push(protocol(`${op.kind} on ${key} was applied with an empty register`));
      return null;
    }
    if (op.kind === "increment") {
      return { ok: true, value: state.value === null ? NaN : Number(decode(state.value)), version: state.version };
    }
    return { ok: true, version: state.version };
  }

  private countPaths(op: Op, outcome: Outcome & { kind: "applied" | "refused" }): void {
    if (outcome.stats.fastPath === "peek") this.paths.peek++;
    if (outcome.stats.fastPath === "piggyback") this.paths.piggyback++;
    if (outcome.stats.attempts > 1) this.paths.retried++;
    // Changes composed into one round share the round's origin.
    if (outcome.kind === "applied" && op.kind !== "read" && outcome.state !== null) {
      if (this.origins.has(outcome.state.origin)) this.paths.coalesced++;
      this.origins.add(outcome.state.origin);
    }
  }

  /** Keys whose latest acknowledged state is a tombstone (the garbage collector's usual targets). */
  deletedKeys(): string[] {
    const keys: string[] = [];
    for (const [key, versions] of this.acks) {
      const highest = Math.max(...versions.keys());
      if (versions.get(highest) === null) keys.push(key);
    }
    return keys;
  }

  /**
   * A state a client was told about (written, read or refused against) is chosen: remember it for invariant 3, and
   * check that its version names one state, and that it is no older than a delete acknowledged before `call`.
   * A state with an empty origin stands for an absent key read from a floor (a collected bucket's version, maybe of
   * another key): it names no chosen state, so it is left out.
   */
  private acknowledge(key: string, state: Register, call: number): void {
    if (state === null || state.origin === COLLECTED_ORIGIN) return;
    const deleted = this.deletes.get(key);
    if (state.value !== null && deleted !== undefined && deleted.at < call && state.version < deleted.version) {
      this.problems.push({
        invariant: "no-resurrection",
        message: `${key}: an op called at ${call.toFixed(3)} saw the live v${state.version}, but a delete was acknowledged at v${deleted.version} (at ${deleted.at.toFixed(3)})`,
      });
    }
    let origins = this.ackOrigins.get(key);
    if (origins === undefined) this.ackOrigins.set(key, (origins = new Map()));
    const origin = origins.get(state.version);
    if (origin === undefined) origins.set(state.version, state.origin);
    else if (origin !== state.origin && !this.conflicting.has(`${key} v${state.version} origin`)) {
      this.conflicting.add(`${key} v${state.version} origin`);
      this.problems.push({ invariant: "unique-versions", message: `${key} v${state.version} acknowledged with origins ${origin} and ${state.origin}` });
    }
    let versions = this.acks.get(key);
    if (versions === undefined) this.acks.set(key, (versions = new Map()));
    const content = state.value === null ? null : decode(state.value);
    const known = versions.get(state.version);
    if (known === undefined) versions.set(state.version, content);
    else if (known !== content && !this.conflicting.has(`${key} v${state.version}`)) {
      this.conflicting.add(`${key} v${state.version}`); // reported once per version
      this.problems.push({ invariant: "unique-versions", message: `${key} v${state.version} acknowledged as ${JSON.stringify(known)} and as ${JSON.stringify(content)}` });
    }
  }

  /** Starts the proposer call for `op` as `request` and watches that it returns within its deadline. */
  private call(node: ProposerNode, request: Request, key: string, op: Op): Promise<Outcome> {
    const record: ProposerCall = { node, request, start: this.now, what: `${op.kind} ${key}` };
    this.calls.add(record);
    const running = currentRequest.run(request, () => this.invoke(node, key, op));
    const done = (outcome?: Outcome) => {
      this.calls.delete(record);
      const took = this.now - record.start;
      this.log?.(`call ${record.what} at ${node.id} since ${record.start.toFixed(3)} returned ${outcome?.kind ?? "an error"} after ${took.toFixed(3)} ms`);
      if (took > this.callBoundMs) {
        this.problems.push(liveness(`${record.what} at ${node.id} took ${Math.round(took)} ms, over its bound of ${this.callBoundMs} ms`));
      }
    };
    running.then(done, () => done());
    return running;
  }

  private invoke(node: ProposerNode, key: string, op: Op): Promise<Outcome> {
    const p = node.proposer;
    switch (op.kind) {
      case "read":
        return this.cluster.spec.bug === "single-acceptor-read"
          ? singleAcceptorRead(node, key, this.cluster.spec.acceptors, this.rng, this.cluster.spec.config.roundTimeoutMs)
          : p.read(key);
      case "write":
        return p.change(key, changes.write(encoder.encode(op.value), CONTENT_TYPE));
      case "cas":
        return p.change(key, changes.compareAndSet(op.expect, encoder.encode(op.value), CONTENT_TYPE));
      case "create":
        return p.change(key, changes.create(encoder.encode(op.value), CONTENT_TYPE));
      case "delete":
        return p.change(key, changes.remove(op.expect));
      case "increment":
        return p.change(key, changes.increment(op.by));
    }
  }

  private nextOp(c: Client, key: string): Op {
    const kind = this.rng.weighted(this.spec.mix);
    switch (kind) {
      case "read":
        return { kind: "read" };
      case "write":
        return { kind: "write", value: this.value(c) };
      case "cas":
        return { kind: "cas", expect: this.guessVersion(c, key), value: this.value(c) };
      case "create":
        return { kind: "create", value: this.value(c) };
      case "delete":
        return { kind: "delete" };
      case "deleteExpect":
        return { kind: "delete", expect: this.guessVersion(c, key) };
      case "increment":
        return { kind: "increment", by: this.rng.chance(0.02) ? 2 ** 52 : this.rng.int(7) - 2 };
    }
  }

  /** Mostly the version the client saw last, so many CAS succeed; sometimes one ahead or behind. */
  private guessVersion(c: Client, key: string): number {
    const seen = c.seen.get(key) ?? 0;
    const r = this.rng.next();
    if (r < 0.7) return seen;
    if (r < 0.85) return seen + 1;
    return Math.max(0, seen - 1 - this.rng.int(3));
  }

  /** Unique text (sometimes non-ASCII), or a decimal integer (sometimes huge, so increments overflow). */
  private value(c: Client): string {
    if (this.rng.chance(this.spec.integerValues)) {
      return this.rng.chance(0.03) ? String(Number.MAX_SAFE_INTEGER - this.rng.int(10)) : String(this.rng.int(200) - 50);
    }
    const text = `c${c.home}.${this.unique++}`;
    return this.rng.chance(0.1) ? `${text} é✓` : text;
  }
}
