import { LOCATION_HINTS } from "../core/layout/location-hint.js";

/** One option per location hint Cloudflare knows (the server refuses any other). */
const HINT_OPTIONS = LOCATION_HINTS.map((hint) => `<option value="${hint}">${hint}</option>`).join("");

/**
 * The console's page, served as `/console`. Static: it holds no data, every value on it is fetched by
 * `/console/app.js` from the API with the visitor's token. Landmarks, labels and real buttons throughout; results are
 * announced through polite live regions.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Ballot console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script src="/console/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1>Ballot console</h1>
  <p id="mode">Loading…</p>
  <details id="auth">
    <summary>API token</summary>
    <form id="token-form">
      <div class="field">
        <label for="token">Bearer token (kept in this tab only)</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck="false">
      </div>
      <button type="submit" class="primary">Use token</button>
      <button type="button" id="token-forget">Forget token</button>
    </form>
    <p id="auth-status" class="status" role="status" aria-live="polite"></p>
  </details>
</header>
<main id="main" tabindex="-1">
  <section id="browse-section" aria-labelledby="browse-heading">
    <h2 id="browse-heading">Keys</h2>
    <form id="browse-form" role="search" aria-label="List keys" novalidate>
      <div class="field">
        <label for="browse-prefix">Prefix</label>
        <input id="browse-prefix" name="browse-prefix" maxlength="512" autocomplete="off" spellcheck="false" placeholder="every key">
      </div>
      <div class="field">
        <label for="browse-limit">Keys per page</label>
        <input id="browse-limit" name="browse-limit" type="number" min="1" max="1000" step="1" value="50">
      </div>
      <button type="submit" class="primary" id="browse-list">List keys</button>
      <button type="button" id="browse-more" hidden>More keys</button>
    </form>
    <p id="browse-status" class="status muted" role="status" aria-live="polite"></p>
    <div class="table-wrap" id="browse-wrap" role="region" aria-label="Listed keys" tabindex="0">
    <table id="browse-table">
      <caption id="browse-caption">Keys in key order (GET /v1/keys), each as a linearizable read found it; deleted keys are not listed. Choose one to open it in the key view.</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Version</th>
          <th scope="col">Content type</th>
          <th scope="col">Size</th>
        </tr>
      </thead>
      <tbody id="browse-body"></tbody>
    </table>
    </div>
  </section>

  <section id="key-section" aria-labelledby="key-heading">
    <h2 id="key-heading">Key view</h2>
    <form id="key-form" role="search" aria-label="Choose a key">
      <div class="field">
        <label for="key">Key</label>
        <input id="key" name="key" required maxlength="512" autocomplete="off" spellcheck="false" value="greeting">
      </div>
      <button type="submit" class="primary">Show key</button>
      <button type="button" id="pause" aria-pressed="false">Pause live updates</button>
    </form>
    <p id="refresh-status" class="status muted"></p>
    <div class="key-grid">
    <div>
    <h3 id="current-heading">Current value (linearizable read)</h3>
    <p class="watch"><span id="watch-status" class="watch-state" data-state="off" role="status" aria-live="polite">not watching</span> <span id="watch-detail" class="muted"></span></p>
    <dl class="facts">
      <dt>Status</dt><dd id="current-status">—</dd>
      <dt>Version</dt><dd id="current-version">—</dd>
      <dt>Content type</dt><dd id="current-type">—</dd>
      <dt>Size</dt><dd id="current-size">—</dd>
      <dt>Read</dt><dd id="current-timing">—</dd>
      <dt>Value</dt><dd><pre class="value" id="current-value">—</pre></dd>
    </dl>

    <h3 id="write-heading">Change it</h3>
    <form id="write-form" aria-labelledby="write-heading">
      <div class="field">
        <label for="value">New value (text)</label>
        <textarea id="value" name="value" rows="2">hello</textarea>
      </div>
      <button type="submit" class="primary" id="write">Write</button>
      <button type="button" id="increment">Increment by 1</button>
      <button type="button" id="delete" class="danger">Delete</button>
    </form>
    <p id="write-result" class="status" role="status" aria-live="polite"></p>

    </div>
    <div>
    <h3 id="acceptors-heading">On each acceptor</h3>
    <div class="table-wrap" role="region" aria-labelledby="acceptors-heading" tabindex="0">
    <table id="acceptors-table" aria-labelledby="acceptors-heading">
      <caption>Raw state of the key on every acceptor. Rows whose accepted ballot is held by a majority are highlighted: that state is chosen.</caption>
      <thead>
        <tr>
          <th scope="col">Acceptor</th>
          <th scope="col">Promised ballot</th>
          <th scope="col">Accepted ballot</th>
          <th scope="col">Version</th>
          <th scope="col">Value</th>
          <th scope="col">Majority</th>
        </tr>
      </thead>
      <tbody id="acceptors-body"></tbody>
    </table>
    </div>
    <p id="key-note" class="status muted"></p>
    <p id="key-placement" class="status"></p>
    </div>
    </div>
  </section>

  <section id="cluster-section" aria-labelledby="cluster-heading">
    <h2 id="cluster-heading">Cluster view</h2>
    <p id="quorum" class="banner" role="status" aria-live="polite">—</p>
    <div class="table-wrap" role="region" aria-label="Acceptors of the cluster" tabindex="0">
    <table aria-labelledby="cluster-heading">
      <caption id="cluster-caption">Acceptors</caption>
      <thead>
        <tr>
          <th scope="col">Acceptor</th>
          <th scope="col">Location hint</th>
          <th scope="col">Reachable</th>
          <th scope="col">Latency</th>
          <th scope="col">Injected fault</th>
          <th scope="col" id="actions-heading">Fault actions</th>
        </tr>
      </thead>
      <tbody id="cluster-body"></tbody>
    </table>
    </div>
    <p id="cluster-source" class="muted"></p>
    <form id="dev-form" hidden aria-label="Fault settings">
      <div class="field">
        <label for="slow-ms">Slow acceptors by (ms)</label>
        <input id="slow-ms" name="slow-ms" type="number" min="0" max="600000" step="50" value="300">
      </div>
      <button type="button" id="clear-faults">Bring all back</button>
    </form>
    <p id="fault-result" class="status" role="status" aria-live="polite"></p>
  </section>

  <section id="load-section" aria-labelledby="load-heading" hidden>
    <h2 id="load-heading">Run load</h2>
    <p class="muted">Concurrent increments from this browser. Take one acceptor down and they keep succeeding; take two down and they stop cleanly with 503 (an increment whose accept already went out may end as 504, outcome unknown). Over HTTP/1.1, as with a local <code>wrangler dev</code>, a browser opens at most 6 connections per host (the live refresh and the open key's watch use some too), so more than 6 in flight queue in the browser; over HTTP/2 all go out at once.</p>
    <form id="load-form" aria-labelledby="load-heading">
      <div class="field">
        <label for="load-key">Counter key</label>
        <input id="load-key" name="load-key" required maxlength="512" autocomplete="off" spellcheck="false" value="console-load">
      </div>
      <div class="field">
        <label for="load-total">Increments</label>
        <input id="load-total" name="load-total" type="number" min="1" max="100000" value="200">
      </div>
      <div class="field">
        <label for="load-duration">Run for</label>
        <select id="load-duration" name="load-duration">
          <option value="count" selected>the number of increments</option>
          <option value="10">10 seconds</option>
          <option value="30">30 seconds</option>
          <option value="60">60 seconds</option>
          <option value="until-stopped">until stopped</option>
        </select>
      </div>
      <div class="field">
        <label for="load-concurrency">In flight</label>
        <input id="load-concurrency" name="load-concurrency" type="number" min="1" max="256" value="16">
      </div>
      <button type="submit" class="primary" id="load-run">Run load</button>
      <button type="button" id="load-stop" disabled>Stop</button>
    </form>
    <progress id="load-progress" max="200" value="0" aria-label="Load progress"></progress>
    <dl class="counts" id="load-counts">
      <div><dt>Succeeded (2xx)</dt><dd id="load-ok">0</dd></div>
      <div><dt>Conflicts (409/412)</dt><dd id="load-conflict">0</dd></div>
      <div><dt>Unavailable (503)</dt><dd id="load-unavailable">0</dd></div>
      <div><dt>Unknown outcome (504)</dt><dd id="load-unknown">0</dd></div>
      <div><dt>Other errors</dt><dd id="load-other">0</dd></div>
      <div><dt>Writes/s</dt><dd id="load-rate">—</dd></div>
      <div><dt>Latency p50</dt><dd id="load-p50">—</dd></div>
      <div><dt>Latency p99</dt><dd id="load-p99">—</dd></div>
    </dl>
    <p id="load-result" class="status" role="status" aria-live="polite"></p>
    <figure class="load-chart" id="load-figure">
      <figcaption id="load-chart-caption">Live chart: one point per half second of the run. Take an acceptor down above while it runs to see it here.</figcaption>
      <ul class="legend" aria-label="Chart legend">
        <li><span class="swatch swatch-p50" aria-hidden="true"></span>Latency p50 (ms, solid)</li>
        <li><span class="swatch swatch-p99" aria-hidden="true"></span>Latency p99 (ms, dashed)</li>
        <li><span class="swatch swatch-ok" aria-hidden="true"></span>Succeeded (ops/s)</li>
        <li><span class="swatch swatch-failed" aria-hidden="true"></span>Failed: 503, 504 and other errors (ops/s, bars)</li>
        <li><span class="swatch swatch-event" aria-hidden="true"></span>Fault action taken during the run</li>
      </ul>
      <svg id="load-chart" role="img" aria-labelledby="load-chart-title" aria-describedby="load-chart-desc" viewBox="0 0 600 306" preserveAspectRatio="xMidYMid meet"></svg>
      <p id="load-chart-title" hidden>Latency and throughput of the load run over time</p>
      <p id="load-chart-desc" class="muted chart-desc">No run yet.</p>
    </figure>
  </section>
  <section id="layout-section" aria-labelledby="layout-heading">
    <h2 id="layout-heading">Layout</h2>
    <div id="layout-access" hidden>
      <p id="layout-access-text"></p>
      <button type="button" id="layout-load">Load layout</button>
    </div>
    <div class="layout-grid">
    <div>
    <h3 id="layout-now-heading">Now</h3>
    <dl class="facts" aria-labelledby="layout-now-heading">
      <dt>Epoch</dt><dd id="layout-epoch">—</dd>
      <dt>Groups</dt><dd id="layout-group-count">—</dd>
      <dt>Acceptors per group</dt><dd id="layout-n">—</dd>
      <dt>Vshards</dt><dd id="layout-vshards">—</dd>
    </dl>
    <p id="layout-note" class="status muted"></p>
    </div>
    <div>
    <h3 id="layout-change-heading">Latest change</h3>
    <p id="layout-change-summary" class="status" role="status" aria-live="polite">—</p>
    <dl class="facts" id="layout-change" aria-labelledby="layout-change-heading" hidden>
      <dt>Kind</dt><dd id="layout-change-kind">—</dd>
      <dt>State</dt><dd id="layout-change-state">—</dd>
      <dt>Step</dt><dd id="layout-change-step">—</dd>
      <dt>Vshards</dt><dd><progress id="layout-progress" max="1" value="0" aria-label="Vshards caught up"></progress><span id="layout-change-vshards">—</span></dd>
      <dt>Keys copied</dt><dd id="layout-change-keys">—</dd>
      <dt id="layout-change-error-term" hidden>Error</dt><dd id="layout-change-error" hidden></dd>
    </dl>
    </div>
    <div>
    <h3 id="layout-start-heading">Start a change</h3>
    <form id="layout-split-form" aria-label="Split into groups" novalidate>
      <div class="field">
        <label for="layout-split-groups">Number of groups</label>
        <input id="layout-split-groups" name="layout-split-groups" type="number" min="1" step="1" value="32">
      </div>
      <button type="submit" class="primary">Start split</button>
    </form>
    <form id="layout-replace-form" aria-label="Replace an acceptor" novalidate>
      <div class="field">
        <label for="layout-replace-group">Group</label>
        <input id="layout-replace-group" name="layout-replace-group" type="number" min="0" step="1" value="0">
      </div>
      <div class="field">
        <label for="layout-replace-index">Acceptor index</label>
        <input id="layout-replace-index" name="layout-replace-index" type="number" min="0" step="1" value="0">
      </div>
      <div class="field">
        <label for="layout-replace-hint">Location hint</label>
        <select id="layout-replace-hint" name="layout-replace-hint">
          <option value="" selected>the old one's</option>
          ${HINT_OPTIONS}
        </select>
      </div>
      <button type="submit">Replace acceptor</button>
    </form>
    <p id="layout-result" class="status" role="status" aria-live="polite"></p>
    </div>
    </div>
    <details id="layout-groups">
      <summary id="layout-groups-summary">Groups and their acceptors</summary>
      <div class="table-wrap" role="region" aria-label="Groups of the layout" tabindex="0">
      <table aria-labelledby="layout-groups-summary">
        <caption id="layout-groups-caption">Every group's acceptor objects by index, each with its location hint.</caption>
        <thead><tr id="layout-groups-head"><th scope="col">Group</th></tr></thead>
        <tbody id="layout-groups-body"></tbody>
      </table>
      </div>
    </details>
  </section>
</main>
<footer>
  <p>Ballot: linearizable registers over CASPaxos. Ballots read <code>counter.proposer</code>. Per-acceptor state and fault injection need the dev admin API (<code>DEV_ADMIN = "true"</code>).</p>
</footer>
</body>
</html>
`;
