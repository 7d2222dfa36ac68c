import { LOAD_CHART_JS } from "./load-chart.js";
import { LOAD_SERIES_JS } from "./load-series.js";
import { SSE_JS } from "./sse.js";

/**
 * The console's script, served as `/console/app.js`: vanilla JS, no framework, no build step. It builds the DOM with
 * textContent only (no HTML from data), follows the open key through its watch (`GET /v1/watch/{key}`), polls the
 * acceptors, health and layout once a second, and sends `Authorization: Bearer <token>` when a token is kept in
 * sessionStorage. Written without template literals so it can live in this String.raw literal;
 * test/console/assets.test.ts checks that it parses. The load run's series and chart and the event-stream parser come
 * first (load-series.ts, load-chart.ts, sse.ts): one file served, each concept in its own module here.
 */
export const CONSOLE_JS = LOAD_SERIES_JS + LOAD_CHART_JS + SSE_JS + String.raw`
"use strict";
(function () {
  var TOKEN_KEY = "ballot.console.token";
  var REFRESH_MS = 1000;
  var LATENCY_SAMPLES = 10;
  /** One chart point per this many ms of a load run: short enough to see a fault land, long enough for a p99. */
  var LOAD_WINDOW_MS = 500;
  /** The layout is read on every refresh while a change runs or its group list is open, else this often. */
  var LAYOUT_IDLE_MS = 5000;
  /** Set (to "yes") in sessionStorage once the layout answered 200 to the token kept there. */
  var OPERATOR_KEY = "ballot.console.operator";
  /** Pauses before reopening a broken watch, one per failed attempt in a row (the last repeats). */
  var WATCH_BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
  /** A watch that stays open this long counts as healthy again: the next break starts the backoff over. */
  var WATCH_HEALTHY_MS = 10000;
  /** The server comments every 15 s; a stream silent for this long is taken for dead (a stalled proxy) and reopened. */
  var WATCH_SILENCE_MS = 40000;
  /** Entries per page of the key browser unless its field says otherwise. */
  var BROWSE_LIMIT = 50;

  function $(id) {
    var el = document.getElementById(id);
    if (el === null) throw new Error("console markup is missing #" + id);
    return el;
  }
  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function keyPath(prefix, key) { return prefix + encodeURIComponent(key); }
  function now() { return performance.now(); }
  function ms(value) {
    if (value <= 0) return "< 1 ms"; // workerd's clock only moves across I/O, so very fast probes measure 0
    if (Number.isInteger(value)) return value + " ms";
    return value < 10 ? value.toFixed(1) + " ms" : Math.round(value) + " ms";
  }
  /** A ballot "counter.proposerId", shortened to the counter and 8 characters of the id; the full one in title. */
  function shortBallot(ballot) {
    var match = /^(\d+)\.(.+)$/.exec(ballot || "");
    return match ? match[1] + "." + match[2].slice(0, 8) : ballot || "none";
  }
  function setBallot(node, ballot) {
    setText(node, shortBallot(ballot));
    if (ballot) node.setAttribute("title", ballot); else node.removeAttribute("title");
  }
  function median(list) {
    if (list.length === 0) return null;
    var sorted = list.slice().sort(function (a, b) { return a - b; });
    return sorted[Math.floor(sorted.length / 2)];
  }
  function pushSample(list, value) {
    list.push(value);
    if (list.length > LATENCY_SAMPLES) list.shift();
  }

  var state = {
    meta: null,
    key: "greeting",
    keyGen: 0, // bumped whenever another key is opened: answers for an older one are dropped
    version: 0, // the open key's latest version the page has shown (0: none yet); where a watch resumes
    watch: null, // the open key's watch: see startWatch
    refused: false, // the server refused to read the open key (401, 403): no watch for it
    browse: { gen: 0, prefix: "", limit: BROWSE_LIMIT, next: null, count: 0 },
    paused: false,
    timer: 0,
    busy: false,
    again: false,
    needsToken: false,
    health: null, // per acceptor index: { ok, latency, error } from the last GET /v1/health
    faults: null,
    slots: null,
    healthTicks: 0,
    acceptorLatency: {},
    load: null,
    layout: null, // the last answer of GET /v1/admin/layout
    layoutAt: null, // when it was last asked for (performance.now()); null: at the next refresh
    // "open": no token, the layout is read on its own; "operator": this token read it; "unknown": a token whose
    // rights the console has not asked about yet; "forbidden": this token got 403.
    layoutAccess: "open",
    layoutError: "",
    layoutRows: "", // what the group table shows, to rebuild it only when the groups change
  };

  // ---- API access: same origin, bearer token from sessionStorage when one is set ----

  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  async function api(method, path, options) {
    var opts = options || {};
    var headers = new Headers(opts.headers || {});
    var token = storedToken();
    if (token !== "") headers.set("authorization", "Bearer " + token);
    var started = now();
    var res = await fetch(path, { method: method, headers: headers, body: opts.body, cache: "no-store", signal: opts.signal });
    var elapsed = now() - started;
    if (res.status === 401) needToken(token !== "");
    return { res: res, elapsed: elapsed };
  }

  async function errorText(res) {
    try {
      var body = await res.json();
      if (body && body.error) return res.status + " " + body.error.code + ": " + body.error.message;
    } catch (e) { /* not JSON */ }
    return res.status + " " + res.statusText;
  }

  function timing(res) {
    var header = res.headers.get("server-timing");
    if (!header) return "";
    return header.split(",").map(function (part) {
      var bits = part.trim().split(";");
      var name = bits[0];
      var dur = bits.filter(function (b) { return b.trim().indexOf("dur=") === 0; })[0];
      var desc = bits.filter(function (b) { return b.trim().indexOf("desc=") === 0; })[0];
      if (dur) return name + " " + dur.trim().slice(4) + " ms";
      if (desc) return name + " " + desc.trim().slice(5).replace(/"/g, "");
      return name;
    }).join(", ");
  }

  // ---- token ----

  function needToken(rejected) {
    var status = $("auth-status");
    setText(status, rejected ? "The server refused this token. Enter another one." : "This server needs an API token. Enter it to continue.");
    if (!state.needsToken) {
      state.needsToken = true;
      $("auth").open = true;
      setText($("mode"), "Waiting for an API token");
      $("token").focus();
    }
  }

  function setupToken() {
    $("token-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var value = $("token").value.trim();
      if (value === "") { setText($("auth-status"), "Enter a token first."); return; }
      try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* storage off: nothing to keep */ }
      $("token").value = "";
      forgetOperator();
      state.needsToken = false;
      setText($("auth-status"), "Token set for this tab.");
      start();
    });
    $("token-forget").addEventListener("click", function () {
      try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
      forgetOperator();
      // The open watch was opened with that token: open it again without (a server with tokens then asks for one).
      if (state.watch !== null) startWatch(state.key, state.version);
      setText($("auth-status"), "Token forgotten.");
    });
  }

  // ---- meta: N, majority and location hints from /v1/health; dev mode when /v1/admin/faults exists ----

  async function loadMeta() {
    var meta = { acceptors: null, majority: null, locationHints: [], devAdmin: false, health: false };
    var h = await api("GET", "/v1/health?shard=0");
    if (h.res.status === 401) throw new Error("an API token is needed");
    var body = null;
    try { body = await h.res.json(); } catch (e) { body = null; }
    if (body && typeof body.acceptors === "number" && Array.isArray(body.shards)) {
      meta.health = true;
      meta.acceptors = body.acceptors;
      meta.majority = body.majority;
      meta.locationHints = body.shards[0] ? body.shards[0].acceptors.map(function (a) { return a.locationHint; }) : [];
    }
    var f = await api("GET", "/v1/admin/faults");
    if (f.res.status === 401) throw new Error("an API token is needed");
    if (f.res.ok) {
      state.faults = await f.res.json();
      meta.devAdmin = true;
      if (meta.acceptors === null) meta.acceptors = state.faults.acceptors;
    } else {
      await f.res.arrayBuffer();
    }
    if (meta.acceptors === null) throw new Error("neither GET /v1/health nor the dev admin API answered");
    if (typeof meta.majority !== "number") meta.majority = Math.floor(meta.acceptors / 2) + 1;
    state.meta = meta;
    setText($("mode"), (meta.devAdmin ? "Dev mode: admin and fault routes on" : "Operator mode: no dev admin API") +
      " · N = " + meta.acceptors + " acceptors, majority " + meta.majority);
    buildTables();
    $("dev-form").hidden = !meta.devAdmin;
    $("load-section").hidden = !meta.devAdmin;
    setText($("key-note"), meta.devAdmin ? "" : "Per-acceptor state needs the dev admin API (DEV_ADMIN = \"true\").");
  }

  function hint(index) {
    var h = state.meta && state.meta.locationHints ? state.meta.locationHints[index] : null;
    return h ? h : "none";
  }

  function buildTables() {
    var n = state.meta.acceptors;
    var body = $("acceptors-body");
    body.replaceChildren();
    for (var i = 0; i < n; i++) {
      var tr = el("tr", { id: "slot-" + i });
      tr.append(el("th", { scope: "row" }, "Acceptor " + i + " (" + hint(i) + ")"));
      ["promised", "accepted", "version", "value", "majority"].forEach(function (name) {
        tr.append(el("td", { "data-field": name }, "—"));
      });
      body.append(tr);
    }
    var cluster = $("cluster-body");
    cluster.replaceChildren();
    for (var j = 0; j < n; j++) {
      var row = el("tr", { id: "acceptor-" + j });
      row.append(el("th", { scope: "row" }, "Acceptor " + j));
      row.append(el("td", { "data-field": "hint" }, hint(j)));
      row.append(el("td", { "data-field": "reachable" }, "—"));
      row.append(el("td", { "data-field": "latency" }, "—"));
      row.append(el("td", { "data-field": "fault" }, state.meta.devAdmin ? "—" : "n/a"));
      var actions = el("td", { "data-field": "actions" });
      if (state.meta.devAdmin) {
        var group = el("div", { class: "actions", role: "group", "aria-label": "Faults of acceptor " + j });
        group.append(faultButton(j, "down", "Take down", "Take down acceptor " + j));
        group.append(faultButton(j, "slow", "Slow", "Slow acceptor " + j));
        group.append(faultButton(j, "none", "Bring back", "Bring back acceptor " + j));
        actions.append(group);
      } else {
        actions.textContent = "n/a";
      }
      row.append(actions);
      cluster.append(row);
    }
  }

  function cell(rowId, field) {
    return $(rowId).querySelector('[data-field="' + field + '"]');
  }

  // ---- faults (dev admin) ----

  function faultButton(index, mode, label, aria) {
    var button = el("button", { type: "button", "aria-label": aria, "data-acceptor": String(index), "data-mode": mode }, label);
    if (mode === "down") button.className = "danger";
    button.addEventListener("click", function () { setFault(index, mode); });
    return button;
  }

  async function setFault(index, mode) {
    var fault = { acceptor: index, mode: mode };
    if (mode === "slow") {
      var slow = Number($("slow-ms").value);
      if (!Number.isInteger(slow) || slow < 0 || slow > 600000) {
        setText($("fault-result"), "Slow by: enter whole milliseconds from 0 to 600000.");
        $("slow-ms").focus();
        return;
      }
      fault.ms = slow;
    }
    try {
      var r = await api("POST", "/v1/admin/faults", { body: JSON.stringify(fault), headers: { "content-type": "application/json" } });
      if (!r.res.ok) { setText($("fault-result"), "Fault not set: " + (await errorText(r.res))); return; }
      state.faults = await r.res.json();
      markLoadEvent("acceptor " + index + (mode === "none" ? " back" : mode === "down" ? " down" : " slow"));
      setText($("fault-result"), mode === "none" ? "Acceptor " + index + " is back." :
        mode === "down" ? "Acceptor " + index + " is down." : "Acceptor " + index + " is slowed by " + fault.ms + " ms.");
    } catch (e) {
      setText($("fault-result"), "Fault not set: " + e.message);
    }
    refreshNow();
  }

  async function clearFaults() {
    try {
      var r = await api("DELETE", "/v1/admin/faults");
      if (!r.res.ok) { setText($("fault-result"), "Faults not cleared: " + (await errorText(r.res))); return; }
      state.faults = await r.res.json();
      markLoadEvent("all back");
      setText($("fault-result"), "Every acceptor is back.");
    } catch (e) {
      setText($("fault-result"), "Faults not cleared: " + e.message);
    }
    refreshNow();
  }

  async function loadFaults() {
    var r = await api("GET", "/v1/admin/faults");
    if (r.res.ok) state.faults = await r.res.json();
  }

  function faultOf(index) {
    if (!state.faults || !state.faults.faults) return null;
    return state.faults.faults.filter(function (f) { return f.acceptor === index; })[0] || null;
  }

  function describeFault(f) {
    if (!f || f.mode === "none") return "none";
    if (f.mode === "slow") return "slow (+" + f.ms + " ms)";
    if (f.mode === "flaky") return "flaky (" + Math.round(f.rate * 100) + "% fail)";
    return f.mode;
  }

  // ---- the key: one linearizable read when it is opened, then its watch (below); the raw acceptor state is polled ----

  /** Shows one state of the open key, from the read that opened it or from a watch event. */
  function showState(s) {
    setText($("current-status"), s.status);
    setText($("current-version"), s.version === null ? "\u2014" : String(s.version));
    setText($("current-type"), s.type || "\u2014");
    setText($("current-size"), s.bytes === null ? "\u2014" : size(s.bytes));
    setText($("current-value"), s.value === null ? "\u2014" : s.value);
  }
  function noState(status) { showState({ status: status, version: null, type: null, bytes: null, value: null }); }

  function size(bytes) {
    if (bytes === 1) return "1 byte";
    if (bytes < 1024) return bytes + " bytes";
    return (bytes < 1048576 ? (bytes / 1024).toFixed(1) + " KiB" : (bytes / 1048576).toFixed(1) + " MiB") + " (" + bytes + " bytes)";
  }

  /**
   * Reads the open key once (GET /v1/keys/{key}). Answers the version its watch resumes after: the one read, or 0
   * when there is none (the watch then sends the current state: a deleted key's delete, a new key's first put), or
   * null when the server refused (401, 403: its watch would be refused too) or another key was opened meanwhile.
   */
  async function loadCurrent() {
    var key = state.key;
    var gen = state.keyGen;
    var r;
    try {
      r = await api("GET", keyPath("/v1/keys/", key));
    } catch (e) {
      if (gen !== state.keyGen) return null;
      noState("not read: " + e.message);
      return 0;
    }
    if (gen !== state.keyGen) { await r.res.arrayBuffer(); return null; }
    setText($("current-timing"), ms(r.elapsed) + " in the browser" + (timing(r.res) ? "; server: " + timing(r.res) : ""));
    if (r.res.status === 200) {
      var bytes = new Uint8Array(await r.res.arrayBuffer());
      var version = Number((r.res.headers.get("etag") || "").replace(/^W\//, "").replace(/"/g, ""));
      if (gen !== state.keyGen) return null;
      if (!Number.isSafeInteger(version)) version = 0;
      state.version = Math.max(state.version, version);
      showState({ status: "present", version: version, type: r.res.headers.get("content-type"), bytes: bytes.length, value: preview(bytes, 2000) });
      return version;
    }
    if (r.res.status === 404) {
      await r.res.arrayBuffer();
      noState("not found (never written, or deleted)");
      return 0;
    }
    var text = await errorText(r.res);
    if (gen !== state.keyGen) return null;
    noState(text);
    return r.res.status === 401 || r.res.status === 403 ? null : 0;
  }

  /** Opens state.key in the key view: one read, then its watch from the version that read saw. */
  async function openKey() {
    var gen = ++state.keyGen;
    stopWatch();
    state.version = 0;
    state.refused = false;
    state.slots = null;
    state.acceptorLatency = {};
    renderPlacement();
    noState("reading\u2026");
    setText($("current-timing"), "\u2014");
    markOpenRow();
    setWatch("connecting", "connecting\u2026", "");
    var since = await loadCurrent();
    if (gen !== state.keyGen) return;
    if (since === null) {
      state.refused = true;
      setWatch("off", "not watching", "the server refused to read this key, so it would refuse to watch it too");
      return;
    }
    if (state.paused) { setWatch("paused", "paused", ""); return; }
    startWatch(state.key, since);
  }

  // ---- the open key's watch: GET /v1/watch/{key}, a text/event-stream read with fetch() and BallotSse, because
  // EventSource cannot send the Authorization header. Every event is a linearizable read on the server; a broken
  // stream is reopened after a pause (WATCH_BACKOFF_MS) with since=<the last version shown>, so no event repeats. ----

  /** The indicator next to the value; data-state is live, connecting, reconnecting, paused or off. */
  function setWatch(name, text, detail) {
    var node = $("watch-status");
    if (node.getAttribute("data-state") !== name) node.setAttribute("data-state", name);
    setText(node, text);
    setText($("watch-detail"), detail);
  }

  function stopWatch() {
    var w = state.watch;
    if (w === null) return;
    state.watch = null;
    w.stopped = true;
    clearTimeout(w.idle);
    if (w.conn !== null) w.conn.abort();
    if (w.wake !== null) w.wake();
  }

  /** Watches key from after version since until stopWatch (or until the server refuses). */
  function startWatch(key, since) {
    stopWatch();
    var w = { key: key, last: since, attempt: 0, conn: null, idle: 0, wake: null, stopped: false, error: "", ended: false };
    state.watch = w;
    runWatch(w).catch(function (e) {
      if (!w.stopped) setWatch("off", "not watching", e.message);
    });
  }

  async function runWatch(w) {
    while (!w.stopped) {
      if (w.attempt === 0) setWatch("connecting", "connecting\u2026", "");
      var refused = await watchOnce(w);
      if (w.stopped) return;
      if (refused !== null) {
        if (state.watch === w) state.watch = null;
        setWatch("off", "not watching", refused);
        return;
      }
      var base = WATCH_BACKOFF_MS[Math.min(w.attempt, WATCH_BACKOFF_MS.length - 1)];
      var pause = Math.round(base * (0.75 + Math.random() / 2)); // spread out, so many pages do not come back at once
      w.attempt++;
      // A stream the server ended (each lives at most BALLOT_WATCH_MAX_STREAM_MS) is no breakage: it is only reopened.
      var why = w.ended ? "the server ended the stream" : "the watch broke" + (w.error ? " (" + w.error + ")" : "");
      setWatch("reconnecting", "reconnecting\u2026", why +
        "; reopening in " + (pause / 1000).toFixed(1) + " s from version " + w.last + ".");
      await new Promise(function (resolve) {
        w.wake = resolve;
        setTimeout(resolve, pause);
      });
      w.wake = null;
    }
  }

  /** One connection of the watch: answers null once the stream ended or broke (open it again), or the server's refusal. */
  async function watchOnce(w) {
    var conn = new AbortController();
    w.conn = conn;
    w.error = "";
    w.ended = false;
    var opened = now();
    function arm() {
      clearTimeout(w.idle);
      w.idle = setTimeout(function () { w.error = "silent for " + WATCH_SILENCE_MS / 1000 + " s"; conn.abort(); }, WATCH_SILENCE_MS);
    }
    try {
      arm();
      var r = await api("GET", keyPath("/v1/watch/", w.key) + "?since=" + w.last, { signal: conn.signal, headers: { accept: "text/event-stream" } });
      var status = r.res.status;
      // A refusal (bad key, no token, out of the token's scope, no such route) does not change by asking again.
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) return await errorText(r.res);
      if (status !== 200 || r.res.body === null) {
        w.error = await errorText(r.res);
        return null;
      }
      var parser = BallotSse.create({ event: function (e) { watchEvent(w, e); } });
      var reader = r.res.body.getReader();
      setWatch("live", "live", "changes of \u201c" + w.key + "\u201d show as they are chosen (GET /v1/watch).");
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done || w.stopped) break;
        arm();
        parser.push(chunk.value);
      }
      parser.end();
      if (!w.error && chunk.done) w.ended = true;
    } catch (e) {
      if (!w.error) w.error = e.message;
    } finally {
      clearTimeout(w.idle);
      if (w.conn === conn) w.conn = null;
      if (now() - opened >= WATCH_HEALTHY_MS) w.attempt = 0;
    }
    return null;
  }

  function watchEvent(w, e) {
    if (w.stopped || (e.type !== "put" && e.type !== "delete")) return;
    var d;
    try { d = JSON.parse(e.data); } catch (x) { return; }
    if (!d || typeof d.version !== "number" || d.version <= w.last) return; // versions only go up; a repeat is dropped
    w.last = d.version;
    w.attempt = 0;
    if (w !== state.watch || w.key !== state.key) return;
    state.version = d.version;
    if (e.type === "delete") {
      showState({ status: "deleted (version " + d.version + ")", version: d.version, type: null, bytes: null, value: null });
      updateListed(w.key, { version: d.version, type: null, bytes: null });
    } else {
      var bytes = typeof d.value === "string" ? new TextEncoder().encode(d.value) : base64Bytes(d.valueBase64 || "");
      showState({ status: "present", version: d.version, type: d.contentType, bytes: bytes.length, value: preview(bytes, 2000) });
      updateListed(w.key, { version: d.version, type: d.contentType, bytes: bytes.length });
    }
    setText($("current-timing"), "from the watch at " + new Date().toLocaleTimeString() + " (a linearizable read on the server)");
  }

  function base64Bytes(text) {
    var binary;
    try { binary = atob(text); } catch (e) { return new Uint8Array(0); }
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function preview(bytes, limit) {
    var text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, Math.min(bytes.length, limit + 4)));
    } catch (e) {
      return bytes.length + " bytes (binary)";
    }
    return text.length > limit ? text.slice(0, limit) + "…" : text;
  }

  async function loadSlots() {
    var key = state.key;
    var r = await api("GET", keyPath("/v1/admin/keys/", key));
    if (key !== state.key) return;
    if (!r.res.ok) { state.slots = null; renderPlacement(); setText($("key-note"), "Per-acceptor state: " + (await errorText(r.res))); return; }
    state.slots = await r.res.json();
    state.slots.elapsed = r.elapsed;
    renderPlacement();
    if (!state.meta.health) {
      state.slots.acceptors.forEach(function (x) {
        if (x.error === undefined) pushSample(state.acceptorLatency[x.index] || (state.acceptorLatency[x.index] = []), r.elapsed);
      });
    }
    renderSlots();
  }

  /** The accepted ballot held by a majority of acceptors (that state is chosen), or null. */
  function chosenBallot(acceptors) {
    var counts = {};
    acceptors.forEach(function (a) {
      if (a.error === undefined && a.present && a.accepted) counts[a.accepted] = (counts[a.accepted] || 0) + 1;
    });
    var chosen = null;
    Object.keys(counts).forEach(function (b) { if (counts[b] >= state.meta.majority) chosen = b; });
    return chosen;
  }

  function renderSlots() {
    var acceptors = state.slots.acceptors;
    var chosen = chosenBallot(acceptors);
    var answered = acceptors.filter(function (a) { return a.error === undefined; });
    var holding = answered.filter(function (a) { return a.present; });
    acceptors.forEach(function (a) {
      var id = "slot-" + a.index;
      var row = document.getElementById(id);
      if (row === null) return;
      var inMajority = chosen !== null && a.error === undefined && a.accepted === chosen;
      row.className = a.error !== undefined ? "failed" : inMajority ? "majority" : "";
      if (a.error !== undefined) {
        setText(cell(id, "promised"), "unreachable: " + a.error);
        cell(id, "promised").removeAttribute("title");
        setBallot(cell(id, "accepted"), null);
        setText(cell(id, "accepted"), "—");
        setText(cell(id, "version"), "—");
        setText(cell(id, "value"), "—");
        setText(cell(id, "majority"), "no answer");
        return;
      }
      setBallot(cell(id, "promised"), a.promised);
      setBallot(cell(id, "accepted"), a.accepted);
      setText(cell(id, "version"), a.version === null || a.version === undefined ? "—" : String(a.version));
      var value = !a.present ? "no row" : a.deleted ? "tombstone (deleted)" :
        typeof a.preview === "string" ? a.preview : a.bytes === null || a.bytes === undefined ? "—" : a.bytes + " bytes";
      if (a.present && !a.deleted && inMajority && typeof a.preview !== "string" && a.bytes !== null) {
        value = a.bytes + " bytes (current)";
      }
      setText(cell(id, "value"), value);
      setText(cell(id, "majority"), inMajority ? "yes, chosen" : chosen === null ? "no majority" : "no (behind)");
    });
    var note;
    if (holding.length === 0 && answered.length >= state.meta.majority) note = "No acceptor holds this key yet.";
    else if (chosen !== null) note = "Chosen: accepted ballot " + shortBallot(chosen) + " is on a majority (" + state.meta.majority + " of " + state.meta.acceptors + ").";
    else if (answered.length < state.meta.majority) note = "Only " + answered.length + " of " + state.meta.acceptors + " acceptors answered: no majority to read from.";
    else note = "No accepted ballot is on a majority yet: the next read will write the highest one back.";
    setText($("key-note"), note + " Inspected in " + ms(state.slots.elapsed) + ".");
  }

  // ---- key browser: GET /v1/keys?prefix=P&limit=L&after=K, a page at a time; "List keys" starts over (a refresh),
  // "More keys" asks for the page after the last key shown (the listing's next). ----

  function quoted(text) { return "\u201c" + text + "\u201d"; }
  function under(prefix) { return prefix === "" ? "" : " under " + quoted(prefix); }

  function browseStatus(kind, text) {
    var node = $("browse-status");
    node.className = "status " + kind;
    setText(node, text);
  }

  function keyRow(entry) {
    var tr = el("tr", { "data-key": entry.key });
    var th = el("th", { scope: "row" });
    th.append(el("button", { type: "button", class: "link", title: "Open " + entry.key + " in the key view" }, entry.key));
    tr.append(th);
    tr.append(el("td", { "data-field": "version" }, String(entry.version)));
    tr.append(el("td", { "data-field": "type" }, entry.contentType));
    tr.append(el("td", { "data-field": "size" }, size(entry.bytes)));
    if (entry.key === state.key) tr.setAttribute("aria-current", "true");
    // The whole row opens the key; its button makes that reachable by keyboard (a click on it bubbles here).
    tr.addEventListener("click", function () {
      chooseKey(entry.key);
      markOpenRow();
    });
    return tr;
  }

  function listedRows(key) {
    return Array.prototype.filter.call($("browse-body").children, function (tr) { return tr.getAttribute("data-key") === key; });
  }

  function markOpenRow() {
    Array.prototype.forEach.call($("browse-body").children, function (tr) {
      if (tr.getAttribute("data-key") === state.key) tr.setAttribute("aria-current", "true");
      else tr.removeAttribute("aria-current");
    });
  }

  /** The open key changed (its watch said so): its row, if listed, shows the new state; a delete stays, marked. */
  function updateListed(key, s) {
    listedRows(key).forEach(function (tr) {
      setText(tr.querySelector('[data-field="version"]'), String(s.version));
      setText(tr.querySelector('[data-field="type"]'), s.type === null ? "\u2014" : s.type);
      setText(tr.querySelector('[data-field="size"]'), s.bytes === null ? "deleted" : size(s.bytes));
      tr.className = s.bytes === null ? "deleted" : "";
    });
  }

  /** Lists from the form's prefix (more: false; the rows are replaced) or the page after the last one (more: true). */
  async function listKeys(more) {
    var b = state.browse;
    if (!more) {
      var limit = wholeNumber("browse-limit");
      if (limit === null || limit < 1 || limit > 1000) {
        browseStatus("bad", "Keys per page: enter a whole number from 1 to 1000.");
        $("browse-limit").focus();
        return;
      }
      b.gen++;
      b.prefix = $("browse-prefix").value;
      b.limit = limit;
      b.next = null;
      b.count = 0;
      $("browse-body").replaceChildren();
      $("browse-more").hidden = true;
    } else if (b.next === null) {
      return;
    }
    var gen = b.gen;
    var moreButton = $("browse-more");
    moreButton.disabled = true;
    browseStatus("muted", "Listing keys" + under(b.prefix) + "\u2026");
    var query = [];
    if (b.prefix !== "") query.push("prefix=" + encodeURIComponent(b.prefix));
    query.push("limit=" + b.limit);
    if (more) query.push("after=" + encodeURIComponent(b.next));
    var r;
    var body = null;
    try {
      r = await api("GET", "/v1/keys?" + query.join("&"));
      if (r.res.status === 200) body = await r.res.json();
    } catch (e) {
      if (gen !== b.gen) return;
      moreButton.disabled = false;
      browseStatus("bad", "Keys not listed: " + e.message);
      return;
    }
    if (gen !== b.gen) { if (body === null) await r.res.arrayBuffer(); return; }
    moreButton.disabled = false;
    // A page not listed leaves the rows and the "More keys" button as they were: it asks for that page again.
    if (body === null) {
      var status = r.res.status;
      var text = await errorText(r.res);
      if (gen !== b.gen) return;
      browseStatus("bad", status === 403 ? "This token may not read any key" + under(b.prefix) + ": list a prefix it may read. " + text
        : status === 503 ? "Keys not listed: a group of acceptors has no reachable majority; try again. " + text
        : status === 401 ? "Keys not listed: this server needs an API token. " + text
        : "Keys not listed: " + text);
      return;
    }
    var rows = body.keys.map(keyRow);
    var tbody = $("browse-body");
    tbody.append.apply(tbody, rows);
    b.count += body.keys.length;
    b.next = body.next;
    moreButton.hidden = b.next === null;
    var count = b.count === 1 ? "1 key" : b.count + " keys";
    if (b.count === 0 && b.next === null) browseStatus("muted", (b.prefix === "" ? "No keys yet." : "No keys" + under(b.prefix) + ".") + " Deleted keys are not listed.");
    else if (b.next === null) browseStatus("", (b.count === 1 ? "The only key" : "All " + count) + under(b.prefix) + ".");
    else browseStatus("", "Showing " + count + under(b.prefix) + "; there may be more.");
  }

  function listKeysNow(more) {
    listKeys(more).catch(function (e) { browseStatus("bad", "Keys not listed: " + e.message); });
  }

  function setupBrowse() {
    $("browse-limit").value = String(BROWSE_LIMIT);
    $("browse-form").addEventListener("submit", function (event) {
      event.preventDefault();
      listKeysNow(false);
    });
    $("browse-more").addEventListener("click", function () { listKeysNow(true); });
  }

  // ---- cluster: GET /v1/health pings each acceptor object directly (it bypasses injected faults); in dev mode the
  // admin inspect of the key goes through the fault table like the proposer does, so both decide "reachable" ----

  async function loadHealth() {
    var shard = state.slots ? state.slots.shard : null;
    if (shard === null || shard === undefined) {
      // Every shard costs N pings per shard: without a shard to aim at, probe all of them every 5th refresh only.
      state.healthTicks = (state.healthTicks || 0) + 1;
      if (state.health && state.healthTicks % 5 !== 1) return;
    }
    var r = await api("GET", "/v1/health" + (shard === null || shard === undefined ? "" : "?shard=" + shard));
    var body = null;
    try { body = await r.res.json(); } catch (e) { body = null; }
    if (!body || !Array.isArray(body.shards)) { state.health = null; return; }
    var perIndex = {};
    body.shards.forEach(function (s) {
      s.acceptors.forEach(function (a) {
        var agg = perIndex[a.index] || (perIndex[a.index] = { ok: true, latency: 0, error: null });
        if (!a.ok) { agg.ok = false; if (agg.error === null) agg.error = a.error || "no answer"; }
        agg.latency = Math.max(agg.latency, a.latencyMs);
      });
    });
    Object.keys(perIndex).forEach(function (i) {
      var samples = state.acceptorLatency[i] || (state.acceptorLatency[i] = []);
      if (perIndex[i].ok) pushSample(samples, perIndex[i].latency);
    });
    state.health = { shards: body.shards.length === 1 ? "shard " + body.shards[0].shard : "all " + body.shards.length + " shards", perIndex: perIndex };
  }

  function renderCluster() {
    var m = state.meta;
    var up = 0;
    var known = false;
    for (var i = 0; i < m.acceptors; i++) {
      var id = "acceptor-" + i;
      var health = state.health ? state.health.perIndex[i] : undefined;
      var slot = state.slots ? state.slots.acceptors.filter(function (a) { return a.index === i; })[0] : undefined;
      var reasons = [];
      if (health && !health.ok) reasons.push(health.error);
      if (slot && slot.error !== undefined) reasons.push(slot.error);
      var reachable = health !== undefined || slot !== undefined ? reasons.length === 0 : null;
      if (reachable !== null) known = true;
      if (reachable) up++;
      var reach = cell(id, "reachable");
      var verdict = reachable === null ? "unknown" : reachable ? "yes" : "no";
      var why = reachable === false ? reasons.join("; ") : "";
      if (reach.getAttribute("data-text") !== verdict + why) {
        reach.setAttribute("data-text", verdict + why);
        reach.replaceChildren(document.createTextNode(verdict));
        if (why) reach.append(el("span", { class: "reason" }, why));
      }
      reach.className = reachable === null ? "muted" : reachable ? "ok" : "bad";
      var samples = state.acceptorLatency[i] || [];
      var med = median(samples);
      setText(cell(id, "latency"), med === null || reachable === false ? "—" : ms(med) + (state.health ? "" : " (whole inspect)"));
      $(id).className = reachable === false ? "failed" : "";
      if (m.devAdmin) setText(cell(id, "fault"), describeFault(faultOf(i)));
    }
    var source = state.health
      ? "Reachable: the Worker pinged the acceptor objects of " + state.health.shards + " (GET /v1/health)" +
        (state.slots ? " and the dev admin inspected key \u201c" + state.slots.key + "\u201d through the injected faults" : "") +
        ". Latency: median of the last " + LATENCY_SAMPLES + " health pings, measured in the Worker."
      : state.slots
        ? "This server has no /v1/health: reachability is derived from the dev admin inspect of key \u201c" + state.slots.key +
          "\u201d; latency is that whole inspect (all acceptors in parallel), seen from the browser."
        : "This server has neither /v1/health nor the dev admin API: only reads of the key are visible.";
    setText($("cluster-source"), source);
    var banner = $("quorum");
    if (!known) {
      setText(banner, "Quorum status unknown.");
      banner.className = "banner warn";
    } else if (up >= m.majority) {
      setText(banner, "Quorum available: " + up + " of " + m.acceptors + " acceptors reachable (majority is " + m.majority +
        "). Reads and writes succeed" + (up > m.majority ? "; " + (up - m.majority) + " more may fail." : up === m.majority ? "; one more failure stops them." : "."));
      banner.className = up === m.acceptors ? "banner ok" : "banner warn";
    } else {
      setText(banner, "Quorum lost: " + up + " of " + m.acceptors + " acceptors reachable (majority is " + m.majority +
        "). Writes answer 503 and change nothing.");
      banner.className = "banner bad";
    }
  }

  // ---- refresh loop ----

  async function refresh() {
    if (state.needsToken || state.meta === null) return;
    // The key's value is not polled: its watch brings every change (openKey, startWatch).
    var tasks = [];
    if (state.meta.devAdmin) tasks.push(loadSlots(), loadFaults());
    if (layoutDue()) tasks.push(loadLayout());
    var results = await Promise.allSettled(tasks);
    // After the slots: they name the key's shard, so health pings only that shard.
    if (state.meta.health) {
      try { await loadHealth(); } catch (e) { results.push({ status: "rejected", reason: e }); }
    }
    var failed = results.filter(function (r) { return r.status === "rejected"; });
    if (state.needsToken) return;
    renderCluster();
    var status = state.paused ? "Live updates paused." : "Acceptors and health polled at " + new Date().toLocaleTimeString() + "; the value comes from the watch.";
    if (failed.length > 0) status += " Some requests failed: " + failed[0].reason.message;
    setText($("refresh-status"), status);
  }

  function schedule() {
    clearTimeout(state.timer);
    if (!state.paused) state.timer = setTimeout(tick, REFRESH_MS);
  }

  async function tick() {
    if (state.busy) { state.again = true; return; }
    state.busy = true;
    try {
      do {
        state.again = false;
        await refresh();
      } while (state.again);
    } finally {
      state.busy = false;
      schedule();
    }
  }

  function refreshNow() {
    clearTimeout(state.timer);
    tick();
  }

  /** Opens key in the key view (from the key form, the key browser or the URL's #key=). */
  function chooseKey(key) {
    state.key = key;
    $("key").value = key;
    history.replaceState(null, "", "#key=" + encodeURIComponent(key));
    if (state.meta === null || state.needsToken) return; // start() opens it once the console can talk to the API
    openKey().catch(function (e) { noState("not read: " + e.message); });
    refreshNow();
  }

  function setupKey() {
    var fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
    if (fromHash) { state.key = fromHash; $("key").value = fromHash; }
    $("key-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = $("key").value;
      if (key === "") return;
      chooseKey(key);
    });
    $("pause").addEventListener("click", function () {
      state.paused = !state.paused;
      var button = $("pause");
      button.setAttribute("aria-pressed", String(state.paused));
      button.textContent = state.paused ? "Resume live updates" : "Pause live updates";
      setText($("refresh-status"), state.paused ? "Live updates paused: no watch, no polling." : "Live updates resumed.");
      if (state.paused) {
        clearTimeout(state.timer);
        stopWatch();
        setWatch("paused", "paused", "");
        return;
      }
      // Resumed: the watch picks up after the last version shown, so a change made while paused shows at once.
      if (state.meta !== null && state.refused) setWatch("off", "not watching", "the server refused to read this key");
      else if (state.meta !== null && state.watch === null) startWatch(state.key, state.version);
      refreshNow();
    });
  }

  // ---- changes from the console ----

  async function change(what, method, path, body, headers) {
    var result = $("write-result");
    setText(result, what + "…");
    try {
      var r = await api(method, path, { body: body, headers: headers });
      var ok = r.res.ok;
      var text;
      if (!ok) text = what + " failed: " + (await errorText(r.res));
      else if (r.res.status === 204) text = what + ": done";
      else {
        var answer = await r.res.json();
        text = what + ": " + (answer.value !== undefined ? "value " + answer.value + ", " : "") + "version " + answer.version +
          " (" + r.res.status + (r.res.status === 201 ? " created" : "") + ")";
      }
      text += " in " + ms(r.elapsed) + (timing(r.res) ? "; server: " + timing(r.res) : "") + ".";
      result.className = "status " + (ok ? "ok" : "bad");
      setText(result, text);
    } catch (e) {
      result.className = "status bad";
      setText(result, what + " failed: " + e.message);
    }
    // The watch shows the new value; without one (paused, or refused) read it once.
    if (state.watch === null) loadCurrent().catch(function (e) { noState("not read: " + e.message); });
    refreshNow();
  }

  function setupWrites() {
    $("write-form").addEventListener("submit", function (event) {
      event.preventDefault();
      change("Write", "PUT", keyPath("/v1/keys/", state.key), $("value").value, { "content-type": "text/plain; charset=utf-8" });
    });
    $("increment").addEventListener("click", function () {
      change("Increment", "POST", keyPath("/v1/keys/", state.key) + "/increment", '{"by":1}', { "content-type": "application/json" });
    });
    $("delete").addEventListener("click", function () {
      change("Delete", "DELETE", keyPath("/v1/keys/", state.key));
    });
    $("clear-faults").addEventListener("click", clearFaults);
  }

  // ---- run load: concurrent increments from the browser ----

  function classify(status) {
    if (status >= 200 && status < 300) return "ok";
    if (status === 409 || status === 412) return "conflict";
    if (status === 503) return "unavailable";
    if (status === 504) return "unknown";
    return "other";
  }

  function latencyText(value) { return value === null ? "—" : ms(value); }

  function renderLoad() {
    var l = state.load;
    if (l === null) return;
    l.frame = 0;
    setText($("load-ok"), String(l.counts.ok));
    setText($("load-conflict"), String(l.counts.conflict));
    setText($("load-unavailable"), String(l.counts.unavailable));
    setText($("load-unknown"), String(l.counts.unknown));
    setText($("load-other"), String(l.counts.other));
    var seconds = (now() - l.started) / 1000;
    setText($("load-rate"), seconds > 0 ? String(Math.round(l.counts.ok / seconds)) : "—");
    var progress = $("load-progress");
    if (l.durationMs !== null) progress.value = Math.min(l.durationMs, now() - l.started);
    else if (l.total !== null) progress.value = l.done;
  }

  /** Redraws the chart from the windows closed so far, and says in words what its last point shows. */
  function renderChart(l) {
    var windows = l.series.windows;
    var spanS = l.durationMs !== null ? l.durationMs / 1000 : (now() - l.started) / 1000;
    BallotLoadChart.render($("load-chart"), windows, Math.max(spanS, windows.length ? windows[windows.length - 1].endS : 0), l.events);
    var last = windows[windows.length - 1];
    var overall = l.series.overall();
    setText($("load-p50"), latencyText(overall.p50));
    setText($("load-p99"), latencyText(overall.p99));
    setText($("load-chart-desc"), last === undefined ? "Waiting for the first half second of the run." :
      "Latest point, " + last.startS.toFixed(1) + " to " + last.endS.toFixed(1) + " s: latency p50 " + latencyText(last.p50) + ", p99 " + latencyText(last.p99) +
      "; " + fmtRate(last.okPerS) + " succeeded/s, " + fmtRate(last.failedPerS) + " failed/s." +
      (l.events.length ? " Fault actions: " + l.events.map(function (e) { return e.label + " at " + e.atS.toFixed(1) + " s"; }).join(", ") + "." : ""));
  }
  function fmtRate(value) { return Number.isInteger(value) ? String(value) : value.toFixed(1); }

  /** A fault action taken while load runs: marked on the chart's time axis. */
  function markLoadEvent(label) {
    var l = state.load;
    if (l === null) return;
    l.events.push({ atS: Math.round(now() - l.started) / 1000, label: label });
    renderChart(l);
  }

  /** The run's length from the form: a count of increments, or seconds, or until Stop. */
  function loadLimit() {
    var choice = $("load-duration").value;
    if (choice === "count") {
      var total = Number($("load-total").value);
      return Number.isInteger(total) && total >= 1 && total <= 100000 ? { total: total, durationMs: null } : null;
    }
    if (choice === "until-stopped") return { total: null, durationMs: null };
    var seconds = Number(choice);
    return seconds > 0 ? { total: null, durationMs: seconds * 1000 } : null;
  }

  async function runLoad() {
    if (state.load !== null) return;
    var key = $("load-key").value;
    var limit = loadLimit();
    var inFlight = Number($("load-concurrency").value);
    if (key === "" || limit === null || !Number.isInteger(inFlight) || inFlight < 1 || inFlight > 256) {
      setText($("load-result"), "Enter a counter key, 1 to 100000 increments and 1 to 256 in flight.");
      return;
    }
    var total = limit.total;
    var l = state.load = {
      counts: { ok: 0, conflict: 0, unavailable: 0, unknown: 0, other: 0, stopped: 0 },
      started: now(), done: 0, next: 0, frame: 0, last: null, abort: new AbortController(), otherCodes: {},
      total: total, durationMs: limit.durationMs, series: BallotLoadSeries.create(LOAD_WINDOW_MS), events: [], ticker: 0,
    };
    var progress = $("load-progress");
    if (total !== null) { progress.max = total; progress.value = 0; }
    else if (l.durationMs !== null) { progress.max = l.durationMs; progress.value = 0; }
    else progress.removeAttribute("value"); // until stopped: no end to measure against
    $("load-run").disabled = true;
    $("load-stop").disabled = false;
    setText($("load-result"), "Running " + (total !== null ? total + " increments" : l.durationMs !== null ? "increments for " + l.durationMs / 1000 + " s" : "increments until stopped") +
      " of \u201c" + key + "\u201d, " + inFlight + " in flight…");
    renderChart(l);
    // The chart moves with the clock, not with answers: a window with none (every request stuck) is a point too.
    l.ticker = setInterval(function () { if (l.series.close(now() - l.started) > 0) renderChart(l); }, LOAD_WINDOW_MS / 2);
    var path = keyPath("/v1/keys/", key) + "/increment";
    function more() {
      if (l.abort.signal.aborted) return false;
      if (total !== null) return l.next < total;
      if (l.durationMs !== null) return now() - l.started < l.durationMs;
      return true;
    }
    async function worker() {
      while (more()) {
        l.next++;
        var kind;
        var sent = now();
        var latency = null;
        try {
          var r = await api("POST", path, { body: '{"by":1}', headers: { "content-type": "application/json" }, signal: l.abort.signal });
          latency = r.elapsed;
          kind = classify(r.res.status);
          if (kind === "other") l.otherCodes[r.res.status] = (l.otherCodes[r.res.status] || 0) + 1;
          if (kind === "ok") {
            var answer = await r.res.json();
            if (l.last === null || answer.version > l.last.version) l.last = answer;
          } else {
            await r.res.arrayBuffer();
          }
        } catch (e) {
          kind = l.abort.signal.aborted ? "stopped" : "other";
          if (kind === "other") { l.otherCodes[e.message] = (l.otherCodes[e.message] || 0) + 1; latency = now() - sent; }
        }
        // A request stopped before its answer has no outcome to plot; everything else is a point's data.
        if (kind !== "stopped") l.series.record(now() - l.started, latency, kind);
        l.counts[kind]++;
        l.done++;
        if (l.frame === 0) l.frame = requestAnimationFrame(renderLoad);
      }
    }
    var workers = [];
    for (var i = 0; i < inFlight; i++) workers.push(worker());
    try {
      await Promise.all(workers);
    } finally {
      clearInterval(l.ticker);
      l.series.finish(now() - l.started);
    }
    if (l.frame !== 0) cancelAnimationFrame(l.frame);
    renderLoad();
    renderChart(l);
    if (total === null) { progress.max = 1; progress.value = 1; }
    var c = l.counts;
    var overall = l.series.overall();
    var seconds = (now() - l.started) / 1000;
    setText($("load-result"), (l.abort.signal.aborted ? "Stopped" : "Done") + " after " + seconds.toFixed(1) + " s: " +
      c.ok + " succeeded, " + c.conflict + " conflicts, " + c.unavailable + " unavailable (503), " + c.unknown + " unknown outcome (504), " +
      c.other + " other errors" + (c.other ? " (" + Object.keys(l.otherCodes).map(function (k) { return k + " \u00d7" + l.otherCodes[k]; }).join(", ") + ")" : "") + (c.stopped ? ", " + c.stopped + " stopped before an answer (outcome not seen)" : "") + "." +
      (overall.answered ? " Latency p50 " + latencyText(overall.p50) + ", p99 " + latencyText(overall.p99) + " over " + overall.answered + " answers." : "") +
      (l.last ? " Counter at " + l.last.value + ", version " + l.last.version + "." : ""));
    state.load = null;
    $("load-run").disabled = false;
    $("load-stop").disabled = true;
  }

  function setupLoad() {
    $("load-form").addEventListener("submit", function (event) {
      event.preventDefault();
      runLoad().catch(function (e) { setText($("load-result"), "Load failed: " + e.message); });
    });
    $("load-stop").addEventListener("click", function () {
      if (state.load !== null) state.load.abort.abort();
    });
    // The increment count only bounds a run that is not timed.
    $("load-duration").addEventListener("change", function () {
      $("load-total").disabled = $("load-duration").value !== "count";
    });
  }


  // ---- layout (issue 19): which groups of acceptor objects hold the keys, and the latest change ----
  //
  // GET /v1/admin/layout rides on the refresh loop: every refresh while a change runs or the group list is open,
  // otherwise every LAYOUT_IDLE_MS. With tokens, only an operator's token may read it, and a data token gets 403.
  // The browser logs every 4xx as an error, so with a token the console asks once when the visitor says so
  // ("Load layout", or by starting a change) and polls only after a 200.

  var CHANGE_KINDS = { groups: "split or merge into groups", acceptors: "change N and location hints", replace: "replace an acceptor" };
  var CHANGE_STEPS = ["joint", "catch-up", "final", "done"];

  function knownOperator() {
    try { return sessionStorage.getItem(OPERATOR_KEY) === "yes"; } catch (e) { return false; }
  }
  function rememberOperator() {
    if (state.layoutAccess === "open") return;
    state.layoutAccess = "operator";
    try { sessionStorage.setItem(OPERATOR_KEY, "yes"); } catch (e) { /* storage off: asked again next time */ }
  }
  function forgetOperator() {
    try { sessionStorage.removeItem(OPERATOR_KEY); } catch (e) { /* ignore */ }
  }

  function layoutRunning() {
    return state.layout !== null && state.layout.change !== null && state.layout.change.state === "running";
  }

  function layoutDue() {
    if (state.layoutAccess !== "open" && state.layoutAccess !== "operator") return false;
    if (state.layoutAt === null) return true;
    var every = layoutRunning() || $("layout-groups").open ? REFRESH_MS : LAYOUT_IDLE_MS;
    return now() - state.layoutAt >= every - REFRESH_MS / 2;
  }

  /** Reads the layout; never throws for an answer (a refusal or a 503 is shown in the panel, not as a failed refresh). */
  async function loadLayout() {
    state.layoutAt = now();
    var r = await api("GET", "/v1/admin/layout");
    if (r.res.status === 200) {
      var view = await r.res.json();
      rememberOperator();
      state.layout = view;
      state.layoutError = "";
      renderLayout();
    } else {
      if (r.res.status === 403) { state.layoutAccess = "forbidden"; forgetOperator(); }
      state.layoutError = await errorText(r.res);
      renderLayoutNote();
    }
    renderLayoutAccess();
  }

  function renderLayoutAccess() {
    var box = $("layout-access");
    var access = state.layoutAccess;
    box.hidden = access === "open" || access === "operator";
    if (box.hidden) return;
    setText($("layout-access-text"), access === "forbidden"
      ? "This token may not read the layout: it needs an operator token (one of BALLOT_ADMIN_TOKENS, or a grant with admin). " + state.layoutError
      : "This server checks tokens, and the layout is an operator's view: it needs an operator token (one of BALLOT_ADMIN_TOKENS, or a grant with admin).");
    setText($("layout-load"), access === "forbidden" ? "Try again" : "Load layout");
  }

  function renderLayoutNote() {
    var note = $("layout-note");
    if (state.layoutError !== "") {
      note.className = "status bad";
      setText(note, "Layout not read: " + state.layoutError + (state.layout !== null ? " Shown: the layout read before." : ""));
    } else {
      note.className = "status muted";
      setText(note, "Read at " + new Date().toLocaleTimeString() + (layoutRunning() || $("layout-groups").open ? ", every second" : ", every " + LAYOUT_IDLE_MS / 1000 + " s") +
        " (GET /v1/admin/layout).");
    }
  }

  function renderLayout() {
    var v = state.layout;
    var sizes = v.groups.map(function (g) { return g.acceptors.length; });
    var least = Math.min.apply(null, sizes);
    var most = Math.max.apply(null, sizes);
    setText($("layout-epoch"), String(v.epoch));
    setText($("layout-group-count"), String(v.groups.length));
    setText($("layout-n"), sizes.length === 0 ? "—" : least === most ? String(least) + " (majority " + (Math.floor(least / 2) + 1) + ")" : least + " to " + most + " (groups differ while the change runs)");
    setText($("layout-vshards"), String(v.vshards));
    setText($("layout-groups-summary"), "All " + v.groups.length + " groups and their acceptors");
    renderGroups();
    renderChange(v.change);
    renderLayoutNote();
  }

  /** "main/shard-3/acceptor-0" in column 0 shows as "shard-3": the cluster and the index are said once, not per cell. */
  function clusterPrefix(groups) {
    var first = groups.length && groups[0].acceptors.length ? groups[0].acceptors[0].name : "";
    var slash = first.indexOf("/");
    if (slash < 0) return "";
    var prefix = first.slice(0, slash + 1);
    var shared = groups.every(function (g) { return g.acceptors.every(function (a) { return a.name.indexOf(prefix) === 0; }); });
    return shared ? prefix : "";
  }
  function shortName(name, prefix, index) {
    var rest = name.slice(prefix.length);
    var suffix = "/acceptor-" + index;
    return rest.length > suffix.length && rest.slice(-suffix.length) === suffix ? rest.slice(0, -suffix.length) : rest;
  }

  /** The group table; built only while its list is open (a layout can have hundreds of groups). */
  function renderGroups() {
    var v = state.layout;
    if (v === null || !$("layout-groups").open) return;
    var rows = JSON.stringify(v.groups);
    if (rows === state.layoutRows) return;
    state.layoutRows = rows;
    var width = Math.max.apply(null, [0].concat(v.groups.map(function (g) { return g.acceptors.length; })));
    var prefix = clusterPrefix(v.groups);
    var head = $("layout-groups-head");
    head.replaceChildren(el("th", { scope: "col" }, "Group"));
    for (var i = 0; i < width; i++) head.append(el("th", { scope: "col" }, "Acceptor " + i));
    var body = $("layout-groups-body");
    var fresh = [];
    v.groups.forEach(function (g) {
      var tr = el("tr", { id: "layout-group-" + g.id });
      tr.append(el("th", { scope: "row" }, "Group " + g.id));
      for (var j = 0; j < width; j++) {
        var a = g.acceptors[j];
        var td = el("td", { "data-index": String(j) });
        if (a === undefined) {
          td.textContent = "—";
        } else {
          td.append(el("code", { title: a.name }, shortName(a.name, prefix, j)), document.createTextNode(" "),
            el("span", { class: a.locationHint ? "hint" : "hint muted" }, a.locationHint || "no hint"));
        }
        tr.append(td);
      }
      fresh.push(tr);
    });
    body.replaceChildren.apply(body, fresh);
    setText($("layout-groups-caption"), "Every group's acceptor objects by index, each with its location hint" +
      (prefix ? "; names without the cluster's \u201c" + prefix + "\u201d and the \u201c/acceptor-i\u201d of their column (the full name is in each cell's title)." : "."));
  }

  function renderChange(c) {
    var summary = $("layout-change-summary");
    var facts = $("layout-change");
    if (c === null) {
      facts.hidden = true;
      setText(summary, "No layout change yet.");
      summary.className = "status muted";
      return;
    }
    facts.hidden = false;
    var kind = CHANGE_KINDS[c.kind] || c.kind;
    var step = CHANGE_STEPS.indexOf(c.step);
    setText($("layout-change-kind"), c.kind + ": " + kind);
    var stateCell = $("layout-change-state");
    setText(stateCell, c.state);
    stateCell.className = c.state === "done" ? "ok" : c.state === "failed" ? "bad" : "warn";
    setText($("layout-change-step"), step < 0 ? c.step : c.step + " (" + (step + 1) + " of " + CHANGE_STEPS.length + ": " + CHANGE_STEPS.join(", ") + ")");
    var progress = $("layout-progress");
    progress.max = Math.max(1, c.vshardsTotal);
    progress.value = c.vshardsTotal > 0 ? c.vshardsDone : c.state === "done" ? 1 : 0;
    progress.setAttribute("aria-valuetext", c.vshardsDone + " of " + c.vshardsTotal + " vshards caught up");
    setText($("layout-change-vshards"), c.vshardsDone + " of " + c.vshardsTotal + " moving vshards caught up");
    setText($("layout-change-keys"), String(c.keysCopied));
    var failed = c.error !== undefined && c.error !== "";
    $("layout-change-error-term").hidden = !failed;
    $("layout-change-error").hidden = !failed;
    setText($("layout-change-error"), failed ? c.error : "");
    // Announced (a polite live region): so it changes with the step, not with every vshard.
    setText(summary, "Change " + c.id + " (" + kind + "): " + (c.state === "running" ? "running, step " + c.step :
      c.state === "done" ? "done, epoch " + state.layout.epoch + ", " + state.layout.groups.length + " groups" : "failed in step " + c.step) + ".");
    summary.className = "status " + (c.state === "done" ? "ok" : c.state === "failed" ? "bad" : "warn");
  }

  /** The key view's line about where the key lives: its group, or the joint pair of a move (GET /v1/admin/keys). */
  function renderPlacement() {
    var node = $("key-placement");
    var s = state.slots;
    if (s === null || !Array.isArray(s.groups) || s.groups.length === 0) {
      setText(node, "");
      node.className = "status";
      return;
    }
    if (s.groups.length > 1) {
      setText(node, "Moving: \u201c" + s.key + "\u201d is in the joint pair of groups " + s.groups[0] + " (old) and " + s.groups[1] +
        " (new), epoch " + s.epoch + ". Every change of it goes to both groups until its move is done; the table shows the old group's acceptors.");
      node.className = "status warn";
    } else {
      setText(node, "\u201c" + s.key + "\u201d lives in group " + s.groups[0] + " (epoch " + s.epoch + ").");
      node.className = "status";
    }
  }

  /** Whole numbers only, from a number input; null for anything else (an empty field too). */
  function wholeNumber(id) {
    var text = $(id).value.trim();
    if (!/^-?\d+$/.test(text)) return null;
    return Number(text);
  }

  async function startChange(what, body) {
    var result = $("layout-result");
    result.className = "status";
    setText(result, what + "…");
    try {
      var r = await api("POST", "/v1/admin/layout", { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
      if (r.res.status === 202) {
        var answer = await r.res.json();
        rememberOperator();
        renderLayoutAccess();
        result.className = "status ok";
        setText(result, what + ": change " + answer.change + " started (epoch " + answer.epoch + "). Its progress shows under Latest change.");
        state.layoutAt = null;
      } else {
        var text = await errorText(r.res);
        result.className = "status bad";
        setText(result, what + " not started: " + (r.res.status === 403 ? "it needs an operator token. " : "") + text);
      }
    } catch (e) {
      result.className = "status bad";
      setText(result, what + " not started: " + e.message);
    }
    refreshNow();
  }

  function setupLayout() {
    $("layout-split-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var groups = wholeNumber("layout-split-groups");
      if (groups === null) {
        $("layout-result").className = "status bad";
        setText($("layout-result"), "Number of groups: enter a whole number.");
        $("layout-split-groups").focus();
        return;
      }
      startChange("Split into " + groups + " groups", { groups: groups });
    });
    $("layout-replace-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var group = wholeNumber("layout-replace-group");
      var index = wholeNumber("layout-replace-index");
      if (group === null || index === null) {
        $("layout-result").className = "status bad";
        setText($("layout-result"), "Replace: enter a whole number for the group and for the acceptor index.");
        $(group === null ? "layout-replace-group" : "layout-replace-index").focus();
        return;
      }
      var replace = { group: group, index: index };
      var hint = $("layout-replace-hint").value;
      if (hint !== "") replace.locationHint = hint;
      startChange("Replace acceptor " + index + " of group " + group, { replace: replace });
    });
    $("layout-load").addEventListener("click", function () {
      loadLayout().catch(function (e) { state.layoutError = e.message; renderLayoutNote(); });
    });
    $("layout-groups").addEventListener("toggle", function () {
      renderGroups();
      // Opened: read it now, and every second while it stays open.
      if ($("layout-groups").open && (state.layoutAccess === "open" || state.layoutAccess === "operator")) { state.layoutAt = null; refreshNow(); }
    });
  }

  // ---- start ----

  async function start() {
    state.layoutAccess = storedToken() === "" ? "open" : knownOperator() ? "operator" : "unknown";
    state.layoutAt = null;
    renderLayoutAccess();
    try {
      await loadMeta();
    } catch (e) {
      if (!state.needsToken) setText($("mode"), "Could not load the console: " + e.message);
      return;
    }
    openKey().catch(function (e) { noState("not read: " + e.message); });
    listKeysNow(false);
    refreshNow();
  }

  function init() {
    setupToken();
    setupKey();
    setupBrowse();
    setupWrites();
    setupLoad();
    setupLayout();
    start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
`;
