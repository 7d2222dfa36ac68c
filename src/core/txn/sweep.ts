import { compareKeys } from "../listing/key-order.js";
import { mergePages, type AcceptorPage } from "../listing/merge-pages.js";
import type { AcceptorReply, FindIntents, IntentKeys } from "../messages.js";
import type { Clock } from "../ports.js";
import type { Registers } from "../proposer.js";
import { majority } from "../quorum/majority.js";
import { sweepKey } from "./resolver.js";

/** What one sweep of a group needs: its acceptors, the proposer's registers, a clock. */
export interface SweepPorts {
  /** The group's acceptors, asked by index 0 .. acceptors - 1. */
  readonly acceptors: number;
  send(index: number, request: FindIntents): Promise<AcceptorReply>;
  /**
   * The proposer's registers, NOT the transaction-aware ones (as the coordinator's): each key found is read and its
   * intent resolved through them, routed by the layout like any change.
   */
  readonly registers: Registers;
  readonly clock: Clock;
}

export interface SweepOptions {
  /** As TxnSettings.staleMs: a transaction pending this long after it began is aborted by the sweep. */
  readonly staleMs: number;
  /** Keys asked of each acceptor per page. */
  readonly pageSize: number;
  /** Keys swept at once (each is a read, and for an intent a record read, maybe an abort, and a resolution). */
  readonly concurrency: number;
  /** How long a page waits for the acceptors that have not answered (it needs a majority). */
  readonly roundTimeoutMs: number;
  /** At most about this many keys per sweep; more is left for the next one (`backlog`). */
  readonly maxKeys: number;
}

export interface SweepReport {
  /** Keys some acceptor listed as holding an intent. */
  found: number;
  /** Intents this sweep resolved (rolled forward or dropped). */
  resolved: number;
  /** Keys listed whose chosen state held no intent (resolved meanwhile, or a leftover of a minority). */
  clear: number;
  /** Intents of transactions still within their time: they need another sweep. */
  pending: number;
  /** Keys whose read, record or resolution could not be settled: they need another sweep. */
  failed: number;
  /** A page had no majority of answers: the keys after the last complete page are unknown. */
  unreachable: boolean;
  /** Stopped at `maxKeys` with more pages to go. */
  backlog: boolean;
  /** The highest epoch an acceptor that answered serves (above the sweeper's layout: load the newer one). */
  epoch: number;
}

export function emptySweepReport(): SweepReport {
  return { found: 0, resolved: 0, clear: 0, pending: 0, failed: 0, unreachable: false, backlog: false, epoch: 0 };
}

/**
 * One background sweep of a group's intents (issue 23): list the keys whose accepted state holds an intent on the
 * group's acceptors, page by page, and run `sweepKey` on each (resolve it if its transaction is decided or stale).
 *
 * Why the union of a majority's pages is enough: an intent that is chosen (the key's state holds it) was accepted
 * by a majority, and every later state of the key is built on it until it is resolved, so a majority of the group's
 * acceptors have an accepted state with it, and every majority shares an acceptor with that one. (A resolution that
 * some acceptors accepted and that was not chosen can hide the intent from some majority; it comes back only through
 * a proposer that meets it, whose caller then resolves it or wakes the sweep: sweep-trigger.ts.) Pages are merged as
 * a listing's are (merge-pages.ts: past the smallest last key of a full page, an acceptor may hold keys the others
 * did not report), so no key is skipped. A key on fewer than a majority (an accept that never completed) may be
 * listed too: the read decides what is chosen. Every acceptor is asked; a page waits for those that have not
 * answered until `roundTimeoutMs`, then goes on with a majority (the slowest acceptor must not stop the sweep).
 */
export async function sweepIntents(ports: SweepPorts, options: SweepOptions): Promise<SweepReport> {
  const report = emptySweepReport();
  let cursor: string | null = null;
  for (;;) {
    const pages = await askAll(ports, { type: "intents", after: cursor, limit: options.pageSize }, options.roundTimeoutMs);
    if (pages === null) {
      report.unreachable = true;
      return report;
    }
    for (const page of pages) report.epoch = Math.max(report.epoch, page.epoch);
    const merged = mergePages(pages as readonly AcceptorPage[], compareKeys);
    report.found += merged.candidates.length;
    await sweepKeys(ports, options, merged.candidates, report);
    if (merged.resumeAfter === null) return report;
    cursor = merged.resumeAfter;
    if (report.found >= options.maxKeys) {
      report.backlog = true;
      return report;
    }
  }
}

/** Every acceptor's page, or null when fewer than a majority answered within the timeout. */
async function askAll(ports: SweepPorts, request: FindIntents, timeoutMs: number): Promise<IntentKeys[] | null> {
  const timer = ports.clock.timer(timeoutMs);
  const timedOut = timer.fired.then(() => null);
  const replies = await Promise.all(
    Array.from({ length: ports.acceptors }, (_, i) => {
      let reply: Promise<AcceptorReply>;
      try {
        reply = ports.send(i, request);
      } catch (error) {
        reply = Promise.reject(error);
      }
      const page = reply.then(
        (r) => (r.type === "intent-keys" ? r : null),
        () => null,
      );
      return Promise.race([page, timedOut]);
    }),
  );
  timer.cancel();
  const pages = replies.filter((r): r is IntentKeys => r !== null);
  return pages.length >= majority(ports.acceptors) ? pages : null;
}

/** `sweepKey` on each key, `concurrency` at a time, counted into `report`. */
async function sweepKeys(ports: SweepPorts, options: SweepOptions, keys: readonly string[], report: SweepReport): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const outcome = await sweepKey(ports.registers, key, () => ports.clock.now(), options.staleMs).catch(() => "failed" as const);
      report[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
}
