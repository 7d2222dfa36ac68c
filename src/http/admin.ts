import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { Collector } from "../collector/collector-object.js";
import type { SweepResult } from "../collector/schedule.js";
import type { Slot } from "../core/acceptor.js";
import { formatBallot, type Ballot } from "../core/ballot.js";
import { groupById, ownerGroupIds, ownerOf, type AcceptorRef } from "../core/layout/layout.js";
import { vshardOf } from "../core/layout/vshard.js";
import type { LayoutCache } from "../core/routing/layout-cache.js";
import type { BallotConfig } from "../config.js";
import { acceptorIndexOf, FAULT_MODES, FaultTable, FaultyNamedTransport, FaultyTransport, withFault, type Fault } from "../cluster/fault-injection.js";
import { DurableObjectNamedTransport } from "../cluster/named-object-transport.js";
import { RootGroupTransport } from "../cluster/root-group.js";
import { collectorSettings, collectorStub } from "../collector/collection-trigger.js";
import { withTimeout } from "../cluster/runtime.js";
import type { TransportWrappers } from "../proposer/worker-proposer.js";
import type { LayoutReconfigurer } from "../reconfigurer/reconfigurer-object.js";
import { readBody } from "./body.js";
import { ApiError, json } from "./errors.js";
import { decodeKey } from "./key-path.js";
import type { Route } from "./route.js";

/**
 * Dev-only admin routes (DEV_ADMIN = "true"; never registered otherwise, so they answer 404 in production):
 *
 * - `GET /v1/admin/faults`: the fault table, `{"acceptors": N, "faults": [{"acceptor": i, "mode": ...}, ...]}`.
 * - `POST /v1/admin/faults` `{"acceptor": i, "mode": "none"|"down"|"slow"|"hang"|"flaky", "ms"?: n, "rate"?: p}`:
 *   sets the fault of acceptor index i (every shard, every key) in this Worker isolate; answers the table.
 * - `DELETE /v1/admin/faults`: clears every fault; answers the table.
 * - `GET /v1/admin/keys/{key}`: the raw slot of the key on every acceptor, through the same faults as the proposer
 *   (an acceptor that is down, hanging or slower than the round timeout is reported as `{"index", "error"}`).
 * - `POST /v1/admin/acceptors/{i}/restart`: restarts the acceptor objects of index i in every group of the layout
 *   and in the root group (in-memory state lost, storage kept), bypassing the fault table.
 * - `GET /v1/admin/storage`: per acceptor index, summed over the groups: rows (`slots`), of which `tombstones`, floor
 *   rows (`floors`) and the SQLite database size in `bytes`.
 * - `POST /v1/admin/collect` (`?all=true`: tombstones younger than BALLOT_GC_DELAY_MS too): one garbage-collection
 *   sweep of every group now, through the fault table; answers what it did, summed (`collected`, `live`, `retry`,
 *   `unreachable`).
 * - `POST /v1/admin/reconfigurer/restart`: crashes the reconfigurer object (a running change resumes from the config
 *   register at its next alarm).
 *
 * The fault table is by acceptor index: "acceptor 1 down" takes down acceptor 1 of every group and of the root group.
 */
export interface DevAdmin {
  readonly faults: FaultTable;
  /** Puts the fault table on the proposer's calls (pass to createWorkerProposer). */
  readonly wrap: TransportWrappers;
  /** The routes, over the isolate's layout. */
  readonly routes: (layout: LayoutCache) => Route[];
}

/** One acceptor's raw slot for a key. Ballots render as `"<counter>.<proposer id>"`, or null for none. */
export type SlotView =
  | {
      readonly index: number;
      readonly present: boolean;
      readonly promised: string | null;
      readonly accepted: string | null;
      /** The stored state's version (null when no state was ever accepted). */
      readonly version: number | null;
      /** True when the stored state is a tombstone (a delete). */
      readonly deleted: boolean;
      /** Length of the stored value (null for no state or a tombstone). */
      readonly bytes: number | null;
    }
  | { readonly index: number; readonly error: string };

/** The dev admin, or undefined when `config.devAdmin` is off: then no route exists and the transport stays bare. */
export function createDevAdmin(
  namespace: DurableObjectNamespace<Acceptor>,
  collectors: DurableObjectNamespace<Collector>,
  reconfigurers: DurableObjectNamespace<LayoutReconfigurer>,
  reconfigurerName: string,
  config: BallotConfig,
): DevAdmin | undefined {
  if (!config.devAdmin) return undefined;
  const n = config.proposer.acceptors;
  const faults = new FaultTable(n);
  const objects = new DurableObjectNamedTransport(namespace);
  const root = new RootGroupTransport(namespace, config.cluster, n, config.locationHints);
  const inspectTimeoutMs = Math.min(config.proposer.roundTimeoutMs, 1000);

  const table = () => json(200, { acceptors: n, faults: faults.list() });

  const inspect = async (key: string, ref: AcceptorRef, index: number): Promise<SlotView> => {
    const faultIndex = acceptorIndexOf(ref.name);
    try {
      const slot = await withTimeout(
        withFault(faults.get(faultIndex), faultIndex, async () => (await objects.stub(ref).inspect(key)) as Slot | null),
        inspectTimeoutMs,
      );
      return slotView(index, slot);
    } catch (error) {
      return { index, error: error instanceof Error ? error.message : String(error) };
    }
  };

  const routes = (layout: LayoutCache): Route[] => {
    /** Acceptor `index` of every group of the layout. */
    const ofIndex = (index: number) => layout.current().groups.flatMap((g) => (g.acceptors[index] === undefined ? [] : [g.acceptors[index]]));
    return [
      {
        pattern: "/v1/admin/faults",
        methods: {
          GET: async () => table(),
          POST: async (request) => {
            const { acceptor, fault } = parseFault(await readBody(request, 1024), n);
            faults.set(acceptor, fault);
            return table();
          },
          DELETE: async () => {
            faults.clear();
            return table();
          },
        },
      },
      {
        pattern: "/v1/admin/keys/:key",
        methods: {
          GET: async (_request, params) => {
            const key = decodeKey(params.key ?? "");
            const current = layout.current();
            const owner = ownerOf(current, vshardOf(key)).owner;
            // The key's acceptors in route order: its group's, or during a move the old group's then the new one's.
            const refs: AcceptorRef[] = [];
            for (const id of ownerGroupIds(owner)) for (const ref of groupById(current, id).acceptors) if (!refs.some((r) => r.name === ref.name)) refs.push(ref);
            const acceptors = await Promise.all(refs.map((ref, i) => inspect(key, ref, i)));
            return json(200, { key, shard: ownerGroupIds(owner)[0], groups: ownerGroupIds(owner), epoch: current.epoch, acceptors });
          },
        },
      },
      {
        pattern: "/v1/admin/acceptors/:index/restart",
        methods: {
          POST: async (_request, params) => {
            const index = acceptorIndex(params.index ?? "", n);
            const refs = ofIndex(index);
            // ctx.abort() inside the object makes the call itself fail: a rejection is the expected answer.
            await Promise.allSettled([...refs.map((ref) => objects.stub(ref).restart()), root.stub(index).restart()]);
            return json(200, { acceptor: index, restarted: refs.length + 1 });
          },
        },
      },
      {
        pattern: "/v1/admin/storage",
        methods: {
          GET: async () => {
            const acceptors = await Promise.all(
              Array.from({ length: n }, async (_, index) => {
                const perGroup = await Promise.all(ofIndex(index).map((ref) => objects.stub(ref).storage()));
                const sum = (field: "slots" | "tombstones" | "floors" | "bytes") => perGroup.reduce((total, s) => total + s[field], 0);
                return { index, slots: sum("slots"), tombstones: sum("tombstones"), floors: sum("floors"), bytes: sum("bytes") };
              }),
            );
            return json(200, { acceptors });
          },
        },
      },
      {
        pattern: "/v1/admin/collect",
        methods: {
          POST: async (request) => {
            const all = new URL(request.url).searchParams.get("all") === "true";
            const current = layout.current();
            const sweeps = await Promise.all(
              current.groups.map(
                (g) => collectorStub(collectors, config, g.id, current).sweepNow(collectorSettings(config, g.id), all, faults.list()) as Promise<SweepResult>,
              ),
            );
            const sum = (field: "collected" | "live" | "retry" | "unreachable") => sweeps.reduce((total, s) => total + s[field], 0);
            return json(200, { collected: sum("collected"), live: sum("live"), retry: sum("retry"), unreachable: sum("unreachable") });
          },
        },
      },
      {
        pattern: "/v1/admin/reconfigurer/restart",
        methods: {
          POST: async () => {
            const stub = reconfigurers.get(reconfigurers.idFromName(reconfigurerName));
            await stub.restart().catch(() => undefined);
            return json(200, { restarted: true });
          },
        },
      },
    ];
  };

  return {
    faults,
    wrap: { root: (transport) => new FaultyTransport(transport, faults), named: (transport) => new FaultyNamedTransport(transport, faults) },
    routes,
  };
}

function slotView(index: number, slot: Slot | null): SlotView {
  const ballot = (b: Ballot | null) => (b === null ? null : formatBallot(b));
  const state = slot?.state ?? null;
  return {
    index,
    present: slot !== null,
    promised: ballot(slot?.promised ?? null),
    accepted: ballot(slot?.accepted ?? null),
    version: state?.version ?? null,
    deleted: state !== null && state.value === null,
    bytes: state?.value?.byteLength ?? null,
  };
}

function acceptorIndex(raw: string, n: number): number {
  const index = /^(0|[1-9][0-9]{0,2})$/.test(raw) ? Number(raw) : NaN;
  if (!(index >= 0 && index < n)) throw new ApiError(404, "not_found", `no acceptor ${JSON.stringify(raw)}; acceptors are 0 to ${n - 1}`);
  return index;
}

function invalid(message: string): ApiError {
  return new ApiError(400, "invalid_argument", message);
}

/** Strict parse of `{"acceptor": i, "mode": m, "ms"?: n, "rate"?: p}`: unknown or misplaced fields are refused. */
export function parseFault(raw: Uint8Array, n: number): { acceptor: number; fault: Fault } {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new ApiError(400, "invalid_json", 'the body must be JSON like {"acceptor": 0, "mode": "down"}');
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("the body must be a JSON object");
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!["acceptor", "mode", "ms", "rate"].includes(name)) throw invalid(`unknown field ${JSON.stringify(name)}`);
  }
  const { acceptor, mode, ms, rate } = fields;
  if (typeof acceptor !== "number" || !Number.isInteger(acceptor) || acceptor < 0 || acceptor >= n) {
    throw invalid(`"acceptor" must be an integer from 0 to ${n - 1}`);
  }
  if (typeof mode !== "string" || !(FAULT_MODES as readonly string[]).includes(mode)) {
    throw invalid(`"mode" must be one of ${FAULT_MODES.join(", ")}`);
  }
  if (ms !== undefined && mode !== "slow") throw invalid('"ms" applies to mode "slow" only');
  if (rate !== undefined && mode !== "flaky") throw invalid('"rate" applies to mode "flaky" only');
  switch (mode) {
    case "slow":
      if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > 600_000) {
        throw invalid('mode "slow" needs "ms", an integer from 0 to 600000');
      }
      return { acceptor, fault: { mode, ms } };
    case "flaky":
      if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw invalid('mode "flaky" needs "rate", a number from 0 to 1');
      return { acceptor, fault: { mode, rate } };
    default:
      return { acceptor, fault: { mode } as Fault };
  }
}
