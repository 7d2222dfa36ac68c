/**
 * The load run's time series, part of `/console/app.js` (prepended to the console script; no build step). Every
 * answered increment is recorded with the time it ended; time is cut into fixed windows (one chart point each), and a
 * window is summarised when it closes: latency p50/p99 of the requests answered in it, successes and failures per
 * second. Windows with no answer stay in the series (throughput 0, no latency), so a stall shows as a gap, not as a
 * line drawn across it. Plain ES5-style script, no template literals, so it can live in this String.raw literal;
 * test/console/load-series.test.ts runs it in node:vm.
 */
export const LOAD_SERIES_JS = String.raw`
var BallotLoadSeries = (function () {
  "use strict";

  /** Nearest-rank percentile of an ascending list (p in 0..1), or null for an empty one. */
  function percentile(sorted, p) {
    if (sorted.length === 0) return null;
    return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  }
  function ascending(list) { return list.slice().sort(function (a, b) { return a - b; }); }
  /** Latencies are shown to 0.1 ms: the browser's clock is coarser than that anyway. */
  function round(value) { return value === null ? null : Math.round(value * 10) / 10; }

  /**
   * A series cut into windows of windowMs. record(atMs, latencyMs, kind) with atMs measured from the run's start and
   * kind "ok" | "conflict" | "unavailable" | "unknown" | "other"; close(nowMs) summarises every window that has ended;
   * finish(endMs) also summarises the last, partial one with its real length.
   */
  function create(windowMs) {
    var open = []; // per window index: { latencies: [], counts }
    var all = [];
    var totals = { ok: 0, failed: 0 };
    var series = { windowMs: windowMs, windows: [], record: record, close: close, finish: finish, overall: overall };

    function bucket(index) {
      return open[index] || (open[index] = { latencies: [], ok: 0, failed: 0, unavailable: 0, unknown: 0 });
    }

    function record(atMs, latencyMs, kind) {
      var index = Math.floor(Math.max(0, atMs) / windowMs);
      // An answer that lands in a window already closed (a late callback) counts in the newest open one instead,
      // so the plotted totals always add up to the run's counts.
      if (index < series.windows.length) index = series.windows.length;
      var b = bucket(index);
      b.latencies.push(latencyMs);
      all.push(latencyMs);
      if (kind === "ok") { b.ok++; totals.ok++; }
      else {
        b.failed++; totals.failed++;
        if (kind === "unavailable") b.unavailable++;
        if (kind === "unknown") b.unknown++;
      }
    }

    function summarise(index, lengthMs) {
      var b = open[index] || { latencies: [], ok: 0, failed: 0, unavailable: 0, unknown: 0 };
      var sorted = ascending(b.latencies);
      var seconds = lengthMs / 1000;
      series.windows.push({
        index: index,
        startS: (index * windowMs) / 1000,
        endS: (index * windowMs + lengthMs) / 1000,
        answered: sorted.length,
        ok: b.ok,
        failed: b.failed,
        unavailable: b.unavailable,
        unknown: b.unknown,
        p50: round(percentile(sorted, 0.5)),
        p99: round(percentile(sorted, 0.99)),
        okPerS: seconds > 0 ? Math.round((b.ok / seconds) * 10) / 10 : 0,
        failedPerS: seconds > 0 ? Math.round((b.failed / seconds) * 10) / 10 : 0,
      });
      delete open[index];
    }

    /** Summarises every window that ended by nowMs; answers how many were added. */
    function close(nowMs) {
      var before = series.windows.length;
      while ((series.windows.length + 1) * windowMs <= nowMs) summarise(series.windows.length, windowMs);
      return series.windows.length - before;
    }

    /** The run is over: close the ended windows, then the partial last one (if any time or answer is in it). */
    function finish(endMs) {
      close(endMs);
      var index = series.windows.length;
      var rest = endMs - index * windowMs;
      var pending = open.some(function (b, i) { return b !== undefined && i >= index; });
      if (rest > 0 || pending) summarise(index, Math.max(rest, 1));
    }

    /** The whole run: p50/p99 over every answered request, and the totals the windows add up to. */
    function overall() {
      var sorted = ascending(all);
      return { answered: sorted.length, ok: totals.ok, failed: totals.failed, p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)) };
    }

    return series;
  }

  return { create: create, percentile: percentile };
})();
`;
