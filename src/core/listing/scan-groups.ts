import type { AcceptorReply, Scan, Scanned } from "../messages.js";
import type { AcceptorId, QuorumConfig } from "../quorum/quorum-config.js";
import type { Clock } from "../ports.js";
import { runRound } from "../round.js";
import type { AcceptorPage } from "./merge-pages.js";

/** One group of acceptor objects to scan: a majority of it holds every state chosen on it. */
export interface ScanGroup {
  readonly quorum: QuorumConfig;
  send(id: AcceptorId, request: Scan): Promise<AcceptorReply>;
}

/** The groups of one layout, and its epoch. */
export interface ScanView {
  readonly epoch: number;
  readonly groups: readonly ScanGroup[];
}

/** One acceptor's answer to a scan: its page, and the version of each key's accepted state when it said. */
export interface ScannedPage extends AcceptorPage {
  readonly versions?: readonly number[];
}

/**
 * One scan round per group, each settled at the group's first majority; a group whose round failed or timed out is
 * asked again (a scan writes nothing, so repeating it is free of risk) until the deadline. Null: some group had no
 * majority by then.
 */
export async function scanAll(
  groups: readonly ScanGroup[],
  request: Scan,
  clock: Clock,
  roundTimeoutMs: number,
  deadline: number,
): Promise<{ pages: ScannedPage[]; epoch: number } | null> {
  const pages: ScannedPage[] = [];
  let epoch = 0;
  let pending = groups;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const left = deadline - clock.now();
    if (left <= 0) return null;
    if (attempt > 0) {
      const pause = clock.timer(Math.min(left / 2, 10 * attempt));
      await pause.fired;
    }
    const timeoutMs = Math.max(1, Math.min(roundTimeoutMs, deadline - clock.now()));
    const tallies = await Promise.all(pending.map((g) => runRound<Scanned>(g.quorum, "scanned", (id) => g.send(id, request), clock, timeoutMs)));
    const failed: ScanGroup[] = [];
    tallies.forEach((t, i) => {
      if (t.result === "won") {
        for (const { reply } of t.granted) {
          pages.push({ keys: reply.keys, full: reply.full, ...(reply.versions === undefined ? {} : { versions: reply.versions }) });
          epoch = Math.max(epoch, reply.epoch);
        }
      }
      else failed.push(pending[i] as ScanGroup);
    });
    pending = failed;
  }
  return { pages, epoch };
}

/** Reloads of the layout one listing or scan may make when acceptors serve a newer epoch than the one at hand. */
export const MAX_REFRESHES = 2;

/** Waits for `refresh(servedEpoch)`, but not past `deadline`: a reload that hangs must not hold the caller past it. */
export async function refreshBefore(refresh: (servedEpoch: number) => Promise<void>, servedEpoch: number, clock: Clock, deadline: number): Promise<void> {
  const left = clock.timer(Math.max(0, deadline - clock.now()));
  await Promise.race([refresh(servedEpoch), left.fired]);
  left.cancel();
}
