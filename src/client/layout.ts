import { BallotError, errorFromResponse } from "./errors.js";

/** One acceptor object of a group: its Durable Object name and the location hint it was created with. */
export interface LayoutAcceptor {
  readonly name: string;
  readonly locationHint: string | null;
}

export interface LayoutGroup {
  readonly id: number;
  readonly acceptors: readonly LayoutAcceptor[];
}

/**
 * A layout change as the server reports it. `step` goes joint → catch-up → final → done; `vshardsDone` of
 * `vshardsTotal` moving vshards are caught up, `keysCopied` keys rewritten on their new group so far.
 */
export interface LayoutChangeStatus {
  readonly id: number;
  readonly kind: "groups" | "acceptors" | "replace";
  readonly state: "running" | "done" | "failed";
  readonly step: "joint" | "catch-up" | "final" | "done";
  readonly vshardsDone: number;
  readonly vshardsTotal: number;
  readonly keysCopied: number;
  /** Why it failed (only when `state` is "failed"; the moving vshards went back to their old groups). */
  readonly error?: string;
}

/** The answer of `GET /v1/admin/layout`: which groups of acceptor objects hold the vshards, in which epoch. */
export interface Layout {
  readonly epoch: number;
  readonly vshards: number;
  readonly groups: readonly LayoutGroup[];
  /** The latest change, running or finished; null before the first. */
  readonly change: LayoutChangeStatus | null;
}

/**
 * What an operator may ask for (`POST /v1/admin/layout`), one at a time:
 * - `{ groups: 32 }`: spread the vshards evenly over that many groups (new groups get new objects);
 * - `{ acceptors: 5, locationHints: [...] }`: every group to that N (3, 5 or 7) and those hints (one per acceptor);
 * - `{ replace: { group, index, locationHint? } }`: a fresh object takes that acceptor's place.
 */
export type LayoutChangeRequest =
  | { readonly groups: number }
  | { readonly acceptors: number; readonly locationHints?: readonly (string | null)[] }
  | { readonly replace: { readonly group: number; readonly index: number; readonly locationHint?: string } };

/** What a started change is called, and the epoch the server wrote to start it. */
export interface LayoutChangeStarted {
  readonly change: number;
  readonly epoch: number;
}

export interface WaitOptions {
  /** How often to ask (default 1,000 ms). */
  readonly pollMs?: number;
  /** Called with every status seen, e.g. to show progress. */
  readonly onProgress?: (change: LayoutChangeStatus) => void;
  /** Stops waiting (the change itself goes on). */
  readonly signal?: AbortSignal;
}

/** The operator's calls. They need an admin token when the server has `BALLOT_ADMIN_TOKENS` (a data token gets 403). */
export interface LayoutApi {
  layout(): Promise<Layout>;
  /**
   * Starts a change; it runs in the background on the server. `Conflict` (409 `change_in_progress`) while another
   * runs, `BadRequest` for a request that does not fit the layout.
   */
  changeLayout(request: LayoutChangeRequest): Promise<LayoutChangeStarted>;
  /** Polls until change `id` is done (resolves with its final status) or failed (throws `LayoutChangeFailed`). */
  waitForLayoutChange(id: number, options?: WaitOptions): Promise<LayoutChangeStatus>;
}

/** A layout change the server gave up on (its vshards stayed with, or went back to, their old groups). */
export class LayoutChangeFailed extends BallotError {
  override readonly name = "LayoutChangeFailed";
}

type Send = (method: string, path: string, headers: Record<string, string>, body?: Uint8Array) => Promise<Response>;

export const LAYOUT_PATH = "/v1/admin/layout";

export function createLayoutApi(send: Send): LayoutApi {
  async function layout(): Promise<Layout> {
    const response = await send("GET", LAYOUT_PATH, {});
    if (response.status !== 200) throw await errorFromResponse(response);
    return (await response.json()) as Layout;
  }

  async function changeLayout(request: LayoutChangeRequest): Promise<LayoutChangeStarted> {
    const body = new TextEncoder().encode(JSON.stringify(request));
    const response = await send("POST", LAYOUT_PATH, { "content-type": "application/json" }, body);
    if (response.status !== 202) throw await errorFromResponse(response);
    return (await response.json()) as LayoutChangeStarted;
  }

  async function waitForLayoutChange(id: number, options: WaitOptions = {}): Promise<LayoutChangeStatus> {
    const pollMs = options.pollMs ?? 1000;
    for (;;) {
      options.signal?.throwIfAborted();
      const { change } = await layout();
      // A later change can only start once this one ended, so a newer id means this one is over: its record is gone.
      if (change === null || change.id < id) {
        throw new BallotError(`layout change ${id} is not known to the server`, "unknown_change", 200);
      }
      if (change.id > id) {
        throw new BallotError(`layout change ${id} ended; change ${change.id} has started since, so its outcome is no longer shown`, "change_superseded", 200);
      }
      options.onProgress?.(change);
      if (change.state === "done") return change;
      if (change.state === "failed") {
        throw new LayoutChangeFailed(`layout change ${id} failed in step ${change.step}: ${change.error ?? "no reason given"}`, "change_failed", 200, { change });
      }
      await delay(pollMs, options.signal);
    }
  }

  return { layout, changeLayout, waitForLayoutChange };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
