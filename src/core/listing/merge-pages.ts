/**
 * One acceptor's page of a key listing: keys it holds a row for, in key order, after the listing's cursor. `full`:
 * it stopped at the page limit, so it may hold more keys after its last one.
 */
export interface AcceptorPage {
  readonly keys: readonly string[];
  readonly full: boolean;
}

export interface MergedPage {
  /** The keys to read (a linearizable read of each decides whether it is listed), in key order. */
  readonly candidates: readonly string[];
  /** Where the next page starts (exclusive), or null when every acceptor asked has no more. */
  readonly resumeAfter: string | null;
}

/**
 * Merges the pages of the acceptors asked for one listing step (at least a majority of each group, so every key
 * whose state is chosen is on one of them). An acceptor whose page is full may hold keys after its last one that
 * others did not report (another acceptor's leftovers filled their pages), so only keys up to the smallest last key
 * of a full page are safe to take now: the next step resumes after that key and nothing is skipped. Keys on fewer
 * than a majority (a write that never completed) are candidates too; the read of each tells what is chosen.
 * `compare` orders keys as the acceptors do (by their UTF-8 bytes).
 */
export function mergePages(pages: readonly AcceptorPage[], compare: (a: string, b: string) => number): MergedPage {
  let bound: string | null = null;
  for (const page of pages) {
    const last = page.keys[page.keys.length - 1];
    if (page.full && last !== undefined && (bound === null || compare(last, bound) < 0)) bound = last;
  }
  const seen = new Set<string>();
  for (const page of pages) {
    for (const key of page.keys) if (bound === null || compare(key, bound) <= 0) seen.add(key);
  }
  return { candidates: [...seen].sort(compare), resumeAfter: bound };
}
