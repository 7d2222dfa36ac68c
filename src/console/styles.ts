/** The console's stylesheet, served as `/console/app.css`. Plain CSS, no external fonts or assets. */
export const CONSOLE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #fbfbfd; --fg: #1b1d22; --muted: #5b6270; --line: #d5d9e0; --panel: #ffffff;
  --accent: #1f5fbf; --ok: #17663a; --ok-bg: #e3f4e9; --bad: #a4231c; --bad-bg: #fbe6e4; --warn: #7a5300; --warn-bg: #fff3d6;
  --focus: #ff9f1a;
  --p50: #1f5fbf; --p99: #8a3ffc; --rate: #17663a; --failed: #c8322a; --event: #7a5300; --grid: #e3e6eb;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14161a; --fg: #e9ebef; --muted: #a5adba; --line: #343a44; --panel: #1c1f25;
    --accent: #8cb4ff; --ok: #8fe0ad; --ok-bg: #17301f; --bad: #ffaba3; --bad-bg: #3a1a17; --warn: #ffd98a; --warn-bg: #382c10;
    --p50: #8cb4ff; --p99: #d4a6ff; --rate: #8fe0ad; --failed: #ff7b72; --event: #ffd98a; --grid: #2a2f37;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--accent); }
.skip { position: absolute; left: -9999px; top: 0; }
.skip:focus { left: 8px; top: 8px; background: var(--panel); padding: 6px 10px; z-index: 10; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 12px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 1.25rem; margin: 0; }
header p { margin: 0; color: var(--muted); }
header details { margin-left: auto; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 16px 24px; max-width: 1500px; }
@media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); } }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px 16px; min-width: 0; }
section#key-section { grid-column: 1 / -1; }
.key-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: 8px 24px; }
@media (max-width: 1000px) { .key-grid { grid-template-columns: minmax(0, 1fr); } }
.table-wrap { overflow-x: auto; }
h2 { font-size: 1.1rem; margin: 0 0 8px; }
h3 { font-size: 1rem; margin: 16px 0 6px; }
form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px 12px; margin: 8px 0; }
.field { display: flex; flex-direction: column; gap: 2px; }
label { font-size: 0.85rem; color: var(--muted); }
input, textarea, button { font: inherit; color: inherit; }
input, textarea { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; }
input[type="number"] { width: 7em; }
textarea { min-width: 18em; min-height: 2.4em; resize: vertical; }
button { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 5px 12px; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--panel); }
button.danger { border-color: var(--bad); color: var(--bad); }
button[aria-pressed="true"] { background: var(--warn-bg); border-color: var(--warn); }
button:disabled { opacity: 0.55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; padding-bottom: 4px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.85rem; color: var(--muted); font-weight: 600; }
td code, dd code { font-size: 0.85rem; word-break: break-all; }
tr.majority td { background: var(--ok-bg); }
tr.majority td:first-child { box-shadow: inset 4px 0 0 var(--ok); }
tr.failed td { background: var(--bad-bg); }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.reason { display: block; font-weight: 400; font-size: 0.85rem; }
.warn { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.status { min-height: 1.45em; margin: 4px 0; }
.banner { padding: 6px 10px; border-radius: 6px; margin: 6px 0; }
.banner.ok { background: var(--ok-bg); }
.banner.bad { background: var(--bad-bg); }
.banner.warn { background: var(--warn-bg); }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; }
pre.value { margin: 0; white-space: pre-wrap; word-break: break-all; max-height: 8em; overflow: auto; font-size: 0.85rem; }
dl.counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5em, 1fr)); gap: 8px; margin: 8px 0; }
dl.counts div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
dl.counts dt { font-size: 0.8rem; color: var(--muted); }
dl.counts dd { margin: 0; font-size: 1.35rem; font-variant-numeric: tabular-nums; }
progress { width: 100%; }
.actions { display: flex; flex-wrap: nowrap; gap: 4px; }
th[scope="row"], .actions button { white-space: nowrap; }
.actions button { padding: 2px 8px; font-size: 0.85rem; }
figure.load-chart { margin: 12px 0 0; }
figure.load-chart figcaption { font-size: 0.85rem; color: var(--muted); }
ul.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; padding: 0; margin: 6px 0; font-size: 0.85rem; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; height: 0; border-top: 3px solid; }
.swatch-p50 { border-color: var(--p50); }
.swatch-p99 { border-color: var(--p99); border-top-style: dashed; }
.swatch-ok { border-color: var(--rate); }
.swatch-failed { height: 10px; border: 0; background: var(--failed); opacity: 0.75; }
.swatch-event { width: 0; height: 14px; border-top: 0; border-left: 2px dashed var(--event); }
#load-chart { display: block; width: 100%; height: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
#load-chart .grid { stroke: var(--grid); stroke-width: 1; }
#load-chart .tick { fill: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
#load-chart .axis-title { fill: var(--fg); font-size: 12px; font-weight: 600; }
#load-chart path { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
#load-chart .series-p50 { stroke: var(--p50); }
#load-chart .series-p99 { stroke: var(--p99); stroke-dasharray: 6 4; }
#load-chart .series-ok { stroke: var(--rate); }
#load-chart .series-failed { fill: var(--failed); opacity: 0.75; }
#load-chart .event line { stroke: var(--event); stroke-width: 1.5; stroke-dasharray: 4 3; }
#load-chart .event text { fill: var(--event); font-size: 12px; font-weight: 600; }
.chart-desc { font-size: 0.85rem; margin: 4px 0 0; }
select { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; }
[hidden] { display: none !important; }
section#layout-section { grid-column: 1 / -1; }
.layout-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(18em, 1fr)); gap: 8px 24px; }
#layout-access { padding: 6px 10px; border-radius: 6px; background: var(--warn-bg); margin: 6px 0; }
#layout-access p { margin: 0 0 6px; }
#layout-progress { display: block; margin: 4px 0 2px; }
#layout-change-vshards { font-size: 0.85rem; color: var(--muted); }
#layout-groups { margin-top: 12px; }
#layout-groups summary { cursor: pointer; font-weight: 600; }
#layout-groups .table-wrap { max-height: 28em; overflow: auto; }
#layout-groups td { white-space: nowrap; }
#layout-groups thead th { position: sticky; top: 0; background: var(--panel); }
#layout-groups .hint { font-size: 0.85rem; }
#key-placement.warn { background: var(--warn-bg); padding: 4px 8px; border-radius: 6px; }
section#browse-section { grid-column: 1 / -1; }
#browse-wrap { max-height: 18em; overflow: auto; }
#browse-table thead th { position: sticky; top: 0; background: var(--panel); }
#browse-body tr { cursor: pointer; }
#browse-body tr:hover td, #browse-body tr:hover th { background: var(--bg); }
#browse-body tr[aria-current="true"] th { box-shadow: inset 4px 0 0 var(--accent); }
#browse-body tr[aria-current="true"] td, #browse-body tr[aria-current="true"] th { background: var(--bg); }
#browse-body tr.deleted td { color: var(--muted); }
button.link { background: none; border: 0; padding: 0; color: var(--accent); text-decoration: underline; text-align: left; word-break: break-all; font-weight: 400; }
p.watch { margin: 0 0 4px; font-size: 0.85rem; }
.watch-state { display: inline-flex; align-items: center; gap: 6px; padding: 1px 8px; border-radius: 999px; font-weight: 600; background: var(--warn-bg); color: var(--warn); }
.watch-state::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.watch-state[data-state="live"] { background: var(--ok-bg); color: var(--ok); }
.watch-state[data-state="off"], .watch-state[data-state="paused"] { background: var(--bg); color: var(--muted); border: 1px solid var(--line); }
footer { padding: 8px 24px 24px; color: var(--muted); font-size: 0.85rem; }
`;
