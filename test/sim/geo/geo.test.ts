/**
 * The geo model at a small size (CI): the same seed gives the same figures, the nearest-majority checks pass, and
 * the figures agree with the model's own round trips. All latencies here are virtual time.
 */
import { describe, expect, it } from "vitest";
import { runModel, SYSTEMS, type ModelResult } from "./model.js";
import { nearestMajorityRttMs, rttMs, fitted, MEASURED_RTT_MS } from "./regions.js";
import { CHART_SYSTEMS, survivesRegionLoss, svgChart } from "./report.js";
import type { SystemSpec } from "./systems.js";

const system = (id: string): SystemSpec => {
  const spec = SYSTEMS.find((s) => s.id === id);
  if (spec === undefined) throw new Error(`no system ${id}`);
  return spec;
};
const cell = (result: ModelResult, id: string, region: string, workload: string) => {
  const found = result.cells.find((c) => c.system === id && c.region === region && c.workload === workload);
  if (found === undefined) throw new Error(`no cell ${id} ${region} ${workload}`);
  return found;
};

const SMALL = {
  ops: 30,
  systems: [system("ballot3-wnam-enam-weur"), system("ballot3-wnam-enam-weur-random"), system("ballot5-wnam-enam-weur-eeur-apac"), system("one-do-enam"), system("leader-enam-3")],
  regions: ["wnam", "weur", "apac", "afr"] as const,
};

describe("geo model", () => {
  it("is deterministic: one seed, the same figures; another seed, other figures", async () => {
    const options = { ...SMALL, systems: SMALL.systems.slice(0, 1), regions: ["weur"] as const };
    const a = await runModel({ seed: 7, ...options });
    const b = await runModel({ seed: 7, ...options });
    const c = await runModel({ seed: 8, ...options });
    expect(b.cells).toEqual(a.cells);
    expect(c.cells).not.toEqual(a.cells);
  });

  it("passes its nearest-majority checks, and they are real bounds", async () => {
    const result = await runModel({ seed: 1, ...SMALL });
    // N=3 and N=5 with nearest peeks: read, piggybacked write, cold write, for each region.
    expect(result.checks).toHaveLength(2 * 3 * SMALL.regions.length);
    expect(result.checks.filter((c) => !c.pass)).toEqual([]);
    for (const check of result.checks) {
      expect(Math.abs(check.p50 - check.expectedMs)).toBeLessThanOrEqual(5);
      expect(check.expectedMs).toBeGreaterThanOrEqual(10);
    }
    // A cold write is two rounds to the nearest majority, a piggybacked one a single round.
    const cold = cell(result, "ballot3-wnam-enam-weur", "weur", "write_cold");
    const warm = cell(result, "ballot3-wnam-enam-weur", "weur", "write_piggybacked");
    expect(cold.p50).toBeGreaterThan(1.8 * warm.p50);
  });

  it("matches the model's own round trips for one object and the leader-based design", async () => {
    const result = await runModel({ seed: 1, ...SMALL, workloads: ["read", "write_piggybacked"] });
    for (const region of SMALL.regions) {
      // One object in enam: one round trip there, plus service time and jitter.
      const read = cell(result, "one-do-enam", region, "read");
      expect(read.p50).toBeGreaterThanOrEqual(rttMs(region, "enam"));
      expect(read.p50).toBeLessThan(rttMs(region, "enam") + 5);
      // Leader in enam with members wnam, enam, weur: to the leader, then its nearest follower, and back.
      const write = cell(result, "leader-enam-3", region, "write_piggybacked");
      const viaLeader = rttMs(region, "enam") + Math.min(rttMs("enam", "wnam"), rttMs("enam", "weur"));
      expect(write.p50).toBeGreaterThanOrEqual(viaLeader);
      expect(write.p50).toBeLessThan(viaLeader + 5);
    }
  });

  it("peeks at the nearest majority: as fast as random peeks at the median, with fewer object requests", async () => {
    const result = await runModel({ seed: 1, ...SMALL, workloads: ["read"] });
    for (const region of SMALL.regions) {
      const nearest = cell(result, "ballot3-wnam-enam-weur", region, "read");
      const random = cell(result, "ballot3-wnam-enam-weur-random", region, "read");
      expect(nearest.work.requests).toBeLessThan(2.2);
      expect(random.work.requests).toBeGreaterThan(nearest.work.requests);
      expect(nearest.p50).toBeLessThanOrEqual(random.p50 + 1);
      // N=5: three peeks, at the nearest three.
      const five = cell(result, "ballot5-wnam-enam-weur-eeur-apac", region, "read");
      expect(five.work.requests).toBeLessThan(3.2);
      expect(Math.abs(five.p50 - nearestMajorityRttMs(region, ["wnam", "enam", "weur", "eeur", "apac"]))).toBeLessThanOrEqual(5);
    }
  });

  it("draws the chart and knows which hint sets survive a region loss", async () => {
    const result = await runModel({ seed: 1, ...SMALL, ops: 5, workloads: ["read", "write_piggybacked"] });
    const svg = svgChart(result, "test");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)?.length).toBe(2 * SMALL.regions.length * CHART_SYSTEMS.length);
    expect(survivesRegionLoss(["wnam", "enam", "weur"])).toBe(true);
    expect(survivesRegionLoss(["wnam", "enam", "enam"])).toBe(false);
    expect(survivesRegionLoss(["wnam", "enam", "enam", "weur", "weur"])).toBe(true);
  });

  it("estimates unmeasured pairs from a distance fit that grows with distance", () => {
    expect(MEASURED_RTT_MS).toHaveLength(21);
    expect(fitted.perKmMs).toBeGreaterThan(0.01);
    expect(rttMs("afr", "weur")).toBeLessThan(rttMs("afr", "oc"));
    expect(rttMs("me", "eeur")).toBe(rttMs("eeur", "me"));
  });
});
