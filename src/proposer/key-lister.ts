import type { Layout } from "../core/layout/layout.js";
import { groupById, ownerGroupIds } from "../core/layout/layout.js";
import { listKeys, type ListOptions, type ListResult, type ScanGroup, type ScanView } from "../core/listing/list-keys.js";
import type { Registers } from "../core/proposer.js";
import { scanVersions, type VersionScan, type VersionScanOptions } from "../core/listing/scan-versions.js";
import { MajorityConfig } from "../core/quorum/majority.js";
import { acceptorIds } from "../core/quorum/quorum-config.js";
import type { NamedTransport } from "../core/routing/named-transport.js";
import type { LayoutCache } from "../core/routing/layout-cache.js";
import { systemClock } from "../cluster/runtime.js";

/** A page of a key listing, with the isolate's layout and proposer (listing/list-keys.ts). */
export type KeyLister = (options: ListOptions) => Promise<ListResult>;

/**
 * Lists keys over the acceptor objects of the isolate's layout: every group that owns vshards (both groups of a
 * joint pair while a change moves them), each scanned by name over the same transport as the proposer's rounds; the
 * candidates are read through the proposer, which routes each key by the layout and reloads it on a stale epoch.
 */
export function keyLister(layout: LayoutCache, transport: NamedTransport, registers: Registers): KeyLister {
  const { groups, refresh } = scanViews(layout, transport);
  return (options) => listKeys({ groups, refresh, read: (key) => registers.read(key), clock: systemClock }, options);
}

/** The keys under a prefix with their acceptors' versions (what a prefix watch rechecks), over the same groups. */
export type VersionScanner = (prefix: string) => Promise<VersionScan>;

export function versionScanner(layout: LayoutCache, transport: NamedTransport, options: VersionScanOptions): VersionScanner {
  const { groups, refresh } = scanViews(layout, transport);
  return (prefix) => scanVersions({ groups, refresh, clock: systemClock }, prefix, options);
}

/** The scan groups of the isolate's current layout (rebuilt when it changes), and a reload of it. */
function scanViews(layout: LayoutCache, transport: NamedTransport): { groups: () => ScanView; refresh: () => Promise<void> } {
  let viewOf: { layout: Layout; view: ScanView } | null = null;
  const groups = (): ScanView => {
    const current = layout.current();
    if (viewOf?.layout !== current) viewOf = { layout: current, view: { epoch: current.epoch, groups: scanGroups(current, transport) } };
    return viewOf.view;
  };
  return { groups, refresh: () => layout.reload() };
}

function scanGroups(layout: Layout, transport: NamedTransport): ScanGroup[] {
  const ids = new Set(layout.owners.flatMap((range) => ownerGroupIds(range.owner)));
  return [...ids].map((id) => {
    const { acceptors } = groupById(layout, id);
    return {
      quorum: new MajorityConfig(acceptorIds(acceptors.length)),
      send: (index, request) => {
        const ref = acceptors[index];
        return ref === undefined ? Promise.reject(new Error(`no acceptor ${index} in group ${id}`)) : transport.send(ref, request);
      },
    };
  });
}
