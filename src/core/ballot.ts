/**
 * Ballots order proposers. A ballot is (counter, proposer): ordered by counter, the proposer id only breaks ties,
 * so two proposers can never issue the same ballot.
 */
export interface Ballot {
  readonly counter: number;
  readonly proposer: string;
}

/** Negative, zero or positive as a orders before, equal to or after b. `null` (no ballot) orders before any ballot. */
export function compareBallots(a: Ballot | null, b: Ballot | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.proposer < b.proposer ? -1 : a.proposer > b.proposer ? 1 : 0;
}

export function sameBallot(a: Ballot | null, b: Ballot | null): boolean {
  return compareBallots(a, b) === 0;
}

export function maxBallot(a: Ballot | null, b: Ballot | null): Ballot | null {
  return compareBallots(a, b) >= 0 ? a : b;
}

export function formatBallot(b: Ballot | null): string {
  return b === null ? "-" : `${b.counter}.${b.proposer}`;
}

/**
 * Issues strictly increasing ballots for one proposer. The clock is only a floor that keeps a fresh proposer from
 * starting far below ballots already in use; correctness never depends on it.
 */
export class BallotIssuer {
  private last = 0;

  constructor(
    readonly proposer: string,
    private readonly now: () => number,
  ) {}

  next(): Ballot {
    this.last = Math.max(this.last + 1, Math.floor(this.now()));
    return { counter: this.last, proposer: this.proposer };
  }

  /** Fast-forward past a ballot seen elsewhere, so the next ballot beats it. */
  observe(seen: Ballot | null): void {
    if (seen !== null && seen.counter > this.last) this.last = seen.counter;
  }
}
