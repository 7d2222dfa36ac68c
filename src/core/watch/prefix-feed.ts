import type { VersionScan } from "../listing/scan-versions.js";
import type { Clock } from "../ports.js";
import type { Registers } from "../proposer.js";
import { KeyFeed, type KeyEvent } from "./key-feed.js";

/** What a watcher of a prefix gets: a key's state, the end of the first look at every key, or the end of the feed. */
export type PrefixSignal =
  | { readonly kind: "event"; readonly event: KeyEvent }
  /** Every key found under the prefix was read once (a key whose read failed comes with a later pass). */
  | { readonly kind: "synced"; readonly keys: number }
  /** More keys under the prefix than a feed follows: the feed stopped. */
  | { readonly kind: "too_many" };

export interface PrefixFeedPorts {
  /** The keys under a prefix with the versions a majority of their acceptors accepted (listing/scan-versions.ts). */
  scan(prefix: string): Promise<VersionScan>;
  readonly read: Registers["read"];
  readonly clock: Clock;
}

export interface PrefixFeedOptions {
  /** The prefixes to follow: one, or a scoped token's readable ranges under it (none inside another). */
  readonly ranges: readonly string[];
  /** A pass over every key (a scan, then reads of the keys that moved) starts this long after the previous one ended. */
  readonly recheckMs: number;
  /** The live keys the watcher already has, at these versions (a resumed stream); empty for a new one. */
  readonly since: ReadonlyMap<string, number>;
  /** Reads in flight at once. */
  readonly readConcurrency: number;
}

/**
 * The states of every key under a prefix, as a watcher sees them (list and watch, issue 20): one KeyFeed per key,
 * so every event comes from a linearizable read of its key and, per key, versions strictly increase. Hints make a
 * key's feed read at once. A pass (at the start, then every `recheckMs`) scans a majority of every group for the
 * keys' accepted versions and reads only the keys whose version is above the watcher's (and the ones it holds that
 * no longer have a row): that finds new keys, and bounds the staleness of a lost hint to about `recheckMs` plus one
 * pass, at the cost of one scan rather than one read per key.
 *
 * A delete is sent only for a key the watcher holds (it got a put, or resumed with it): a tombstone of a key it never
 * saw is noise. `vector` is what the watcher holds: the resume point of its stream.
 */
export class PrefixFeed {
  private readonly feeds = new Map<string, KeyFeed>();
  private readonly live: Map<string, number>;
  private readonly read: Registers["read"];
  private stopped = false;
  private synced = false;

  constructor(
    private readonly ports: PrefixFeedPorts,
    private readonly emit: (signal: PrefixSignal) => void,
    private readonly options: PrefixFeedOptions,
  ) {
    this.live = new Map(options.since);
    this.read = limited(ports.read, options.readConcurrency);
  }

  /** The live keys the watcher has, with their versions. */
  get vector(): ReadonlyMap<string, number> {
    return this.live;
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    for (const feed of this.feeds.values()) feed.stop();
  }

  /** A change of `key` was chosen at `version`: read it unless the watcher has it, or it is not followed. */
  hint(key: string, version?: number): void {
    if (!this.stopped && this.options.ranges.some((range) => key.startsWith(range))) void this.feed(key).hint(version);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.pass();
      if (this.stopped) return;
      await this.ports.clock.timer(this.options.recheckMs).fired;
    }
  }

  private async pass(): Promise<void> {
    const found = new Map<string, number | null>();
    for (const range of this.options.ranges) {
      const scan = await this.ports.scan(range);
      if (this.stopped) return;
      if (scan.kind === "too_many") {
        this.stop();
        this.emit({ kind: "too_many" });
        return;
      }
      // A pass that could not scan tells nothing: hints still work, and the next pass tries again.
      if (scan.kind === "unavailable") return;
      for (const [key, version] of scan.versions) found.set(key, version);
    }
    const looks: Promise<void>[] = [];
    for (const [key, version] of found) looks.push(this.feed(key).hint(version ?? undefined));
    // A key the watcher holds with no row left was deleted and collected: its read says so.
    for (const key of this.live.keys()) if (!found.has(key)) looks.push(this.feed(key).hint());
    await Promise.all(looks);
    if (this.stopped) return;
    // Feeds of keys neither found nor held would only grow the map.
    for (const [key, feed] of this.feeds) {
      if (!found.has(key) && !this.live.has(key)) {
        feed.stop();
        this.feeds.delete(key);
      }
    }
    if (!this.synced) {
      this.synced = true;
      this.emit({ kind: "synced", keys: this.live.size });
    }
  }

  private feed(key: string): KeyFeed {
    let feed = this.feeds.get(key);
    if (feed === undefined) {
      // Not started: its rechecks are the passes.
      feed = new KeyFeed(key, { read: this.read }, this.ports.clock, (event) => this.onEvent(event), { recheckMs: this.options.recheckMs, since: this.live.get(key) ?? 0 });
      this.feeds.set(key, feed);
    }
    return feed;
  }

  private onEvent(event: KeyEvent): void {
    if (this.stopped) return;
    if (event.kind === "delete") {
      if (!this.live.delete(event.key)) return;
    } else {
      this.live.set(event.key, event.version);
    }
    this.emit({ kind: "event", event });
  }
}

/** `read` with at most `concurrency` calls in flight; the others wait their turn in order. */
function limited(read: Registers["read"], concurrency: number): Registers["read"] {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (key) => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await read(key);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
