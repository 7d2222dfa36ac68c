import { compareKeys } from "./key-order.js";
import { FIRST_VALID, INTERNAL_KEY, type ListingPorts } from "./list-keys.js";
import { mergePages } from "./merge-pages.js";
import { MAX_REFRESHES, refreshBefore, scanAll } from "./scan-groups.js";

export interface VersionScanOptions {
  /** Keys asked of each acceptor per step. */
  readonly pageSize: number;
  /** How long one scan round waits for a majority of a group. */
  readonly roundTimeoutMs: number;
  /** The whole scan gives up (unavailable) this many ms after its start. */
  readonly deadlineMs: number;
  /** More keys than this under the prefix: the scan stops (too_many). */
  readonly maxKeys: number;
}

export type VersionScan =
  /**
   * Every key with a row under the prefix on the majorities scanned, with the highest version of a state any of them
   * accepted; null when an acceptor did not say (older code): read the key to know.
   */
  | { readonly kind: "scanned"; readonly versions: ReadonlyMap<string, number | null> }
  | { readonly kind: "unavailable"; readonly reason: string }
  | { readonly kind: "too_many" };

/**
 * The keys under `prefix` with the version each one's acceptors accepted, from a majority of every group: what a
 * watch of the prefix rechecks instead of reading every key. A state chosen at version v before the scan began is on
 * a majority of its group, and every later state accepted there has a version of at least v (a proposal starts from
 * the highest accepted state its prepare majority saw), so the scan reports at least v for the key: a watcher whose
 * last event is older reads the key (a linearizable read decides what it gets). Keys deleted and then collected have
 * no row: a watcher still holding one reads it. Nothing here is taken as a key's state; the versions only say which
 * keys to read.
 */
export async function scanVersions(ports: Pick<ListingPorts, "groups" | "refresh" | "clock">, prefix: string, options: VersionScanOptions): Promise<VersionScan> {
  const { clock } = ports;
  const started = clock.now();
  let refreshes = 0;
  restart: for (;;) {
    const versions = new Map<string, number | null>();
    let cursor: string | null = prefix === "" ? FIRST_VALID : null;
    for (;;) {
      const view = ports.groups();
      const request = { type: "scan", prefix, after: cursor, limit: options.pageSize } as const;
      const scanned = await scanAll(view.groups, request, clock, options.roundTimeoutMs, started + options.deadlineMs);
      if (scanned === null) return { kind: "unavailable", reason: "a group of acceptors had no majority to scan" };
      if (scanned.epoch > view.epoch && refreshes < MAX_REFRESHES) {
        // A newer layout: its groups may hold newer states of keys already passed. Reload and scan again from the start.
        refreshes++;
        await refreshBefore((epoch) => ports.refresh(epoch), scanned.epoch, clock, started + options.deadlineMs);
        continue restart;
      }
      const merged = mergePages(scanned.pages, compareKeys);
      const safe = new Set(merged.candidates);
      for (const page of scanned.pages) {
        page.keys.forEach((key, i) => {
          if (!safe.has(key) || INTERNAL_KEY.test(key) || !key.startsWith(prefix)) return;
          const version = page.versions?.[i];
          const known = versions.has(key) ? versions.get(key)! : 0;
          versions.set(key, version === undefined || known === null ? null : Math.max(known, version));
        });
      }
      if (versions.size > options.maxKeys) return { kind: "too_many" };
      if (merged.resumeAfter === null) return { kind: "scanned", versions };
      cursor = merged.resumeAfter;
    }
  }
}
