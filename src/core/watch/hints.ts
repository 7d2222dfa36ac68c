import type { Registers } from "../proposer.js";

/** Learns of changes to keys: a hint (key, version) is only a reason to read the key again (key-feed.ts). */
export interface HintSource {
  /** Calls `onHint` with the version of each change hinted for `key` until the returned function is called. */
  subscribe(key: string, onHint: (version: number) => void): () => void;
  /** Calls `onHint` with each change hinted for a key starting with `prefix` until the returned function is called. */
  subscribePrefix(prefix: string, onHint: (key: string, version: number) => void): () => void;
}

/** Where a proposer that chose a change says so. Never throws; a hint that goes nowhere is only a lost hint. */
export type HintSink = (key: string, version: number) => void;

/**
 * The hints of one isolate: the proposer that chose a change tells the watchers served by the same isolate at once
 * (no I/O). Watchers served by other isolates learn of it through the hub (src/watch), or by their rechecks.
 */
export class LocalHints implements HintSource {
  private readonly listeners = new Map<string, Set<(version: number) => void>>();
  /** Few in an isolate (one per prefix stream it serves): every publish looks at each. */
  private readonly prefixListeners = new Set<{ readonly prefix: string; readonly onHint: (key: string, version: number) => void }>();

  subscribe(key: string, onHint: (version: number) => void): () => void {
    let set = this.listeners.get(key);
    if (set === undefined) this.listeners.set(key, (set = new Set()));
    const listener = (version: number) => onHint(version);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  subscribePrefix(prefix: string, onHint: (key: string, version: number) => void): () => void {
    const listener = { prefix, onHint };
    this.prefixListeners.add(listener);
    return () => this.prefixListeners.delete(listener);
  }

  readonly publish: HintSink = (key, version) => {
    // Copies: a listener may unsubscribe while it is told. Every write publishes, so nothing is built when nobody listens.
    const keyListeners = this.listeners.get(key);
    if (keyListeners !== undefined) for (const listener of [...keyListeners]) tell(() => listener(version));
    if (this.prefixListeners.size > 0) {
      for (const { prefix, onHint } of [...this.prefixListeners]) if (key.startsWith(prefix)) tell(() => onHint(key, version));
    }
  };

  /** Keys with at least one subscriber (for tests and metrics). */
  get watchedKeys(): number {
    return this.listeners.size;
  }

  /** Prefix subscriptions (for tests and metrics). */
  get watchedPrefixes(): number {
    return this.prefixListeners.size;
  }
}

/** A watcher's failure is its own: the others still hear of the change. */
function tell(listener: () => void): void {
  try {
    listener();
  } catch {
    // Swallowed on purpose (see above).
  }
}

/**
 * Registers that hint every change they saw applied (after its accept majority: the state is chosen) to `sinks`.
 * Reads hint nothing: a read that completed an earlier proposer's half-written change could hint it, but that
 * proposer, or the watchers' rechecks, cover it.
 */
export function publishingChanges(registers: Registers, ...sinks: HintSink[]): Registers {
  return {
    read: (key) => registers.read(key),
    async change(key, change) {
      const outcome = await registers.change(key, change);
      if (outcome.kind === "applied" && outcome.state !== null && outcome.state.version !== (outcome.previous?.version ?? 0)) {
        for (const sink of sinks) sink(key, outcome.state.version);
      }
      return outcome;
    },
  };
}
