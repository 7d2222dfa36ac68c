import type { Layout } from "../layout/layout.js";

/**
 * A proposer's copy of the layout (one per isolate). It is used as is until an acceptor refuses its epoch; only then,
 * or on a cold start, is it read again, so a steady-state request pays nothing for it.
 */
export interface LayoutCache {
  current(): Layout;
  /** Reads the layout afresh (a linearizable read of the config register); resolves once `current` is the newest read. */
  reload(): Promise<void>;
}
