import { compareAndSet, create } from "../change.js";
import { decodeLayout, encodeLayout } from "../layout/codec.js";
import type { Layout } from "../layout/layout.js";
import type { Registers } from "../proposer.js";
import type { LayoutCache } from "../routing/layout-cache.js";

/**
 * The config register: the layout as a CASPaxos register on the fixed root group, changed through the same proposer
 * code as any key. Its key is only ever placed on the root group, never by a layout (that would be circular).
 */
export const CONFIG_KEY = "ballot/layout";

const CONTENT_TYPE = "application/json";

/** The layout with the register version it was read at (0: never written, the cluster's first layout). */
export interface VersionedLayout {
  readonly layout: Layout;
  readonly version: number;
}

export type ReadLayout = { readonly ok: true; readonly value: VersionedLayout } | { readonly ok: false; readonly reason: string };

/** A linearizable read of the layout. A register never written holds `initial` (legacyLayout: today's 16 shards). */
export async function readLayout(root: Registers, initial: Layout): Promise<ReadLayout> {
  const outcome = await root.read(CONFIG_KEY);
  if (outcome.kind !== "applied") return { ok: false, reason: `the config register could not be read: ${outcome.kind}` };
  const state = outcome.state;
  if (state === null || state.value === null) return { ok: true, value: { layout: initial, version: 0 } };
  const decoded = decodeLayout(new TextDecoder().decode(state.value));
  if (!decoded.ok) return { ok: false, reason: `the config register holds no valid layout: ${decoded.error.message}` };
  return { ok: true, value: { layout: decoded.value, version: state.version } };
}

/**
 * Replaces the layout read at `from` by `next`, only if the register is still at that version: of two reconfigurers
 * racing, one wins and the other reads again. "lost" covers both a lost race and an outcome that may or may not have
 * been applied: either way the caller reads the register again before going on.
 */
export async function casLayout(root: Registers, from: VersionedLayout, next: Layout): Promise<"written" | "lost" | "unavailable"> {
  const value = new TextEncoder().encode(encodeLayout(next));
  const change = from.version === 0 ? create(value, CONTENT_TYPE) : compareAndSet(from.version, value, CONTENT_TYPE);
  const outcome = await root.change(CONFIG_KEY, change);
  if (outcome.kind === "applied") return "written";
  return outcome.kind === "unavailable" ? "unavailable" : "lost";
}

/**
 * A proposer's layout cache over the config register: the layout it last read, read again only when asked (after an
 * acceptor refused its epoch). A read that fails, or finds an older epoch than it holds, leaves it as it was.
 */
export class ConfigRegisterCache implements LayoutCache {
  private layout: Layout;

  constructor(
    private readonly root: Registers,
    private readonly initial: Layout,
    cached: Layout = initial,
  ) {
    this.layout = cached;
  }

  current(): Layout {
    return this.layout;
  }

  /** Takes a layout read elsewhere (the reconfigurer's own reads), unless it holds a newer one. */
  update(layout: Layout): void {
    if (layout.epoch >= this.layout.epoch) this.layout = layout;
  }

  async reload(): Promise<void> {
    const read = await readLayout(this.root, this.initial);
    if (read.ok && read.value.layout.epoch >= this.layout.epoch) this.layout = read.value.layout;
  }
}
