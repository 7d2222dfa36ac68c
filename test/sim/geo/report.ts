import { type Cell, type ModelResult, SYSTEMS } from "./model.js";
import { nearestMajorityRttMs, REGIONS, type Region } from "./regions.js";
import type { SystemSpec } from "./systems.js";
import { WORKLOAD_LABELS, WORKLOADS, type Workload } from "./workloads.js";

const fmt = (ms: number) => (ms >= 1000 ? ms.toFixed(0) : ms.toFixed(1));

function cellOf(result: ModelResult, system: string, region: Region, workload: Workload): Cell | undefined {
  return result.cells.find((c) => c.system === system && c.region === region && c.workload === workload);
}

function systemsIn(result: ModelResult): SystemSpec[] {
  return SYSTEMS.filter((s) => result.cells.some((c) => c.system === s.id));
}

function regionsIn(result: ModelResult): Region[] {
  return REGIONS.filter((r) => result.cells.some((c) => c.region === r));
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r, ri) => {
      const line = r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(" | ");
      return ri === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("-|-")}` : line;
    })
    .join("\n");
}

/** Per operation: one row per system, one column per client region, "p50 / p99" in ms at the client's PoP. */
export function formatTables(result: ModelResult): string {
  const regions = regionsIn(result);
  const out: string[] = [];
  for (const workload of WORKLOADS) {
    if (!result.cells.some((c) => c.workload === workload)) continue;
    const rows: string[][] = [[`${WORKLOAD_LABELS[workload]}: p50 / p99 ms`, ...regions]];
    for (const spec of systemsIn(result)) {
      rows.push([spec.label, ...regions.map((r) => {
        const c = cellOf(result, spec.id, r, workload);
        return c === undefined ? "-" : `${fmt(c.p50)} / ${fmt(c.p99)}`;
      })]);
    }
    out.push(pad(rows));
  }
  return out.join("\n\n");
}

/** Object work per operation at one client region (enam's PoP), per system: requests, rows read, rows written. */
export function formatWork(result: ModelResult, region: Region = "enam"): string {
  const rows: string[][] = [[`object work per op at ${region}: requests / rows read / rows written`, ...WORKLOADS]];
  for (const spec of systemsIn(result)) {
    rows.push([spec.label, ...WORKLOADS.map((w) => {
      const c = cellOf(result, spec.id, region, w);
      return c === undefined ? "-" : `${c.work.requests} / ${c.work.rowsRead} / ${c.work.rowsWritten}`;
    })]);
  }
  return pad(rows);
}

export function formatChecks(result: ModelResult): string {
  const failed = result.checks.filter((c) => !c.pass);
  const lines = [
    `nearest-majority checks (p50 within 5 ms of the RTT to the farthest member of the client's nearest majority; ` +
      `twice it for cold writes): ${result.checks.length - failed.length}/${result.checks.length} PASS`,
  ];
  for (const c of failed) lines.push(`  FAIL ${c.system} ${c.workload} from ${c.region}: p50 ${c.p50} ms, expected ${c.expectedMs} ms`);
  return lines.join("\n");
}

/** User bases for the recommendation table: the client regions whose mean latency decides. */
export const USER_BASES: Readonly<Record<string, readonly Region[]>> = {
  "North America": ["wnam", "enam"],
  Europe: ["weur", "eeur"],
  global: REGIONS,
};

/** Whether losing any one hint region leaves a majority of acceptors. */
export function survivesRegionLoss(hints: readonly Region[]): boolean {
  const counts = new Map<Region, number>();
  for (const h of hints) counts.set(h, (counts.get(h) ?? 0) + 1);
  return Math.max(...counts.values()) <= hints.length - (Math.floor(hints.length / 2) + 1);
}

export interface Recommendation {
  readonly base: string;
  readonly system: string;
  readonly label: string;
  readonly survivesRegionLoss: boolean;
  readonly readP50: number;
  readonly writeP50: number;
  readonly coldWriteP50: number;
  readonly lockP50: number;
}

/** Mean p50 over the user base's regions, per system (every system, best write first). */
export function recommendations(result: ModelResult): Recommendation[] {
  const out: Recommendation[] = [];
  for (const [base, regions] of Object.entries(USER_BASES)) {
    const rows: Recommendation[] = [];
    for (const spec of systemsIn(result)) {
      const mean = (w: Workload) => {
        const cells = regions.map((r) => cellOf(result, spec.id, r, w)).filter((c): c is Cell => c !== undefined);
        return cells.length === 0 ? NaN : Math.round((cells.reduce((s, c) => s + c.p50, 0) / cells.length) * 10) / 10;
      };
      rows.push({
        base,
        system: spec.id,
        label: spec.label,
        survivesRegionLoss: spec.kind === "ballot" ? survivesRegionLoss(spec.hints) : spec.kind === "leader" ? survivesRegionLoss(spec.members) : false,
        readP50: mean("read"),
        writeP50: mean("write_piggybacked"),
        coldWriteP50: mean("write_cold"),
        lockP50: mean("lock_acquire"),
      });
    }
    rows.sort((a, b) => a.writeP50 + a.readP50 - (b.writeP50 + b.readP50));
    out.push(...rows);
  }
  return out;
}

export function formatRecommendations(result: ModelResult): string {
  const rows: string[][] = [["user base: mean p50 ms over its regions", "system", "survives a region loss", "read", "write", "cold write", "lock acquire"]];
  for (const r of recommendations(result)) {
    rows.push([r.base, r.label, r.survivesRegionLoss ? "yes" : "no", fmt(r.readP50), fmt(r.writeP50), fmt(r.coldWriteP50), fmt(r.lockP50)]);
  }
  return pad(rows);
}

/** The nearest majority's round trip per client region for each Ballot hint set (what the checks compare with). */
export function formatNearestMajority(): string {
  const rows: string[][] = [["RTT to the nearest majority's farthest member, ms", ...REGIONS]];
  for (const spec of SYSTEMS) {
    if (spec.kind !== "ballot" || !spec.nearestPeeks) continue;
    rows.push([spec.hints.join(","), ...REGIONS.map((r) => fmt(nearestMajorityRttMs(r, spec.hints)))]);
  }
  return pad(rows);
}

/** The systems the chart compares. */
export const CHART_SYSTEMS = ["ballot3-wnam-enam-weur", "ballot5-wnam-enam-weur-eeur-apac", "one-do-enam", "leader-enam-3"];
const COLORS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"];

/**
 * A grouped bar chart (plain SVG, no dependencies): p50 of reads and of piggybacked writes per client region, for
 * the chart systems.
 */
export function svgChart(result: ModelResult, command: string): string {
  const systems = CHART_SYSTEMS.map((id) => SYSTEMS.find((s) => s.id === id)).filter((s): s is SystemSpec => s !== undefined);
  const regions = regionsIn(result);
  const panels: Workload[] = ["read", "write_piggybacked"];
  const width = 960;
  const panelHeight = 260;
  const left = 50;
  const top = 50 + 14 * CHART_SYSTEMS.length;
  const gap = 70;
  const max = Math.max(
    50,
    ...panels.flatMap((w) => systems.flatMap((s) => regions.map((r) => cellOf(result, s.id, r, w)?.p50 ?? 0))),
  );
  const yMax = Math.ceil(max / 50) * 50;
  const groupWidth = (width - left - 20) / regions.length;
  const barWidth = (groupWidth - 12) / systems.length;
  const parts: string[] = [];
  const height = top + panels.length * (panelHeight + gap) + 10;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">p50 latency at the client's point of presence, by client region (ms, geo model)</text>`);
  parts.push(`<text x="${left}" y="34" fill="#555">${escape(command)}; seed ${result.seed}, ${result.ops} operations per cell</text>`);
  systems.forEach((s, i) => {
    const y = 42 + i * 14;
    parts.push(`<rect x="${left}" y="${y}" width="10" height="10" fill="${COLORS[i]}"/><text x="${left + 14}" y="${y + 9}">${escape(s.label)}</text>`);
  });
  panels.forEach((w, p) => {
    const y0 = top + p * (panelHeight + gap) + 20;
    const yBase = y0 + panelHeight;
    parts.push(`<text x="${left}" y="${y0 - 6}" font-size="12" font-weight="bold">${escape(WORKLOAD_LABELS[w])}</text>`);
    for (let t = 0; t <= yMax; t += 50) {
      const y = yBase - (t / yMax) * panelHeight;
      parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${t}</text>`);
    }
    regions.forEach((r, g) => {
      const gx = left + g * groupWidth + 6;
      systems.forEach((s, i) => {
        const v = cellOf(result, s.id, r, w)?.p50 ?? 0;
        const h = (v / yMax) * panelHeight;
        parts.push(`<rect x="${(gx + i * barWidth).toFixed(1)}" y="${(yBase - h).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[i]}"><title>${escape(s.label)}, ${r}: ${v} ms</title></rect>`);
      });
      parts.push(`<text x="${(gx + (groupWidth - 12) / 2).toFixed(1)}" y="${yBase + 14}" text-anchor="middle">${r}</text>`);
    });
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
