import type { Scan } from "../messages.js";
import type { Clock } from "../ports.js";
import type { Outcome } from "../proposer.js";
import { isLive, type RegisterState } from "../register.js";
import { compareKeys, prefixEnd } from "./key-order.js";
import { mergePages } from "./merge-pages.js";
import { MAX_REFRESHES, refreshBefore, scanAll, type ScanGroup, type ScanView } from "./scan-groups.js";

export type { ScanGroup, ScanView } from "./scan-groups.js";

/** What a listing needs of the world: the groups of the current layout, linearizable reads, a clock. */
export interface ListingPorts {
  /** Every group that may hold keys (both groups of a pair while a change moves vshards); asked again every step. */
  groups(): ScanView;
  /** Loads a newer layout: an acceptor serves `servedEpoch`, above the layout's. Resolves when done (or failed). */
  refresh(servedEpoch: number): Promise<void>;
  /** A linearizable read, as GET's (the proposer's `read`: it routes by the layout and handles stale epochs). */
  read(key: string): Promise<Outcome>;
  readonly clock: Clock;
}

export interface ListOptions {
  /** The prefixes to list, sorted in key order, none inside another (a scoped token's readable ranges). */
  readonly prefixes: readonly string[];
  /** List keys after this one (exclusive); null: from the first. */
  readonly after: string | null;
  /** At most this many entries. */
  readonly limit: number;
  /** How long one scan round waits for a majority of a group. */
  readonly roundTimeoutMs: number;
  /** A group's scan is retried until this many ms after the start; then the listing is unavailable. */
  readonly deadlineMs: number;
  /** No new step starts after this many ms: the page is then returned short, with its cursor. */
  readonly budgetMs: number;
  /** At most this many steps (scan rounds plus reads); past them the page is returned short, with its cursor. */
  readonly maxSteps: number;
  /** Reads in flight at once. */
  readonly readConcurrency: number;
  /** Whether to take one more entry after `taken` (e.g. a bound on the values' total size); the first always is. */
  readonly more?: (entry: ListedEntry, taken: readonly ListedEntry[]) => boolean;
}

/** A key and the live state a linearizable read found for it during the listing. */
export interface ListedEntry {
  readonly key: string;
  readonly state: RegisterState & { readonly value: Uint8Array };
}

export type ListResult =
  /** `next`: pass it as `after` for the next page; null when the listing is complete. */
  | { readonly kind: "listed"; readonly entries: readonly ListedEntry[]; readonly next: string | null; readonly steps: number; readonly reads: number }
  | { readonly kind: "unavailable"; readonly reason: string };

/** Keys of locks and other internal registers start with a control character; valid keys never do. */
export const INTERNAL_KEY = /[\u0000-\u001f\u007f-\u009f]/;
/** Above every internal key ("\u0001lock:...") and below every valid key (whose first character is at least " "). */
export const FIRST_VALID = "\u001f";

/**
 * One page of a key listing. A step asks a majority of every group for its keys under the prefix after the cursor
 * (a scan: rows present, tombstones and a minority's leftovers included), merges the pages (merge-pages.ts: only up
 * to the smallest last key of a full page is safe), then reads each candidate in key order with a linearizable read
 * and keeps the live ones. Steps repeat until `limit` entries, the end of the keys, or the budget: then the page is
 * returned short, with a cursor past everything examined. Each scan asks for about this group's share of the page,
 * so the work is proportional to the page (plus a little per group), not to the number of keys.
 *
 * Every entry is a state its key had at some point during the call (a read's answer); the page is not a snapshot
 * across keys. A key live through the whole call is listed: its chosen state is on a majority of its group, which
 * meets the majority scanned; and if the layout at hand is stale, a scanned acceptor serves a newer epoch (every
 * change installs its first epoch on a majority of a group the stale layout has), so the step is redone on a fresh one.
 */
export async function listKeys(ports: ListingPorts, options: ListOptions): Promise<ListResult> {
  const { clock } = ports;
  const started = clock.now();
  const entries: ListedEntry[] = [];
  let steps = 0;
  let reads = 0;
  let refreshes = 0;
  /** The last key examined (read, or skipped as safe to pass): a cursor past everything settled so far. */
  let examined: string | null = null;
  const listed = (next: string | null): ListResult => ({ kind: "listed", entries, next, steps, reads });

  for (let r = 0; r < options.prefixes.length; r++) {
    const prefix = options.prefixes[r] as string;
    const lastRange = r === options.prefixes.length - 1;
    const end = prefixEnd(prefix);
    if (options.after !== null && end !== null && compareKeys(options.after, end) >= 0) continue;
    let cursor = options.after;
    if (prefix === "" && (cursor === null || compareKeys(cursor, FIRST_VALID) < 0)) cursor = FIRST_VALID;
    for (;;) {
      if (examined !== null && (steps >= options.maxSteps || clock.now() - started >= options.budgetMs)) {
        return listed(examined);
      }
      steps++;
      const want = options.limit - entries.length;
      const view = ports.groups();
      const scanLimit = Math.min(want, Math.ceil((want * 1.5) / Math.max(1, view.groups.length))) + 16;
      const request: Scan = { type: "scan", prefix, after: cursor, limit: scanLimit };
      const scanned = await scanAll(view.groups, request, clock, options.roundTimeoutMs, started + options.deadlineMs);
      if (scanned === null) return { kind: "unavailable", reason: "a group of acceptors had no majority to list its keys" };
      if (scanned.epoch > view.epoch && refreshes < MAX_REFRESHES) {
        // A newer layout exists (every change installs its epoch on a majority of a group this layout knows, so the
        // majority scanned shows it): its new groups may hold keys this one does not. Reload, and redo this step.
        refreshes++;
        await refreshBefore((epoch) => ports.refresh(epoch), scanned.epoch, clock, started + options.deadlineMs);
        continue;
      }
      const pages = scanned.pages;
      const merged = mergePages(pages, compareKeys);
      const candidates = merged.candidates.filter((key) => !INTERNAL_KEY.test(key) && key.startsWith(prefix));
      for (let i = 0; i < candidates.length; ) {
        const chunk = candidates.slice(i, i + Math.max(1, Math.min(options.readConcurrency, options.limit - entries.length)));
        i += chunk.length;
        reads += chunk.length;
        const outcomes = await Promise.all(chunk.map((key) => ports.read(key)));
        for (let j = 0; j < chunk.length; j++) {
          const key = chunk[j] as string;
          const outcome = outcomes[j] as Outcome;
          if (outcome.kind === "unavailable" || outcome.kind === "unknown") {
            return { kind: "unavailable", reason: `reading ${JSON.stringify(key)}: ${outcome.reason}` };
          }
          const state = outcome.kind === "applied" ? outcome.state : outcome.refusal.current;
          examined = key;
          if (!isLive(state)) continue;
          const entry: ListedEntry = { key, state };
          if (entries.length > 0 && options.more !== undefined && !options.more(entry, entries)) return listed(entries[entries.length - 1]!.key);
          entries.push(entry);
          if (entries.length >= options.limit) {
            const nothingAfter = lastRange && merged.resumeAfter === null && i >= candidates.length && j === chunk.length - 1;
            return listed(nothingAfter ? null : key);
          }
        }
      }
      if (merged.resumeAfter === null) break;
      cursor = merged.resumeAfter;
      examined = maxKey(examined, merged.resumeAfter);
    }
  }
  return listed(null);
}

function maxKey(a: string | null, b: string): string {
  return a === null || compareKeys(a, b) < 0 ? b : a;
}
