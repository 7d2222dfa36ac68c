import { nearestMajorityRttMs, REGIONS, rttMs, type Region } from "./regions.js";
import type { SystemSpec } from "./systems.js";
import { runWorkload, WORKLOADS, type Workload } from "./workloads.js";
import type { Work } from "./systems.js";

const ballot = (hints: Region[], nearestPeeks = true): SystemSpec => ({
  kind: "ballot",
  id: `ballot${hints.length}-${hints.join("-")}${nearestPeeks ? "" : "-random"}`,
  label: `Ballot N=${hints.length} ${hints.join(",")}${nearestPeeks ? "" : " (random peeks)"}`,
  hints,
  nearestPeeks,
});

/** The systems side by side: Ballot under several hint sets, one Durable Object, a leader-based group. */
export const SYSTEMS: readonly SystemSpec[] = [
  ballot(["wnam", "enam", "weur"]),
  ballot(["wnam", "enam", "weur"], false),
  ballot(["wnam", "enam", "enam"]),
  ballot(["weur", "eeur", "weur"]),
  ballot(["weur", "eeur", "enam"]),
  ballot(["enam", "weur", "apac"]),
  ballot(["wnam", "enam", "weur", "eeur", "apac"]),
  ballot(["wnam", "enam", "weur", "apac", "oc"]),
  { kind: "one-do", id: "one-do-enam", label: "one DO in enam", region: "enam" },
  { kind: "one-do", id: "one-do-weur", label: "one DO in weur", region: "weur" },
  { kind: "leader", id: "leader-enam-3", label: "leader in enam, members wnam,enam,weur", members: ["enam", "wnam", "weur"] },
  { kind: "leader", id: "leader-weur-3", label: "leader in weur, members weur,eeur,enam", members: ["weur", "eeur", "enam"] },
  { kind: "leader", id: "leader-enam-5", label: "leader in enam, members wnam,enam,weur,eeur,apac", members: ["enam", "wnam", "weur", "eeur", "apac"] },
];

export interface Cell {
  readonly system: string;
  readonly region: Region;
  readonly workload: Workload;
  readonly ops: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly retries: number;
  readonly work: Work;
}

export interface Check {
  readonly system: string;
  readonly region: Region;
  readonly workload: Workload;
  /** What the p50 should be near: the RTT to the farthest member of the nearest majority (twice it for a cold write). */
  readonly expectedMs: number;
  readonly p50: number;
  readonly pass: boolean;
}

export interface ModelResult {
  readonly seed: number;
  readonly ops: number;
  readonly cells: Cell[];
  readonly checks: Check[];
}

/** The p-th percentile (nearest rank) of the values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The bound: p50 within this many ms of the nearest majority's round trip (or twice it). */
export const CHECK_TOLERANCE_MS = 5;

export interface ModelOptions {
  readonly seed: number;
  readonly ops: number;
  readonly systems?: readonly SystemSpec[];
  readonly regions?: readonly Region[];
  readonly workloads?: readonly Workload[];
  readonly progress?: (line: string) => void;
}

/** Runs every (system, client region, workload) in its own fresh world; figures in virtual ms. */
export async function runModel(options: ModelOptions): Promise<ModelResult> {
  const cells: Cell[] = [];
  const checks: Check[] = [];
  for (const spec of options.systems ?? SYSTEMS) {
    for (const workload of options.workloads ?? WORKLOADS) {
      for (const region of options.regions ?? REGIONS) {
        const sample = await runWorkload(spec, workload, region, options.ops, options.seed);
        const mean = sample.latencies.reduce((s, x) => s + x, 0) / sample.latencies.length;
        const cell: Cell = {
          system: spec.id,
          region,
          workload,
          ops: sample.latencies.length,
          p50: round2(percentile(sample.latencies, 50)),
          p99: round2(percentile(sample.latencies, 99)),
          mean: round2(mean),
          retries: sample.retries,
          work: { requests: round2(sample.work.requests), rowsRead: round2(sample.work.rowsRead), rowsWritten: round2(sample.work.rowsWritten) },
        };
        cells.push(cell);
        const check = checkOf(spec, cell);
        if (check !== undefined) checks.push(check);
      }
      options.progress?.(`${spec.id} ${workload} done`);
    }
  }
  return { seed: options.seed, ops: options.ops, cells, checks };
}

/** The nearest-majority bounds apply to Ballot with nearest peeks: reads, piggybacked and cold writes. */
function checkOf(spec: SystemSpec, cell: Cell): Check | undefined {
  if (spec.kind !== "ballot" || !spec.nearestPeeks) return undefined;
  const rtt = nearestMajorityRttMs(cell.region, spec.hints);
  const expectedMs = cell.workload === "write_cold" ? 2 * rtt : rtt;
  if (cell.workload !== "read" && cell.workload !== "write_piggybacked" && cell.workload !== "write_cold") return undefined;
  return {
    system: spec.id,
    region: cell.region,
    workload: cell.workload,
    expectedMs,
    p50: cell.p50,
    pass: Math.abs(cell.p50 - expectedMs) <= CHECK_TOLERANCE_MS,
  };
}

/** For the docs: the RTT matrix the model used. */
export function rttMatrix(): Record<Region, Record<Region, number>> {
  const matrix = {} as Record<Region, Record<Region, number>>;
  for (const a of REGIONS) {
    matrix[a] = {} as Record<Region, number>;
    for (const b of REGIONS) matrix[a][b] = rttMs(a, b);
  }
  return matrix;
}
