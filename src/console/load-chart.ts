/**
 * The load run's live chart, part of `/console/app.js` (prepended to the console script; no chart library, no build
 * step): a hand-drawn SVG of two panels on one time axis. Top: latency p50 (solid) and p99 (dashed) in ms. Bottom:
 * succeeded increments per second (line) and failed ones per second (bars), so a lost quorum shows as the line falling
 * to 0 while red bars rise. Fault actions taken during the run are drawn as labelled vertical marks.
 *
 * Colours come from CSS classes (the CSP allows no inline style), so light and dark follow the page. The plotted
 * series is also exposed as JSON in the svg's data-series attribute, and every panel carries its scale
 * (data-y-max, data-top, data-height), so a test can check that what is drawn is what was measured.
 */
export const LOAD_CHART_JS = String.raw`
var BallotLoadChart = (function () {
  "use strict";
  var ns = null; // the SVG namespace, taken from the page's own <svg> (the HTML parser sets it) rather than spelled out
  // About the size it is shown at in the console's column, so its 12px text stays 12px on screen.
  var WIDTH = 600;
  var LEFT = 50;
  var RIGHT = 12;
  var LATENCY = { top: 22, height: 110 };
  var RATE = { top: 166, height: 100 };
  var AXIS_Y = 284;
  var HEIGHT = 306;

  function node(tag, attrs, text) {
    var n = document.createElementNS(ns, tag);
    Object.keys(attrs).forEach(function (name) { n.setAttribute(name, String(attrs[name])); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  /** The smallest 1, 2 or 5 times a power of ten at or above value: axis maxima people can read. */
  function niceMax(value, floor) {
    var v = Math.max(value, floor);
    var power = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= v) return steps[i] * power;
    return 10 * power;
  }
  function fmt(value) {
    if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
    return value.toFixed(1);
  }

  /** One path of the points where value(w) is not null, broken where it is (no answers in that window). */
  function linePath(windows, value, x, y) {
    var d = "";
    var pen = false;
    windows.forEach(function (w) {
      var v = value(w);
      if (v === null) { pen = false; return; }
      var px = x((w.startS + w.endS) / 2).toFixed(1);
      var py = y(v).toFixed(1);
      d += (pen ? " L" : " M") + px + " " + py;
      pen = true;
    });
    return d.trim();
  }

  function panel(svg, box, yMax, unit, title) {
    var g = node("g", { class: "panel", "data-y-max": yMax, "data-top": box.top, "data-height": box.height, "data-unit": unit });
    var ticks = [0, yMax / 2, yMax];
    ticks.forEach(function (t) {
      var y = box.top + box.height * (1 - t / yMax);
      g.append(node("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y }));
      g.append(node("text", { class: "tick", x: LEFT - 6, y: y + 4, "text-anchor": "end" }, fmt(t)));
    });
    g.append(node("text", { class: "axis-title", x: LEFT, y: box.top - 7 }, title));
    svg.append(g);
    return { g: g, y: function (v) { return box.top + box.height * (1 - Math.min(v, yMax) / yMax); } };
  }

  /**
   * Draws windows (from BallotLoadSeries) over spanS seconds, with events [{ atS, label }]. Redraws everything:
   * a run has at most a few thousand windows and this runs once per window.
   */
  function render(svg, windows, spanS, events) {
    ns = svg.namespaceURI;
    var span = Math.max(spanS, 5);
    var latencyMax = niceMax(windows.reduce(function (m, w) { return Math.max(m, w.p99 || 0); }, 0), 10);
    var rateMax = niceMax(windows.reduce(function (m, w) { return Math.max(m, w.okPerS, w.failedPerS); }, 0), 10);
    var x = function (s) { return LEFT + ((WIDTH - LEFT - RIGHT) * Math.min(s, span)) / span; };

    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + WIDTH + " " + HEIGHT);
    svg.setAttribute("data-series", JSON.stringify(windows.map(function (w) {
      return { startS: w.startS, endS: w.endS, p50: w.p50, p99: w.p99, okPerS: w.okPerS, failedPerS: w.failedPerS, ok: w.ok, failed: w.failed };
    })));
    svg.setAttribute("data-windows", String(windows.length));

    var lat = panel(svg, LATENCY, latencyMax, "ms", "Latency (ms)");
    var rate = panel(svg, RATE, rateMax, "ops/s", "Increments per second (ops/s)");

    // Failures first, as bars under the throughput line: one bar per window, as wide as the window.
    windows.forEach(function (w) {
      if (w.failedPerS <= 0) return;
      var top = rate.y(w.failedPerS);
      rate.g.append(node("rect", {
        class: "series-failed", "data-start-s": w.startS,
        x: x(w.startS).toFixed(1), y: top.toFixed(1),
        width: Math.max(1, x(w.endS) - x(w.startS) - 0.5).toFixed(1), height: (RATE.top + RATE.height - top).toFixed(1),
      }));
    });
    rate.g.append(node("path", { class: "series-ok", "data-series": "okPerS", d: linePath(windows, function (w) { return w.okPerS; }, x, rate.y) }));
    lat.g.append(node("path", { class: "series-p99", "data-series": "p99", d: linePath(windows, function (w) { return w.p99; }, x, lat.y) }));
    lat.g.append(node("path", { class: "series-p50", "data-series": "p50", d: linePath(windows, function (w) { return w.p50; }, x, lat.y) }));

    // The shared time axis.
    var axis = node("g", { class: "time-axis" });
    var step = niceMax(span / 6, 0.5);
    for (var t = 0; t <= span + 1e-9; t += step) {
      axis.append(node("line", { class: "grid", x1: x(t), x2: x(t), y1: RATE.top + RATE.height, y2: RATE.top + RATE.height + 4 }));
      axis.append(node("text", { class: "tick", x: x(t), y: AXIS_Y, "text-anchor": "middle" }, fmt(t) + " s"));
    }
    axis.append(node("text", { class: "axis-title", x: (LEFT + WIDTH - RIGHT) / 2, y: AXIS_Y + 18, "text-anchor": "middle" }, "Time since the run started (s)"));
    svg.append(axis);

    // Fault actions taken during the run, across both panels.
    events.forEach(function (e, i) {
      var ex = x(e.atS);
      var mark = node("g", { class: "event", "data-at-s": e.atS });
      mark.append(node("line", { x1: ex, x2: ex, y1: LATENCY.top, y2: RATE.top + RATE.height }));
      var labelY = LATENCY.top + 12 + (i % 4) * 14; // stagger, so marks close together stay readable
      var nearEnd = ex > WIDTH - RIGHT - 110;
      mark.append(node("text", { x: nearEnd ? ex - 3 : ex + 3, y: labelY, "text-anchor": nearEnd ? "end" : "start" }, e.label));
      svg.append(mark);
    });
  }

  return { render: render, niceMax: niceMax };
})();
`;
