/**
 * The load chart's series (src/console/load-series.ts) run as the browser runs it: the script evaluated in node:vm,
 * fed recorded answers, its windows read back.
 */
import { Script, createContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { LOAD_SERIES_JS } from "../../src/console/load-series.js";

interface Window {
  startS: number;
  endS: number;
  answered: number;
  ok: number;
  failed: number;
  unavailable: number;
  unknown: number;
  p50: number | null;
  p99: number | null;
  okPerS: number;
  failedPerS: number;
}
interface Series {
  windows: Window[];
  record(atMs: number, latencyMs: number, kind: string): void;
  close(nowMs: number): number;
  finish(endMs: number): void;
  overall(): { answered: number; ok: number; failed: number; p50: number | null; p99: number | null };
}
interface SeriesModule {
  create(windowMs: number): Series;
  percentile(sorted: number[], p: number): number | null;
}

function load(): SeriesModule {
  const context = createContext({});
  new Script(LOAD_SERIES_JS + "\nthis.module = BallotLoadSeries;").runInContext(context);
  return (context as { module: SeriesModule }).module;
}

describe("the load run's series", () => {
  it("nearest-rank percentiles", () => {
    const { percentile } = load();
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.99)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile([1, 2, 3, 1000], 0.99)).toBe(1000);
  });

  it("cuts answers into windows by the time they ended, keeps empty windows, and adds up to the totals", () => {
    const series = load().create(500);
    for (let i = 0; i < 10; i++) series.record(10 + i * 40, 10 + i, "ok"); // 10 answers in window 0 (10..370 ms)
    series.record(600, 1500, "unavailable");
    series.record(700, 1400, "unknown");
    expect(series.close(499)).toBe(0); // window 0 has not ended yet
    expect(series.close(1600)).toBe(3); // windows 0, 1 and 2 (1000..1500 ms, no answer)
    const [first, second, empty] = series.windows;
    expect(first).toMatchObject({ startS: 0, endS: 0.5, answered: 10, ok: 10, failed: 0, p50: 14, p99: 19, okPerS: 20, failedPerS: 0 });
    expect(second).toMatchObject({ ok: 0, failed: 2, unavailable: 1, unknown: 1, p50: 1400, p99: 1500, okPerS: 0, failedPerS: 4 });
    // A window with no answer is a point with throughput 0 and no latency: the chart leaves a gap, not a line.
    expect(empty).toMatchObject({ startS: 1, endS: 1.5, answered: 0, p50: null, p99: null, okPerS: 0, failedPerS: 0 });

    series.record(1700, 30, "ok");
    series.record(1100, 25, "ok"); // ended in a window already drawn: counted in the newest open one
    series.finish(1750);
    expect(series.windows).toHaveLength(4);
    expect(series.windows[3]).toMatchObject({ startS: 1.5, endS: 1.75, ok: 2, okPerS: 8 });
    const overall = series.overall();
    expect(overall).toMatchObject({ answered: 14, ok: 12, failed: 2 });
    expect(series.windows.reduce((n, w) => n + w.ok, 0)).toBe(overall.ok);
    expect(series.windows.reduce((n, w) => n + w.failed, 0)).toBe(overall.failed);
  });

  it("a run that ends exactly on a window's edge gets no empty extra window", () => {
    const series = load().create(250);
    series.record(100, 5, "ok");
    series.finish(500);
    expect(series.windows.map((w) => [w.startS, w.endS, w.ok])).toEqual([[0, 0.25, 1], [0.25, 0.5, 0]]);
  });
});
