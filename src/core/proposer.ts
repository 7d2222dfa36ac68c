import { BallotIssuer, compareBallots, sameBallot, type Ballot } from "./ballot.js";
import { backoffDelay, type BackoffPolicy } from "./backoff.js";
import { read, type Change, type Refusal } from "./change.js";
import { compose, type Composition } from "./compose.js";
import type { AcceptorReply, KeyedRequest, Peeked, Promised } from "./messages.js";
import type { Clock, Random, Transport } from "./ports.js";
import type { AcceptorId, QuorumConfig } from "./quorum/quorum-config.js";
import { COLLECTED_ORIGIN, comparePositions, lineageOf, positionOf, type Position, type Register } from "./register.js";
import { highestAccepted, runRound, type Fanout, type Granted } from "./round.js";
import { PromiseCache, type HeldPromise } from "./promise-cache.js";
import { Admission, DEFAULT_ADMISSION_LIMITS, type AdmissionLimits } from "./admission.js";
import { LatencyTracker } from "./latency-tracker.js";
import { FixedRouter, isRouter, refreshBy, type Route, type Router } from "./routing/router.js";

export interface ProposerConfig {
  /** N: 3, 5 or 7 acceptors. */
  readonly acceptors: number;
  /** How long one round waits for a majority before it counts the silent acceptors as failed. */
  readonly roundTimeoutMs: number;
  /** Budget of one change, retries included. */
  readonly deadlineMs: number;
  readonly backoff: BackoffPolicy;
  /** Reads first try one round of peeks that writes nothing (see caspaxos.md, fast paths). */
  readonly peekReads: boolean;
  /**
   * A read first peeks at a bare majority and asks the other acceptors only when one of those fails or after this
   * many ms (default 20); negative asks all at once. Peeks write nothing, so asking fewer is pure saving.
   */
  readonly peekHedgeMs?: number;
  /**
   * Peeks go to the nearest majority, as learnt from reply times, and the hedge waits for that majority's observed
   * tail (at least `peekHedgeMs`). Default true; false starts at a random acceptor and hedges after `peekHedgeMs`.
   */
  readonly nearestPeeks?: boolean;
  /** Accepts carry the proposer's next ballot as a promise, so its next change of the key skips the prepare. */
  readonly piggyback: boolean;
  /** How many keys' piggybacked promises one proposer remembers. */
  readonly promiseCacheSize: number;
  /**
   * How long a piggybacked promise is used as is (default 1 s). An older one is used only after a read-only peek
   * shows the key did not move since (see stillUsable).
   */
  readonly promiseTtlMs?: number;
  /** At most this many waiting changes of one key are composed into one round. */
  readonly maxBatch: number;
  /**
   * When a round of the key applied several changes at once within the last `contentionWindowMs` (default 100), a
   * change that finds the key idle waits this long (default 1 ms; 0 never) before it leads, so that changes arriving
   * meanwhile share its round. A key whose batches do not pay (a lone writer; compare-and-set racers, of which one
   * wins per round anyway) is never delayed.
   */
  readonly lingerMs?: number;
  readonly contentionWindowMs?: number;
  /** How often a change waiting behind a round of its key checks whether it was answered or may lead. */
  readonly pollMs: number;
  /** Bounds on what this proposer takes in at once; past them a change is refused as overloaded (default 128, 256). */
  readonly admission?: AdmissionLimits;
}

export const DEFAULT_PROPOSER_CONFIG: ProposerConfig = {
  acceptors: 3,
  roundTimeoutMs: 1000,
  deadlineMs: 4000,
  backoff: { baseMs: 4, maxMs: 200 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 10_000,
  maxBatch: 256,
  pollMs: 1,
};

/** The register operations the HTTP layer needs: the proposer's, or a wrapper around them. */
export type Registers = Pick<Proposer, "read" | "change">;

/** What a proposer observed doing one request; reported in Server-Timing and logs. */
export interface RoundStats {
  rounds: number;
  attempts: number;
  conflicts: number;
  peekMs: number;
  prepareMs: number;
  acceptMs: number;
  /** Waiting behind earlier rounds of the key, before this change's own batch started (or it was answered). */
  queueMs: number;
  /** The short wait of a hot key's leader for changes to share its round. */
  lingerMs: number;
  /** Pauses between a batch's attempts after a conflict or a failed round. */
  backoffMs: number;
  fastPath: "peek" | "piggyback" | null;
}

export type Outcome =
  /** The change was chosen (for a read: the state is the register's value at some point during the call). */
  | { readonly kind: "applied"; readonly state: Register; readonly previous: Register; readonly stats: RoundStats }
  /** The change declined (e.g. a failed compare-and-set) against a chosen state; nothing was changed. */
  | { readonly kind: "refused"; readonly refusal: Refusal; readonly stats: RoundStats }
  /** Definitely not applied: no accept carrying this change can ever be chosen. Safe to retry. */
  | { readonly kind: "unavailable"; readonly reason: string; readonly stats: RoundStats; readonly overloaded?: boolean }
  /** Maybe applied, maybe not: an accept carrying the change was sent and no majority confirmed it. */
  | { readonly kind: "unknown"; readonly reason: string; readonly stats: RoundStats };

/**
 * The CASPaxos proposer: turns a change of one key into prepare and accept rounds over N acceptors.
 *
 * Beyond the paper it recovers from its own lost accepts. Every state records the candidate that produced it
 * (`origin`: the request, plus a suffix for its second and later candidates) and versions grow by one per change, so
 * after an accept that no majority confirmed, a fresh prepare tells whether the change made it in (the highest state
 * is ours), can never make it in (the highest state has a version at or below every state we proposed and is not
 * ours: ours is neither its ancestor nor chosen, and our next accept at a higher ballot buries it), or cannot tell (a
 * newer state exists): only then is the outcome unknown.
 */
export class Proposer {
  private readonly ballots: BallotIssuer;
  /** Where each key's rounds go: the acceptors, the quorum they must form, the epoch (routing/). */
  private readonly router: Router;
  private readonly promises: PromiseCache;
  private requests = 0;
  /** Changes waiting per key; a key is present while it has a round in flight or changes waiting. */
  private readonly queues = new Map<string, KeyQueue>();
  /** When each recently contended key last had a round apply several changes, oldest first. */
  private readonly contended = new Map<string, number>();
  private readonly admission: Admission;
  /** How long each acceptor takes to answer, from every reply this proposer gets (whom to peek at first). */
  private readonly latencies: LatencyTracker;

  constructor(
    readonly id: string,
    private readonly config: ProposerConfig,
    /** A Transport to N acceptors by index (no layout: as before epochs), or a Router (a layout). */
    routing: Transport | Router,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.ballots = new BallotIssuer(id, () => clock.now());
    this.router = isRouter(routing) ? routing : new FixedRouter(config.acceptors, routing);
    this.promises = new PromiseCache(config.promiseCacheSize);
    this.admission = new Admission(config.admission ?? DEFAULT_ADMISSION_LIMITS);
    this.latencies = new LatencyTracker({ floorMs: Math.max(0, config.peekHedgeMs ?? 20) });
  }

  /**
   * Sends one request along its route and times the reply for the latency tracker. Latencies are kept by acceptor
   * id within a route: with the fixed layout (and layouts whose groups keep one location hint per index) an id is one
   * region, which is what nearness needs.
   */
  private send(route: Route, index: AcceptorId, request: KeyedRequest): Promise<AcceptorReply> {
    const sentAt = this.clock.now();
    this.latencies.sent(index, sentAt);
    let reply: Promise<AcceptorReply>;
    try {
      reply = route.send(index, request);
    } catch (error) {
      this.latencies.failed(index, sentAt, sentAt);
      throw error;
    }
    return reply.then(
      (r) => {
        this.latencies.replied(index, sentAt, this.clock.now());
        return r;
      },
      (error: unknown) => {
        this.latencies.failed(index, sentAt, this.clock.now());
        throw error;
      },
    );
  }

  /** A linearizable read: one peek round when a majority agrees, otherwise a full identity change. */
  async read(key: string): Promise<Outcome> {
    if (!this.config.peekReads) return this.change(key, read());
    const stats = newStats();
    const deadline = this.clock.now() + this.config.deadlineMs;
    const route = this.router.route(key);
    const peeks = await this.peekRound(key, route, deadline, stats);
    const agreed = agreedState(peeks, route.quorum);
    if (agreed !== undefined) {
      stats.fastPath = "peek";
      return { kind: "applied", state: agreed, previous: agreed, stats };
    }
    // Disagreement (a change in flight, or a lagging acceptor): settle it with a full round that writes back.
    return this.change(key, read(), stats, deadline);
  }

  /**
   * Applies a change to a key. Changes of one key are queued at this proposer: while a round for the key is in
   * flight, newcomers wait and then go together in the next round (coalescing), so one proposer never competes with
   * itself and contention turns into batching.
   *
   * A batch is run by one of its own callers (the leader), never by a background task, and waiting callers poll on
   * timers of their own instead of awaiting a promise another caller resolves: in a Worker, a request may only
   * touch I/O, timers and promise fulfillers of its own context. Polling also bounds a waiter's wait when the
   * leader's request is cancelled.
   */
  async change(
    key: string,
    change: Change,
    stats: RoundStats = newStats(),
    deadline = this.clock.now() + this.config.deadlineMs,
  ): Promise<Outcome> {
    // Backpressure: past the bounds, refuse now (nothing was sent) rather than queue behind work that already
    // fills this proposer.
    if (!this.admission.enter(key)) {
      return { kind: "unavailable", reason: "this proposer is overloaded", stats, overloaded: true };
    }
    try {
      return await this.queued(key, change, stats, deadline);
    } finally {
      this.admission.leave(key);
    }
  }

  /**
   * Phase 1 of a change to come, run now: a transaction's coordinator prepares its record's key while it places its
   * intents, so that the commit then takes one round (the accept) instead of two. The promise and the state the
   * majority holds go to the promise cache, as an accept's piggybacked promise does; the key's next change here
   * takes them and checks them as any held promise (stillUsable: another epoch's is void, an old one is peeked).
   * Safe as any prepare: nothing is accepted, and the accept at this ballot is refused wherever someone has since
   * prepared a higher one (that change then goes through recovery, as after any lost accept). Never throws; leaves
   * nothing behind when the round is not won or a change of the key is queued here (its own prepare outranks it).
   */
  async prepareAhead(key: string): Promise<void> {
    if (this.queues.has(key)) return;
    try {
      const route = this.router.route(key);
      const ballot = this.ballots.next();
      const tally = await runRound<Promised>(
        route.quorum,
        "promised",
        (i) => this.send(route, i, { type: "prepare", key, ballot }),
        this.clock,
        this.config.roundTimeoutMs,
      );
      this.ballots.observe(tally.highestSeen);
      if (tally.result !== "won" || this.queues.has(key)) return;
      const replies = tally.granted.map((g) => g.reply);
      // The ballot the state found was accepted at (none for a key never accepted): an old promise is checked by it.
      let acceptedAt: Ballot | null = null;
      for (const r of replies) if (r.accepted !== null && (acceptedAt === null || compareBallots(r.accepted, acceptedAt) > 0)) acceptedAt = r.accepted;
      const held = { ballot, state: highestAccepted(replies), since: this.clock.now(), epoch: route.epoch };
      this.promises.put(key, acceptedAt === null ? held : { ...held, acceptedAt });
    } catch {
      // A failed send: the change to come prepares for itself.
    }
  }

  /** Changes in flight in this proposer (admitted, not yet answered). */
  get inFlight(): number {
    return this.admission.size;
  }

  private async queued(key: string, change: Change, stats: RoundStats, deadline: number): Promise<Outcome> {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = { waiting: [], batch: null };
      this.queues.set(key, queue);
    }
    const me: Waiting = { change, stats, deadline, since: this.clock.now() };
    queue.waiting.push(me);
    let lingered = false;
    for (;;) {
      if (me.outcome !== undefined) return me.outcome;
      const now = this.clock.now();
      // Only a change still waiting may lead; one taken into a batch waits for that batch's answer.
      const batch = queue.batch;
      if (me.batch === undefined && now >= me.deadline) {
        // No round of ours started in time: refused at the deadline, never later, and certainly not applied.
        const outcome = this.abandon(queue, me);
        this.forgetIfIdle(key, queue);
        return outcome;
      }
      if (me.batch === undefined && (batch === null || now > batch.expires)) {
        if (!lingered && this.recentlyContended(key)) {
          // Nagle for a hot key: a moment's wait turns the changes arriving now into one round instead of many.
          lingered = true;
          await this.clock.timer(this.config.lingerMs ?? 1).fired;
          stats.lingerMs += this.clock.now() - now;
          continue;
        }
        await this.lead(key, queue, me);
        continue;
      }
      // The leader answers by the batch deadline; still waiting well past ours means its request was cancelled.
      if (now > me.deadline + this.config.roundTimeoutMs) return this.abandon(queue, me);
      await this.clock.timer(this.config.pollMs).fired;
    }
  }

  private noteContention(key: string): void {
    // Re-inserted at the end, so the map stays ordered by time and old entries are dropped from its front.
    this.contended.delete(key);
    this.contended.set(key, this.clock.now());
    const horizon = this.clock.now() - (this.config.contentionWindowMs ?? 100);
    for (const [oldKey, at] of this.contended) {
      if (at >= horizon && this.contended.size <= this.config.promiseCacheSize) break;
      this.contended.delete(oldKey);
    }
  }

  private recentlyContended(key: string): boolean {
    if ((this.config.lingerMs ?? 1) <= 0) return false;
    const at = this.contended.get(key);
    return at !== undefined && this.clock.now() - at <= (this.config.contentionWindowMs ?? 100);
  }

  /** Runs the next batch of a key's waiting changes and answers its members. */
  private async lead(key: string, queue: KeyQueue, leader: Waiting): Promise<void> {
    const now = this.clock.now();
    // Waiters already past their deadline (a caller that went away, or one starved behind earlier rounds) are
    // answered without being sent.
    for (const late of queue.waiting.filter((w) => w.deadline <= now)) {
      late.stats.queueMs += now - late.since;
      late.outcome = { kind: "unavailable", reason: "waited past the deadline behind earlier changes of the key", stats: late.stats };
    }
    if (leader.outcome !== undefined) {
      queue.waiting.splice(0, queue.waiting.length, ...queue.waiting.filter((w) => w.outcome === undefined));
      return;
    }
    // The leader is always in its batch, first, and the batch runs to the leader's deadline: a live caller's, never
    // that of a waiter who may have gone away. Others whose deadline comes sooner give up on their own.
    const others = queue.waiting.filter((w) => w !== leader && w.outcome === undefined);
    const members = [leader, ...others.splice(0, this.config.maxBatch - 1)];
    queue.waiting.splice(0, queue.waiting.length, ...others);
    const deadline = leader.deadline;
    const batch: Batch = { acceptSent: false, expires: 0 };
    this.extend(batch, 0);
    queue.batch = batch;
    for (const m of members) {
      m.batch = batch;
      // Time queued ends when its batch starts; a member retried after an unsent batch queues again from here.
      m.stats.queueMs += now - m.since;
    }
    let outcomes: Outcome[];
    try {
      outcomes = await this.runRounds(key, members.map((w) => w.change), deadline, batch);
    } catch (error) {
      // A bug must not wedge the key. Whether an accept left is known from the batch.
      const stats = newStats();
      const reason = `internal error: ${String(error)}`;
      outcomes = members.map(() => (batch.acceptSent ? { kind: "unknown", reason, stats } : { kind: "unavailable", reason, stats }));
    }
    if (outcomes.filter((o) => o.kind === "applied").length >= 2) this.noteContention(key);
    const retry: Waiting[] = [];
    members.forEach((m, i) => {
      const outcome = outcomes[i] as Outcome;
      // Nothing of this batch was sent, and this member has time left (the batch ran to its leader's earlier
      // deadline): it goes back to the front of the queue instead of failing early.
      if (outcome.kind === "unavailable" && this.clock.now() < m.deadline) {
        m.batch = undefined;
        m.since = this.clock.now();
        retry.push(m);
      } else {
        m.outcome = { ...outcome, stats: addStats(m.stats, outcome.stats) };
      }
    });
    queue.waiting.unshift(...retry);
    if (queue.batch === batch) queue.batch = null;
    this.forgetIfIdle(key, queue);
  }

  /** Drops a key's queue once nothing runs or waits in it, so the map holds only keys with work. */
  private forgetIfIdle(key: string, queue: KeyQueue): void {
    if (queue.batch === null && queue.waiting.length === 0 && this.queues.get(key) === queue) this.queues.delete(key);
  }

  /**
   * The leader's heartbeat: past `expires`, waiters presume its request was cancelled and the next waiter leads. A
   * live leader pushes it past each round (which ends by its timeout) and each backoff pause before starting it, so a
   * cancelled leader holds its key up for about one round timeout, not until its whole deadline.
   */
  private extend(batch: Batch, pauseMs: number): void {
    batch.expires = this.clock.now() + pauseMs + this.config.roundTimeoutMs + 2 * this.config.pollMs + 1;
  }

  /**
   * A waiter past its deadline whose batch never finished (its leader's request was cancelled). Taken into a batch,
   * its change may still be sent by that batch's leader: only "unknown" is true then.
   */
  private abandon(queue: KeyQueue, me: Waiting): Outcome {
    const index = queue.waiting.indexOf(me);
    if (index >= 0) {
      queue.waiting.splice(index, 1);
      me.stats.queueMs += this.clock.now() - me.since;
      return { kind: "unavailable", reason: "waited past the deadline behind earlier changes of the key", stats: me.stats };
    }
    return { kind: "unknown", reason: "the round carrying this change did not finish in time", stats: me.stats };
  }

  /**
   * Peeks go to a bare quorum first: the nearest majority as replies so far tell (among equally near acceptors, from
   * a random one on, to spread the load). The others are asked when one of those fails, or once the slowest of them
   * is past its observed tail (a slow acceptor then costs that wait, not a round timeout).
   */
  private peekFanout(quorum: QuorumConfig): Fanout | undefined {
    const members = quorum.members;
    const hedgeMs = this.config.peekHedgeMs ?? 20;
    if (hedgeMs < 0) return undefined;
    const start = Math.floor(this.random.next() * members.length);
    const rotated: AcceptorId[] = [];
    for (let i = 0; i < members.length; i++) rotated.push(members[(start + i) % members.length]!);
    if (this.config.nearestPeeks === false) return { order: rotated, hedgeMs };
    const order = this.latencies.nearestFirst(rotated, this.clock.now());
    // A tail past the round timeout would never hedge: half the timeout at most leaves the others time to answer.
    const tail = this.latencies.hedgeMs(quorum.bareQuorum(order));
    return { order, hedgeMs: Math.min(tail, Math.max(hedgeMs, this.config.roundTimeoutMs / 2)) };
  }

  /**
   * Whether a piggybacked promise is worth using. A fresh one is used as is. An older one has likely been overtaken:
   * its accept would be rejected, and if the key moved further than a lineage reaches in the meantime, recovery could
   * not tell what became of the change (504). So it is used only after a peek at a bare majority (read-only, no
   * commit) shows the state it was accepted with is still the accepted one there; otherwise it is dropped for a full
   * prepare.
   */
  private async stillUsable(key: string, route: Route, held: HeldPromise, deadline: number, stats: RoundStats): Promise<boolean> {
    // Granted by another epoch's quorum: void (see HeldPromise.epoch).
    if (held.epoch !== route.epoch) return false;
    if (this.clock.now() - (held.since ?? -Infinity) <= (this.config.promiseTtlMs ?? 1_000)) return true;
    if (held.acceptedAt === undefined) return false;
    const peeks = await this.peekRound(key, route, deadline, stats);
    const acceptedAt = held.acceptedAt;
    return peeks.every((p) => sameBallot(p.reply.accepted, acceptedAt)) && isQuorum(route.quorum, peeks);
  }

  /** One round of peeks (read-only) at a bare quorum first; the replies that came, with who sent each. */
  private async peekRound(key: string, route: Route, deadline: number, stats: RoundStats): Promise<readonly Granted<Peeked>[]> {
    const started = this.clock.now();
    const tally = await runRound<Peeked>(
      route.quorum,
      "peeked",
      (i) => this.send(route, i, { type: "peek", key }),
      this.clock,
      this.roundTimeout(deadline),
      this.peekFanout(route.quorum),
    );
    stats.rounds++;
    stats.peekMs += this.clock.now() - started;
    if (tally.staleEpoch !== null) await refreshBy(this.router, tally.staleEpoch, this.clock, deadline);
    return tally.granted;
  }

  /** A round waits at most the configured round timeout, and never past the request's deadline. */
  private roundTimeout(deadline: number): number {
    return Math.max(1, Math.min(this.config.roundTimeoutMs, deadline - this.clock.now()));
  }

  /** Runs prepare and accept rounds, retrying within the deadline, until the composed changes are settled. */
  private async runRounds(key: string, changes: readonly Change[], deadline: number, batch: Batch): Promise<Outcome[]> {
    const stats = newStats();
    const requestOrigin = `${this.id}:${++this.requests}`;
    // Every candidate state gets an origin of its own: two candidates of one request can have the same version and
    // differ (built on different states found by different prepares), and recovery must tell which one a lineage names.
    let candidates = 0;
    const nextOrigin = () => (++candidates === 1 ? requestOrigin : `${requestOrigin}.${candidates}`);
    // Lowest position (version, then hidden changes: see positionOf) among the states this request has proposed;
    // null while it has proposed none.
    let lowestCandidate: Position | null = null;
    // The state each of our candidates was computed from, by the candidate's origin.
    const bases = new Map<string, Register>();
    const all = (outcome: Outcome): Outcome[] => changes.map(() => outcome);
    const giveUp = (reason: string): Outcome[] =>
      all(lowestCandidate === null ? { kind: "unavailable", reason, stats } : { kind: "unknown", reason, stats });

    for (;;) {
      if (stats.attempts > 0) {
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) return giveUp("deadline exceeded");
        const pause = Math.min(remaining, backoffDelay(stats.attempts, this.config.backoff, this.random));
        this.extend(batch, pause);
        const paused = this.clock.now();
        await this.clock.timer(pause).fired;
        stats.backoffMs += this.clock.now() - paused;
        if (this.clock.now() >= deadline) return giveUp("deadline exceeded");
      } else if (this.clock.now() >= deadline) {
        return giveUp("waited past the deadline behind earlier changes of the key");
      }
      stats.attempts++;
      // The route of this attempt: a refusal as stale reloads the layout, and the next attempt takes the new one.
      const route = this.router.route(key);

      // Phase 1, skipped when our previous accept on this key already carried the promise for this ballot.
      let ballot: Ballot;
      let current: Register;
      const held = lowestCandidate === null ? this.promises.take(key) : undefined;
      // Checking an old promise may take a peek round.
      if (held !== undefined) this.extend(batch, 0);
      const cached = held !== undefined && (await this.stillUsable(key, route, held, deadline, stats)) ? held : undefined;
      if (cached !== undefined) {
        ballot = cached.ballot;
        current = cached.state;
        stats.fastPath = "piggyback";
      } else {
        stats.fastPath = null;
        ballot = this.ballots.next();
        const started = this.clock.now();
        this.extend(batch, 0);
        const tally = await runRound<Promised>(
          route.quorum,
          "promised",
          (i) => this.send(route, i, { type: "prepare", key, ballot }),
          this.clock,
          this.roundTimeout(deadline),
        );
        stats.rounds++;
        stats.prepareMs += this.clock.now() - started;
        if (tally.result !== "won") {
          if (tally.staleEpoch !== null) await refreshBy(this.router, tally.staleEpoch, this.clock, deadline);
          this.ballots.observe(tally.highestSeen);
          if (tally.rejected.length > 0) stats.conflicts++;
          continue;
        }
        current = highestAccepted(tally.granted.map((g) => g.reply));
      }

      let composition: Composition;
      let origin = "";
      if (lowestCandidate === null) {
        origin = nextOrigin();
        composition = compose(changes, current, origin);
      } else {
        const verdict = recover(current, bases, lowestCandidate);
        if (verdict.kind === "ours") {
          // Ours made it: the current state is it or descends from it. Write the current state back so it is
          // chosen, and answer each caller from the base that very candidate was made from.
          const base = bases.get(verdict.origin) ?? null;
          composition = { next: current, steps: compose(changes, base, verdict.origin).steps };
        } else if (verdict.kind === "lost") {
          // Ours is not in this state's past and cannot be chosen once we accept over it: apply the changes again.
          origin = nextOrigin();
          composition = compose(changes, current, origin);
        } else {
          return all({ kind: "unknown", reason: "the key moved too far to tell whether this change is in its past", stats });
        }
      }

      const next = composition.next;
      if (next !== current) {
        const position = positionOf(next);
        if (lowestCandidate === null || comparePositions(position, lowestCandidate) < 0) lowestCandidate = position;
        bases.set(origin, current);
        batch.acceptSent = true;
      }
      const promiseNext = this.config.piggyback ? this.ballots.next() : undefined;
      const started = this.clock.now();
      this.extend(batch, 0);
      const tally = await runRound(
        route.quorum,
        "accepted",
        (i) => this.send(route, i, { type: "accept", key, ballot, state: next, promiseNext }),
        this.clock,
        this.roundTimeout(deadline),
      );
      stats.rounds++;
      stats.acceptMs += this.clock.now() - started;
      if (tally.result === "won") {
        // Only a majority that took the piggybacked promise makes skipping the next prepare safe.
        if (promiseNext !== undefined) {
          this.promises.put(key, { ballot: promiseNext, state: next, since: this.clock.now(), acceptedAt: ballot, epoch: route.epoch });
        }
        return composition.steps.map((step) =>
          step.kind === "applied"
            ? { kind: "applied", state: step.state, previous: step.previous, stats }
            : { kind: "refused", refusal: step.refusal, stats },
        );
      }
      this.promises.drop(key);
      // Like a lost accept, a stale one goes through recovery on the next attempt (some acceptors may have taken it).
      if (tally.staleEpoch !== null) await refreshBy(this.router, tally.staleEpoch, this.clock, deadline);
      this.ballots.observe(tally.highestSeen);
      if (tally.rejected.length > 0) stats.conflicts++;
    }
  }
}

interface KeyQueue {
  readonly waiting: Waiting[];
  /** The batch in flight, if any; a batch past `expires` lost its leader (its request was cancelled). */
  batch: Batch | null;
}

interface Batch {
  /** An accept carrying a change of this batch was sent: from now on only "unknown" may replace an answer. */
  acceptSent: boolean;
  /** The leader's heartbeat (see extend). */
  expires: number;
}

/** One caller waiting for its change; `outcome` is set by the leader of its batch. */
interface Waiting {
  readonly change: Change;
  readonly stats: RoundStats;
  readonly deadline: number;
  /** When it (last) joined the queue. */
  since: number;
  outcome?: Outcome;
  batch?: Batch;
}

function addStats(a: RoundStats, b: RoundStats): RoundStats {
  return {
    rounds: a.rounds + b.rounds,
    attempts: a.attempts + b.attempts,
    conflicts: a.conflicts + b.conflicts,
    peekMs: a.peekMs + b.peekMs,
    prepareMs: a.prepareMs + b.prepareMs,
    acceptMs: a.acceptMs + b.acceptMs,
    queueMs: a.queueMs + b.queueMs,
    lingerMs: a.lingerMs + b.lingerMs,
    backoffMs: a.backoffMs + b.backoffMs,
    fastPath: b.fastPath ?? a.fastPath,
  };
}

/**
 * After an accept no majority confirmed, a fresh prepare found `current` as the highest accepted state. Our candidate
 * states carry the origins in `ours` (with the state each was built on) and positions of at least `lowestCandidate`
 * (a position is the version, then the count of invisible changes since it: it grows strictly with every change, as
 * the version alone did before transactions' intents, which change a key without changing its visible version).
 * If one of them is in the past of `current`, the lineage shows its origin (when it reaches back that far), which
 * names the very candidate: two of them may share a version. If the lineage reaches back to `lowestCandidate` or
 * below without it, none is: and once we accept over `current` at a higher ballot, none ever can be chosen.
 *
 * Garbage collection adds one case: an entry without an origin stands for a collected past (a key absent at the
 * majority reads as a tombstone at its floor's version, see absentSlot, and may have been written back or built on
 * since). Versions up to it were made by changes nobody can name any more, ours possibly among them: when it reaches
 * our lowest candidate, nothing tells.
 */
function recover(current: Register, ours: ReadonlyMap<string, Register>, lowestCandidate: Position):
  | { kind: "ours"; origin: string }
  | { kind: "lost" }
  | { kind: "unknown" } {
  if (current === null) return { kind: "lost" };
  const lineage = lineageOf(current);
  const mine = lineage.find((entry) => ours.has(entry.origin));
  if (mine !== undefined) return { kind: "ours", origin: mine.origin };
  const collected = lineage.find((entry) => entry.origin === COLLECTED_ORIGIN);
  if (collected !== undefined && comparePositions(positionOf(collected), lowestCandidate) >= 0) return { kind: "unknown" };
  const oldest = lineage[lineage.length - 1];
  if (comparePositions(positionOf(current), lowestCandidate) <= 0 || (oldest !== undefined && comparePositions(positionOf(oldest), lowestCandidate) <= 0)) {
    return { kind: "lost" };
  }
  return { kind: "unknown" };
}

function newStats(): RoundStats {
  return { rounds: 0, attempts: 0, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, queueMs: 0, lingerMs: 0, backoffMs: 0, fastPath: null };
}

/**
 * The state a quorum accepted at one and the same ballot, if the peeks show one. Such a state is chosen, and no
 * later state can have been chosen before the peeks began: its quorum would meet ours in an acceptor reporting it.
 */
/** Whether these acceptors (those that sent the replies) make a quorum. */
function isQuorum(quorum: QuorumConfig, replies: readonly Granted<AcceptorReply>[]): boolean {
  return quorum.voteResult(new Map(replies.map((r) => [r.index, true]))) === "won";
}

function agreedState(peeks: readonly Granted<Peeked>[], quorum: QuorumConfig): Register | undefined {
  for (const candidate of peeks) {
    const agreeing = new Map<AcceptorId, boolean>();
    for (const p of peeks) if (sameBallot(p.reply.accepted, candidate.reply.accepted)) agreeing.set(p.index, true);
    if (quorum.voteResult(agreeing) === "won") return candidate.reply.state;
  }
  return undefined;
}
