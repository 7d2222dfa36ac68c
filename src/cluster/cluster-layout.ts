import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { Layout } from "../core/layout/layout.js";
import { legacyLayout } from "../core/layout/legacy.js";
import type { LocationHint } from "../core/layout/location-hint.js";
import { Proposer, type ProposerConfig, type Registers } from "../core/proposer.js";
import type { Transport } from "../core/ports.js";
import { casLayout, ConfigRegisterCache, readLayout } from "../core/reconfig/config-register.js";
import type { LayoutCache } from "../core/routing/layout-cache.js";
import { RootGroupTransport } from "./root-group.js";
import { systemClock, systemRandom } from "./runtime.js";

/**
 * What every part that reaches acceptors (the proposer, the collector, the reconfigurer) needs of the Worker's
 * configuration: stated here so that src/cluster needs no config.ts.
 */
export interface ClusterSettings {
  readonly cluster: string;
  /** BALLOT_ACCEPTORS: the root group's N, and the N of the first layout. */
  readonly acceptors: number;
  readonly locationHints: readonly (DurableObjectLocationHint | undefined)[];
  readonly proposer: ProposerConfig;
}

/** The layout of a cluster whose config register was never written: today's 16 shards, as epoch 1. */
export function initialLayout(settings: ClusterSettings): Layout {
  // config.ts admits only the hints of LOCATION_HINTS.
  return legacyLayout(settings.cluster, settings.acceptors, settings.locationHints as readonly (LocationHint | undefined)[]);
}

/** A proposer of the root group (the config register's only user). `wrap` puts the dev fault table on its calls. */
export function rootRegisters(
  namespace: DurableObjectNamespace<Acceptor>,
  settings: ClusterSettings,
  wrap: (transport: Transport) => Transport = (t) => t,
): Registers {
  const transport = new RootGroupTransport(namespace, settings.cluster, settings.acceptors, settings.locationHints);
  // 64 random bits tell proposers apart; short, because every state's lineage stores a few of them.
  const id = `root${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  return new Proposer(id, { ...settings.proposer, acceptors: settings.acceptors }, wrap(transport), systemClock, systemRandom);
}

/**
 * An isolate's copy of the layout. It starts as the first layout and is read from the config register once, before
 * the isolate's first request (`ready`); after that only when an acceptor refuses its epoch (`reload`). A cluster
 * whose register was never written (one created before layouts) gets its first layout written there on that first
 * read: from then on the register, not BALLOT_ACCEPTORS, says where keys live.
 */
export class ClusterLayout implements LayoutCache {
  private readonly cache: ConfigRegisterCache;
  private loading: Promise<void> | null = null;
  private loaded = false;

  constructor(
    private readonly root: Registers,
    private readonly initial: Layout,
  ) {
    this.cache = new ConfigRegisterCache(root, initial);
  }

  current(): Layout {
    return this.cache.current();
  }

  async reload(): Promise<void> {
    await this.load();
  }

  /** Takes a layout read elsewhere (the admin route's reads), unless this copy is newer. */
  update(layout: Layout): void {
    this.cache.update(layout);
  }

  /**
   * Resolves once the first read of the register is done or has failed (a failed one is not waited for again:
   * requests go on with the layout at hand, which is safe, since an acceptor refuses an old epoch and the refusal
   * reloads). The request that finds no read under way makes it; the others poll with timers of their own rather than
   * await its promise: in a Worker, a promise settled by another request's I/O may never settle for them (the other
   * request may be cancelled), so a waiter waits at most `maxWaitMs`.
   */
  async ready(maxWaitMs: number): Promise<void> {
    if (this.loaded) return;
    if (this.loading === null) return this.load();
    const until = Date.now() + maxWaitMs;
    while (!this.loaded && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  private load(): Promise<void> {
    this.loading ??= this.readOrCreate().finally(() => {
      this.loading = null;
      this.loaded = true;
    });
    return this.loading;
  }

  private async readOrCreate(): Promise<void> {
    const read = await readLayout(this.root, this.initial);
    if (!read.ok) {
      console.error(JSON.stringify({ msg: "layout read failed", reason: read.reason }));
      return;
    }
    if (read.value.version === 0) {
      // Never written: pin the first layout. Of two isolates racing, one create wins and the other reads it.
      const written = await casLayout(this.root, read.value, this.initial);
      if (written !== "written") await this.cache.reload();
      return;
    }
    this.cache.update(read.value.layout);
  }
}
