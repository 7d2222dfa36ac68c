import { BallotIssuer, compareBallots, sameBallot, type Ballot } from "./ballot.js";
import { backoffDelay, type BackoffPolicy } from "./backoff.js";
import { read, type Change, type Refusal } from "./change.js";
import type { Peeked, Promised } from "./messages.js";
import type { Clock, Random, Transport } from "./ports.js";
import { majority, runRound } from "./quorum.js";
import { versionOf, type Register } from "./register.js";
import { PromiseCache } from "./promise-cache.js";

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
  /** Accepts carry the proposer's next ballot as a promise, so its next change of the key skips the prepare. */
  readonly piggyback: boolean;
  /** How many keys' piggybacked promises one proposer remembers. */
  readonly promiseCacheSize: number;
}

export const DEFAULT_PROPOSER_CONFIG: ProposerConfig = {
  acceptors: 3,
  roundTimeoutMs: 1000,
  deadlineMs: 4000,
  backoff: { baseMs: 4, maxMs: 200 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 10_000,
};

/** What a proposer observed doing one request; reported in Server-Timing and logs. */
export interface RoundStats {
  rounds: number;
  attempts: number;
  conflicts: number;
  peekMs: number;
  prepareMs: number;
  acceptMs: number;
  fastPath: "peek" | "piggyback" | null;
}

export type Outcome =
  /** The change was chosen (for a read: the state is the register's value at some point during the call). */
  | { readonly kind: "applied"; readonly state: Register; readonly previous: Register; readonly stats: RoundStats }
  /** The change declined (e.g. a failed compare-and-set) against a chosen state; nothing was changed. */
  | { readonly kind: "refused"; readonly refusal: Refusal; readonly stats: RoundStats }
  /** Definitely not applied: no accept carrying this change can ever be chosen. Safe to retry. */
  | { readonly kind: "unavailable"; readonly reason: string; readonly stats: RoundStats }
  /** Maybe applied, maybe not: an accept carrying the change was sent and no majority confirmed it. */
  | { readonly kind: "unknown"; readonly reason: string; readonly stats: RoundStats };

/**
 * The CASPaxos proposer: turns a change of one key into prepare and accept rounds over N acceptors.
 *
 * Beyond the paper it recovers from its own lost accepts. Every state records the request that produced it
 * (`origin`) and versions grow by one per change, so after an accept that no majority confirmed, a fresh prepare
 * tells whether the change made it in (the highest state is ours), can never make it in (the highest state has a
 * version at or below every state we proposed and is not ours: ours is neither its ancestor nor chosen, and our next
 * accept at a higher ballot buries it), or cannot tell (a newer state exists): only then is the outcome unknown.
 */
export class Proposer {
  private readonly ballots: BallotIssuer;
  private readonly quorum: number;
  private readonly promises: PromiseCache;
  private requests = 0;

  constructor(
    readonly id: string,
    private readonly config: ProposerConfig,
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.ballots = new BallotIssuer(id, () => clock.now());
    this.quorum = majority(config.acceptors);
    this.promises = new PromiseCache(config.promiseCacheSize);
  }

  /** A linearizable read: one peek round when a majority agrees, otherwise a full identity change. */
  async read(key: string): Promise<Outcome> {
    if (!this.config.peekReads) return this.change(key, read());
    const stats = newStats();
    const started = this.clock.now();
    const tally = await runRound<Peeked>(
      this.config.acceptors,
      this.quorum,
      "peeked",
      (i) => this.transport.send(i, { type: "peek", key }),
      this.clock,
      this.config.roundTimeoutMs,
    );
    stats.rounds++;
    stats.peekMs += this.clock.now() - started;
    const agreed = agreedState(tally.granted.map((g) => g.reply), this.quorum);
    if (agreed !== undefined) {
      stats.fastPath = "peek";
      return { kind: "applied", state: agreed, previous: agreed, stats };
    }
    // Disagreement (a change in flight, or a lagging acceptor): settle it with a full round that writes back.
    return this.change(key, read(), stats);
  }

  async change(key: string, change: Change, stats: RoundStats = newStats()): Promise<Outcome> {
    const origin = `${this.id}:${++this.requests}`;
    const deadline = this.clock.now() + this.config.deadlineMs;
    // Lowest version among the states this request has proposed; Infinity while it has proposed none.
    let lowestCandidate = Infinity;
    // The state each of our candidates was computed from, by the candidate's version.
    const bases = new Map<number, Register>();
    const giveUp = (reason: string): Outcome =>
      lowestCandidate === Infinity
        ? { kind: "unavailable", reason, stats }
        : { kind: "unknown", reason, stats };

    for (;;) {
      if (stats.attempts > 0) {
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) return giveUp("deadline exceeded");
        await this.clock.timer(Math.min(remaining, backoffDelay(stats.attempts, this.config.backoff, this.random)))
          .fired;
        if (this.clock.now() >= deadline) return giveUp("deadline exceeded");
      }
      stats.attempts++;

      // Phase 1, skipped when our previous accept on this key already carried the promise for this ballot.
      let ballot: Ballot;
      let current: Register;
      const cached = lowestCandidate === Infinity ? this.promises.take(key) : undefined;
      if (cached !== undefined) {
        ballot = cached.ballot;
        current = cached.state;
        stats.fastPath = "piggyback";
      } else {
        stats.fastPath = null;
        ballot = this.ballots.next();
        const started = this.clock.now();
        const tally = await runRound<Promised>(
          this.config.acceptors,
          this.quorum,
          "promised",
          (i) => this.transport.send(i, { type: "prepare", key, ballot }),
          this.clock,
          this.config.roundTimeoutMs,
        );
        stats.rounds++;
        stats.prepareMs += this.clock.now() - started;
        if (tally.granted.length < this.quorum) {
          this.ballots.observe(tally.highestSeen);
          if (tally.rejected.length > 0) stats.conflicts++;
          continue;
        }
        current = highestAccepted(tally.granted.map((g) => g.reply));
      }

      // Recovery: an earlier accept of ours may or may not have been chosen.
      let decision = change.apply(current, origin);
      let previous = current;
      if (lowestCandidate !== Infinity) {
        if (current !== null && current.origin === origin) {
          // Ours made it: write it back so it is chosen, and report it.
          decision = { kind: "apply", next: current };
          previous = bases.get(current.version) ?? null;
        } else if (versionOf(current) > lowestCandidate) {
          return { kind: "unknown", reason: "a newer state may or may not include this change", stats };
        }
      }

      const next = decision.kind === "apply" ? decision.next : current;
      if (next !== current) {
        lowestCandidate = Math.min(lowestCandidate, versionOf(next));
        bases.set(versionOf(next), current);
      }
      const promiseNext = this.config.piggyback ? this.ballots.next() : undefined;
      const started = this.clock.now();
      const tally = await runRound(
        this.config.acceptors,
        this.quorum,
        "accepted",
        (i) => this.transport.send(i, { type: "accept", key, ballot, state: next, promiseNext }),
        this.clock,
        this.config.roundTimeoutMs,
      );
      stats.rounds++;
      stats.acceptMs += this.clock.now() - started;
      if (tally.granted.length >= this.quorum) {
        // Only a majority that took the piggybacked promise makes skipping the next prepare safe.
        if (promiseNext !== undefined) this.promises.put(key, { ballot: promiseNext, state: next });
        return decision.kind === "apply"
          ? { kind: "applied", state: next, previous, stats }
          : { kind: "refused", refusal: decision.refusal, stats };
      }
      this.promises.drop(key);
      this.ballots.observe(tally.highestSeen);
      if (tally.rejected.length > 0) stats.conflicts++;
    }
  }
}

function newStats(): RoundStats {
  return { rounds: 0, attempts: 0, conflicts: 0, peekMs: 0, prepareMs: 0, acceptMs: 0, fastPath: null };
}

/** The state accepted at the highest ballot among the promises (null when none accepted anything). */
function highestAccepted(promises: readonly Promised[]): Register {
  let best: Promised | undefined;
  for (const p of promises) if (best === undefined || compareBallots(p.accepted, best.accepted) > 0) best = p;
  return best?.state ?? null;
}

/**
 * The state a majority accepted at one and the same ballot, if the peeks show one. Such a state is chosen, and no
 * later state can have been chosen before the peeks began: its majority would meet ours in an acceptor reporting it.
 */
function agreedState(peeks: readonly Peeked[], quorum: number): Register | undefined {
  for (const candidate of peeks) {
    const agreeing = peeks.filter((p) => sameBallot(p.accepted, candidate.accepted));
    if (agreeing.length >= quorum) return candidate.state;
  }
  return undefined;
}
