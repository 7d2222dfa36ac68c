import type { BallotConfig } from "../config.js";
import { Proposer, type Registers } from "../core/proposer.js";
import type { Transport } from "../core/ports.js";
import type { NamedTransport } from "../core/routing/named-transport.js";
import { LayoutRouter } from "../core/routing/layout-router.js";
import type { Env } from "../env.js";
import { ClusterLayout, initialLayout, rootRegisters, type ClusterSettings } from "../cluster/cluster-layout.js";
import { DurableObjectNamedTransport } from "../cluster/named-object-transport.js";
import { systemClock, systemRandom } from "../cluster/runtime.js";
import { keyLister, versionScanner, type KeyLister, type VersionScanner } from "./key-lister.js";

/** Where the dev fault table goes on the real call paths (tests and the console put faults there). */
export interface TransportWrappers {
  readonly root: (transport: Transport) => Transport;
  readonly named: (transport: NamedTransport) => NamedTransport;
}

const BARE: TransportWrappers = { root: (t) => t, named: (t) => t };

/** The isolate's proposer and what it is made of. */
export interface WorkerProposer {
  /** The key operations, each run once the isolate has read the layout (see ClusterLayout.ready). */
  readonly registers: Registers;
  /** Proposer.prepareAhead once the layout is read: a transaction's coordinator prepares its record's commit. */
  prepareAhead(key: string): Promise<void>;
  /** The isolate's copy of the layout. */
  readonly layout: ClusterLayout;
  /** The root group's proposer: the config register is read and written through it. */
  readonly root: Registers;
  /**
   * Pages of a key listing over every group of the layout (key-lister.ts), whose candidates are read through `reads`
   * (the transaction-aware registers: a key a committed transaction created is listed before its intent is resolved).
   */
  listVia(reads: Registers): KeyLister;
  /** The keys under a prefix with their acceptors' versions, for prefix watches (key-lister.ts). */
  readonly scanVersions: VersionScanner;
}

/** A prefix watch follows at most this many keys (each is a feed in the Worker's memory, and a row in every pass). */
export const MAX_PREFIX_WATCH_KEYS = 10_000;

export function clusterSettings(config: BallotConfig): ClusterSettings {
  return { cluster: config.cluster, acceptors: config.proposer.acceptors, locationHints: config.locationHints, proposer: config.proposer };
}

/**
 * A proposer wired to the real acceptors: each key's rounds go to the group the layout gives its vshard (both groups
 * of a pair while a change moves it), with the layout's epoch on every message.
 */
export function createWorkerProposer(env: Env, config: BallotConfig, wrap: TransportWrappers = BARE): WorkerProposer {
  const settings = clusterSettings(config);
  const root = rootRegisters(env.ACCEPTOR, settings, wrap.root);
  const layout = new ClusterLayout(root, initialLayout(settings));
  const named = wrap.named(new DurableObjectNamedTransport(env.ACCEPTOR));
  const router = new LayoutRouter(layout, named);
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const proposer = new Proposer(id, config.proposer, router, systemClock, systemRandom);
  const registers: Registers = {
    read: async (key) => {
      await layout.ready(config.proposer.deadlineMs);
      return proposer.read(key);
    },
    change: async (key, change) => {
      await layout.ready(config.proposer.deadlineMs);
      return proposer.change(key, change);
    },
  };
  const listVia = (reads: Registers): KeyLister => {
    const lister = keyLister(layout, named, reads);
    return async (options) => {
      await layout.ready(config.proposer.deadlineMs);
      return lister(options);
    };
  };
  const scanner = versionScanner(layout, named, {
    pageSize: 1000,
    roundTimeoutMs: config.proposer.roundTimeoutMs,
    deadlineMs: config.proposer.deadlineMs,
    maxKeys: MAX_PREFIX_WATCH_KEYS,
  });
  const scan: VersionScanner = async (prefix) => {
    await layout.ready(config.proposer.deadlineMs);
    return scanner(prefix);
  };
  const prepareAhead = async (key: string) => {
    try {
      await layout.ready(config.proposer.deadlineMs);
    } catch {
      return; // no layout: the commit's own change reports why
    }
    await proposer.prepareAhead(key);
  };
  return { registers, layout, root, listVia, scanVersions: scan, prepareAhead };
}
