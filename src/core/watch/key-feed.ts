import type { Clock } from "../ports.js";
import type { Registers } from "../proposer.js";
import type { Register } from "../register.js";

/** One observed state of a key: what a watcher gets. `state` is null for a key that never existed. */
export interface KeyEvent {
  readonly key: string;
  readonly version: number;
  readonly kind: "put" | "delete";
  readonly state: Register;
}

export interface KeyFeedOptions {
  /** How often the key is read again with no hint (the staleness bound when every hint is lost). */
  readonly recheckMs: number;
  /** The highest version the watchers already have (a resumed stream); 0 for none. */
  readonly since?: number;
}

/**
 * The states of one key, as watchers see them (list and watch, issue 20). A change notification ("hint") is only a
 * reason to look: every event comes from a linearizable read of the key, so a lost, late, duplicated or wrong hint
 * can delay an event, never make it wrong. Guarantees, for every event after the first:
 * - its version is above the previous event's (stale reads and replays are dropped);
 * - it is a state the register had at some point after the previous event (the read began after that event);
 * - with no hint at all the feed reads every `recheckMs`, so the latest state arrives within about `recheckMs` plus
 *   one read after it was chosen.
 * Versions in between may be skipped, as ZooKeeper's and Consul's watches do.
 */
export class KeyFeed {
  private delivered: number;
  private reading = false;
  /** A hint arrived during a read: read once more when it ends (the hint may name a state the read missed). */
  private again = false;
  private stopped = false;
  /** The look in progress (it loops again when hinted meanwhile). */
  private current: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    private readonly registers: Pick<Registers, "read">,
    private readonly clock: Clock,
    private readonly emit: (event: KeyEvent) => void,
    private readonly options: KeyFeedOptions,
  ) {
    this.delivered = options.since ?? 0;
  }

  /** The version of the last event (or `since`). */
  get version(): number {
    return this.delivered;
  }

  /** Starts the periodic rechecks, with a first read at once. */
  start(): void {
    void this.recheckLoop();
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Someone chose a state of the key (at `version`, if it said): look, unless the watchers already have it. Resolves
   * when the look that covers this hint has ended (at once when none was needed).
   */
  hint(version?: number): Promise<void> {
    if (this.stopped || (version !== undefined && version <= this.delivered)) return Promise.resolve();
    if (this.reading) this.again = true;
    else this.current = this.look();
    return this.current;
  }

  private async recheckLoop(): Promise<void> {
    while (!this.stopped) {
      if (!this.reading) await (this.current = this.look());
      await this.clock.timer(this.options.recheckMs).fired;
    }
  }

  private async look(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const outcome = await this.registers.read(this.key);
        // A read that did not complete tells nothing; the next hint or recheck tries again.
        if (outcome.kind !== "applied" || this.stopped) continue;
        const state = outcome.state;
        const version = state?.version ?? 0;
        if (version <= this.delivered) continue;
        this.delivered = version;
        this.emit({ key: this.key, version, kind: state?.value === null || state === null ? "delete" : "put", state });
      } while (this.again && !this.stopped);
    } finally {
      this.reading = false;
    }
  }
}
