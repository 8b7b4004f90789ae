import type { Severity } from '../finding-codes.ts';
import { classSeverity, type DriftReport } from '../fleet/report.ts';
import { AGENT_STATUSES, DRIFT_CLASSES, type DriftClass } from '../fleet/types.ts';

/**
 * `drift --format html`: one self-contained page (no external assets; a CSP forbids loading
 * any) with summary tiles, a chart of drift per tenant, versions over time from the history
 * database, a sortable and filterable tenant × product × class table, and the sampled findings.
 * Every number on the page comes from the same DriftReport as `--format json`; the page's data
 * is embedded as JSON and the tiles and chart are also rendered server-side, so it reads the
 * same with scripts off.
 */
export interface HtmlOptions {
  /** Rollup rows embedded for the table (the rest are counted). */
  readonly maxRollupRows?: number;
  /** Tenants drawn in the chart. */
  readonly maxChartTenants?: number;
}

/**
 * A colour per class, by the class's default severity (darkest for critical, then high, medium,
 * low; green for on-target; grey for stale, which is freshness, not a status). Each class has its
 * own shade so that every series of the chart is told apart.
 */
export const CLASS_COLORS: Readonly<Record<DriftClass, string>> = {
  'hash-mismatch': '#67000d',
  revoked: '#a50f15',
  'unlisted-instance': '#ae017e',
  vulnerable: '#d7301f',
  'below-minimum': '#e6550d',
  'unreleased-version': '#f16913',
  behind: '#d4a017',
  'platform-not-allowed': '#b8860b',
  'ahead-of-target': '#4292c6',
  'unknown-version': '#8c6d31',
  'on-target': '#238b45',
  'unapproved-tool': '#7a0177',
  stale: '#969696',
};

/** Colours of severities, for the legend and the severity cells. */
export const SEVERITY_COLORS: Readonly<Record<Severity | 'ok', string>> = {
  critical: '#67000d',
  high: '#d7301f',
  medium: '#b8860b',
  low: '#2171b5',
  info: '#737373',
  ok: '#238b45',
};

/**
 * Bidirectional controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) and invisible format
 * characters (U+200B–200D, U+2060–2064, U+FEFF): in a tenant, product or file name they reorder
 * or hide what the page shows (Trojan Source, CVE-2021-42574), so the page shows them as
 * `\uNNNN`, as the text and Markdown reports do (report/escape-text.ts).
 */
const BIDI_AND_INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

const codePoint = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Untrusted text for an element or a quoted attribute: markup escaped, bidi controls made visible. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(BIDI_AND_INVISIBLE, codePoint);
}

/**
 * JSON that is safe inside a <script> element (no `</script>`, no `<!--`, no U+2028/2029) and
 * carries no raw bidi control: those are JSON `\uNNNN` escapes (the data keeps the exact text;
 * the page's script shows them as `\uNNNN` wherever it writes a name).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[<>&\u2028\u2029]/g, codePoint)
    .replace(BIDI_AND_INVISIBLE, codePoint);
}

/**
 * The series of the tenant chart: each primary status, then unapproved tools. The
 * unlisted-instance series counts agents and tool installs of unlisted instances.
 */
const CHART_SERIES: readonly DriftClass[] = [...AGENT_STATUSES, 'unapproved-tool'];

/**
 * Drift per tenant as HTML bars (no script needed, and it reflows to any width): one bar per
 * tenant whose segments are its agents per primary status plus its unapproved tools and its tool
 * installs of unlisted instances, so a bar adds up to agents + unapproved tools + unlisted tool
 * instances; a thin grey bar under it shows the stale agents.
 */
function tenantChart(report: DriftReport, maxTenants: number): string {
  const tenants = report.drift.tenants.filter((t) => t.agents + t.tools > 0).slice(0, maxTenants);
  if (tenants.length === 0) return '<p class="muted">No agents found.</p>';
  const max = Math.max(...tenants.map((t) => t.agents + t.unapprovedTools + t.unlistedInstances), 1);
  const bars = tenants.map((t) => {
    const segments: string[] = [];
    for (const c of CHART_SERIES) {
      const n =
        c === 'unapproved-tool'
          ? t.unapprovedTools
          : (t.status[c as keyof typeof t.status] ?? 0) +
            (c === 'unlisted-instance' ? t.unlistedInstances : 0);
      if (n === 0) continue;
      const severity = c === 'on-target' ? 'ok' : (classSeverity(report, c) ?? 'ok');
      segments.push(
        `<span class="seg" data-class="${c}" data-count="${n}" style="width:${((n / max) * 100).toFixed(2)}%;background:${CLASS_COLORS[c]}" title="${escapeHtml(t.tenant)}: ${n} ${c} (${severity})"></span>`,
      );
    }
    const stale =
      t.stale > 0
        ? `<span class="seg" data-class="stale" data-count="${t.stale}" style="width:${((t.stale / max) * 100).toFixed(2)}%;background:${CLASS_COLORS.stale}" title="${escapeHtml(t.tenant)}: ${t.stale} stale"></span>`
        : '';
    return (
      `<div class="chart-row" data-tenant="${escapeHtml(t.tenant)}"><div class="chart-label">${escapeHtml(t.tenant)} ` +
      `<span class="muted">${t.onTarget}/${t.agents} on target (${t.percentOnTarget}%)${t.stale > 0 ? `, ${t.stale} stale` : ''}${t.unapprovedTools > 0 ? `, ${t.unapprovedTools} unapproved tool(s)` : ''}${t.unlistedInstances > 0 ? `, ${t.unlistedInstances} tool(s) of an unlisted instance` : ''}</span></div>` +
      `<div class="bar">${segments.join('')}</div><div class="bar stale-bar">${stale}</div></div>`
    );
  });
  const legend = [...CHART_SERIES, 'stale' as const]
    .map((c) => {
      const severity =
        c === 'on-target' ? 'ok' : c === 'stale' ? 'freshness' : (classSeverity(report, c) ?? '');
      return `<span class="legend" data-class="${c}"><span class="swatch" style="background:${CLASS_COLORS[c]}"></span>${c} <span class="muted">(${severity})</span></span>`;
    })
    .join(' ');
  return `<div class="legends">${legend}</div><div id="tenant-chart" role="img" aria-label="Agents per primary status per tenant">${bars.join('')}</div>`;
}

function severityCell(severity: Severity | null): string {
  const name = severity ?? 'ok';
  return `<td class="sev-${name}">${name}</td>`;
}

function table(
  id: string,
  label: string,
  head: readonly string[],
  body: string,
  numeric: ReadonlySet<number>,
): string {
  return (
    `<div class="scroll" role="region" aria-label="${escapeHtml(label)}" tabindex="0"><table id="${id}"><thead><tr>` +
    head
      .map(
        (h, i) =>
          `<th scope="col" data-col="${i}"${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`,
      )
      .join('') +
    `</tr></thead><tbody>${body}</tbody></table></div>`
  );
}

export function renderDriftHtml(report: DriftReport, options: HtmlOptions = {}): string {
  const drift = report.drift;
  const fleet = drift.fleet;
  const maxRows = options.maxRollupRows ?? 20_000;
  const rollups = [...drift.rollups]
    .sort((a, b) => b.count - a.count || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0))
    .slice(0, maxRows);
  const data = {
    generatedAt: report.generatedAt,
    result: report.result,
    fleet,
    tenants: drift.tenants,
    rollupsHidden: Math.max(0, drift.rollups.length - maxRows),
    versions: drift.versions,
    history:
      drift.history === null
        ? null
        : { scans: drift.history.scans, versionsOverTime: drift.history.versionsOverTime },
  };
  const tile = (metric: string, label: string, value: string, extra = '') =>
    `<div class="tile${extra}"><div class="value" data-metric="${metric}">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
  const tiles = [
    tile('tenants', 'tenants', String(fleet.tenants)),
    tile('agents', 'agents', String(fleet.agents)),
    tile('onTarget', 'on target', String(fleet.onTarget)),
    tile('percentOnTarget', '% on target', `${fleet.percentOnTarget}`),
    ...AGENT_STATUSES.filter((c) => c !== 'on-target').map((c) =>
      tile(
        `status:${c}`,
        `${c} (${classSeverity(report, c) ?? ''})`,
        String(fleet.status[c]),
        fleet.status[c] > 0 ? ' bad' : '',
      ),
    ),
    tile('stale', 'stale agents', String(fleet.stale), fleet.stale > 0 ? ' bad' : ''),
    tile(
      'unapprovedTools',
      'unapproved tools',
      String(fleet.unapprovedTools),
      fleet.unapprovedTools > 0 ? ' bad' : '',
    ),
    tile(
      'unlistedInstances',
      'tools of an unlisted instance',
      String(fleet.unlistedInstances),
      fleet.unlistedInstances > 0 ? ' bad' : '',
    ),
    tile('duplicateRows', 'duplicate rows', String(fleet.duplicateRows)),
    tile('malformedRows', 'malformed rows', String(fleet.malformedRows)),
  ].join('');
  const history = drift.history;
  const historyBlock =
    history === null
      ? ''
      : `<p data-metric="history">Scan ${history.scanId}${history.previousScanId === null ? ' (first in this history)' : ` compared with scan ${history.previousScanId}`}: ` +
        `<span data-metric="downgrades">${history.downgrades}</span> downgrade(s), <span data-metric="newEndpoints">${history.newEndpoints}</span> new, ` +
        `<span data-metric="vanishedEndpoints">${history.vanishedEndpoints}</span> vanished.</p>`;
  const notices = (report.notices ?? [])
    .map((n) => `<p class="notice" data-notice>${escapeHtml(n)}</p>`)
    .join('');
  const tenantRows = drift.tenants
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.tenant)}</td><td class="num">${t.agents}</td><td class="num">${t.onTarget}</td><td class="num">${t.percentOnTarget}</td>` +
        AGENT_STATUSES.filter((c) => c !== 'on-target')
          .map((c) => `<td class="num">${t.status[c] ?? 0}</td>`)
          .join('') +
        `<td class="num">${t.stale}</td><td class="num">${t.unapprovedTools}</td><td class="num">${t.unlistedInstances}</td>${severityCell(t.severity)}</tr>`,
    )
    .join('');
  const tenantHead = [
    'Tenant',
    'Agents',
    'On target',
    '%',
    ...AGENT_STATUSES.filter((c) => c !== 'on-target'),
    'stale',
    'unapproved tools',
    'unlisted-instance tools',
    'Worst severity',
  ];
  const rollupRows = rollups
    .map(
      (r) =>
        `<tr data-class="${r.class}"><td>${escapeHtml(r.tenant)}</td><td>${escapeHtml(r.product)}</td><td>${r.class}</td>${severityCell(r.severity)}<td class="num">${r.count}</td><td class="num">${r.stale}</td></tr>`,
    )
    .join('');
  const versionRows = drift.versions
    .slice(0, 2000)
    .map(
      (v) =>
        `<tr><td>${escapeHtml(v.product)}</td><td>${escapeHtml(v.version)}</td><td>${v.versionClass}</td><td class="num">${v.count}</td></tr>`,
    )
    .join('');
  const findingsRows = report.findings
    .slice(0, 500)
    .map(
      (f) =>
        `<tr><td class="sev-${f.severity}">${f.severity}</td><td>${escapeHtml(f.code)}</td><td>${escapeHtml(f.subject)}</td><td>${escapeHtml(f.message)}</td></tr>`,
    )
    .join('');
  const numeric = (...columns: number[]) => new Set(columns);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rmm-verify fleet drift — ${escapeHtml(report.generatedAt)}</title>
<style>
*{box-sizing:border-box}[hidden]{display:none!important}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1c2833;background:#fdfefe;max-width:1400px}
@media (max-width:600px){body{margin:10px}}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#5f6a6a;fill:#5f6a6a}
.result-pass{color:#1e8449}.result-fail{color:#b03a2e}
.notice{border:1px solid #e6b0aa;background:#fdedec;padding:6px 10px;border-radius:6px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:8px}
.tile{border:1px solid #d5d8dc;border-radius:6px;padding:8px 12px;background:#fff;min-width:0}
.tile.bad{border-color:#e6b0aa;background:#fdedec}
.tile .value{font-size:20px;font-weight:600}.tile .label{color:#566573;font-size:12px;overflow-wrap:anywhere}
.legends{display:flex;flex-wrap:wrap;gap:4px 12px;margin-bottom:8px}
.legend{display:inline-flex;align-items:center;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;border-radius:2px}
.chart-row{margin:6px 0}.chart-label{font-size:13px;overflow-wrap:anywhere}
.bar{display:flex;height:16px;background:#f4f6f6;border-radius:3px;overflow:hidden}
.stale-bar{height:4px;margin-top:2px;background:none}
.seg{display:block;height:100%;min-width:2px}
.scroll{overflow-x:auto;max-width:100%}
.scroll:focus{outline:2px solid #2471a3}
table{border-collapse:collapse;margin-top:8px}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f4f6f6;white-space:nowrap}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th button:focus-visible{outline:2px solid #2471a3;outline-offset:2px}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
#findings td:last-child{min-width:16em;overflow-wrap:anywhere}
.sev-critical{color:#67000d;font-weight:600}.sev-high{color:#b03a2e}.sev-medium{color:#8a6508}.sev-low{color:#1f618d}.sev-info,.sev-ok{color:#5f6a6a}
.controls{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
input,select{font:inherit;padding:3px 6px;max-width:100%}
#versions-chart{width:100%;max-width:760px;height:auto}
</style>
</head>
<body>
<h1>Fleet drift</h1>
<p>Generated ${escapeHtml(report.generatedAt)} by rmm-verify ${escapeHtml(report.tool.version)} — result: <strong class="result-${report.result}" data-metric="result">${report.result.toUpperCase()}</strong>; ${fleet.agents} agents in ${fleet.tenants} tenants, each counted once by its primary status; stale after ${drift.staleDays} days.</p>
${notices}
<div class="tiles">${tiles}</div>
${historyBlock}
<h2>Agents per tenant by primary status (worst first)</h2>
${tenantChart(report, options.maxChartTenants ?? 30)}
<h2>Tenants</h2>
${table('tenants', 'Tenants', tenantHead, tenantRows, numeric(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14))}
<h2>Versions over time</h2>
<div class="controls" id="version-controls" hidden><label>Product <select id="version-product"></select></label></div>
<svg id="versions-chart" role="img" aria-label="Versions over time" width="760" height="260" viewBox="0 0 760 260" hidden></svg>
${table('versions', 'Versions', ['Product', 'Version', 'Version class', 'Agents'], versionRows, numeric(3))}
<h2>Tenant × product × primary status</h2>
<div class="controls" id="rollup-controls" hidden>
<input id="filter" type="search" placeholder="Filter (tenant, product, status…)" aria-label="Filter rows">
<select id="class-filter" aria-label="Status"><option value="">all statuses</option>${DRIFT_CLASSES.filter(
    (c) => c !== 'stale',
  )
    .map((c) => `<option>${c}</option>`)
    .join('')}</select>
<span id="row-count" class="muted" aria-live="polite"></span>
</div>
${table('rollups', 'Tenant, product and primary status', ['Tenant', 'Product', 'Status', 'Severity', 'Count', 'Stale'], rollupRows, numeric(4, 5))}
${data.rollupsHidden > 0 ? `<p class="muted">${data.rollupsHidden} more rows only in the JSON report.</p>` : ''}
<h2>Findings (sampled; counts above are complete)</h2>
${table('findings', 'Findings', ['Severity', 'Code', 'Subject', 'Message'], findingsRows, numeric())}
<script type="application/json" id="drift-data">${jsonForScript(data)}</script>
<script>
"use strict";
(function () {
  // Everything above reads without this script; it adds sorting (from the keyboard too: each
  // header becomes a button), filtering and the versions-over-time chart.
  var data = JSON.parse(document.getElementById("drift-data").textContent);
  var SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4, ok: 5 };
  function cellValue(row, col, numericCols) {
    var text = row.cells[col] ? row.cells[col].textContent : "";
    if (numericCols[col]) return Number(text);
    if (SEVERITY_RANK[text] !== undefined && row.cells[col].className.indexOf("sev-") === 0) return SEVERITY_RANK[text];
    return text.toLowerCase();
  }
  function sortable(table, onSorted) {
    var headers = table.querySelectorAll("th");
    var numericCols = {};
    headers.forEach(function (th, col) { if (th.classList.contains("num")) numericCols[col] = true; });
    headers.forEach(function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        if (th.getAttribute("aria-sort") === null && numericCols[col]) ascending = false;
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, col, numericCols), y = cellValue(b, col, numericCols);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        if (onSorted) onSorted();
      });
    });
  }
  ["tenants", "versions", "findings"].forEach(function (id) { sortable(document.getElementById(id)); });

  var rollups = document.getElementById("rollups");
  var filter = document.getElementById("filter");
  var classFilter = document.getElementById("class-filter");
  document.getElementById("rollup-controls").hidden = false;
  function applyFilter() {
    var text = filter.value.trim().toLowerCase();
    var cls = classFilter.value;
    var shown = 0, agents = 0;
    Array.prototype.forEach.call(rollups.tBodies[0].rows, function (row) {
      var visible = (!cls || row.getAttribute("data-class") === cls) &&
        (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
      row.hidden = !visible;
      if (visible) { shown++; agents += Number(row.cells[4].textContent); }
    });
    document.getElementById("row-count").textContent = "showing " + shown + " rows (" + agents + " agents)";
  }
  sortable(rollups, applyFilter);
  filter.addEventListener("input", applyFilter);
  classFilter.addEventListener("change", applyFilter);
  applyFilter();

  // Versions over time: agents per version of one product across the stored scans (or the
  // current scan alone without --history), as one line per version.
  var SVG = "http://www.w3.org/2000/svg";
  var chart = document.getElementById("versions-chart");
  var select = document.getElementById("version-product");
  var points = data.history ? data.history.versionsOverTime : data.versions.map(function (v) { return { scanId: 0, product: v.product, version: v.version, count: v.count }; });
  var scans = data.history ? data.history.scans.map(function (s) { return s.scanId; }) : [0];
  var products = Array.from(new Set(points.map(function (p) { return p.product; }))).sort();
  products.forEach(function (p) { var o = document.createElement("option"); o.value = p; o.textContent = visible(p); select.appendChild(o); });
  var palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  // Names from the data with bidirectional and invisible characters shown as \\uNNNN, as the
  // server-side cells show them (escapeHtml).
  function visible(text) {
    return String(text).replace(/[\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]/g, function (c) {
      return "\\\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }
  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function drawVersions() {
    chart.replaceChildren();
    var product = select.value;
    var mine = points.filter(function (p) { return p.product === product; });
    var totals = {};
    mine.forEach(function (p) { totals[p.version] = (totals[p.version] || 0) + p.count; });
    var versions = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a]; }).slice(0, 10);
    var max = Math.max.apply(null, mine.map(function (p) { return p.count; }).concat([1]));
    var left = 50, top = 10, width = 560, height = 200;
    var x = function (i) { return left + (scans.length === 1 ? width / 2 : (i * width) / (scans.length - 1)); };
    var y = function (v) { return top + height - (v / max) * height; };
    chart.appendChild(el("line", { x1: left, y1: top + height, x2: left + width, y2: top + height, stroke: "#aab7b8" }));
    chart.appendChild(el("text", { x: left - 6, y: top + 10, "text-anchor": "end" }, String(max)));
    chart.appendChild(el("text", { x: left - 6, y: top + height, "text-anchor": "end" }, "0"));
    if (scans.length > 1) scans.forEach(function (scan, i) {
      chart.appendChild(el("text", { x: x(i), y: top + height + 16, "text-anchor": "middle", class: "muted" }, "scan " + scan));
    });
    else chart.appendChild(el("text", { x: left + width / 2, y: top + height + 16, "text-anchor": "middle", class: "muted" }, "this scan (no history yet)"));
    versions.forEach(function (version, k) {
      var color = palette[k % palette.length];
      var series = scans.map(function (scan) {
        var hit = mine.find(function (p) { return p.scanId === scan && p.version === version; });
        return hit ? hit.count : 0;
      });
      var path = series.map(function (v, i) { return (i === 0 ? "M" : "L") + x(i).toFixed(1) + " " + y(v).toFixed(1); }).join(" ");
      if (scans.length === 1) {
        var slot = width / versions.length;
        var bar = el("rect", { x: left + k * slot + slot * 0.15, y: y(series[0]), width: slot * 0.7, height: top + height - y(series[0]), fill: color });
        bar.appendChild(el("title", {}, visible(version) + ": " + series[0] + " agents"));
        chart.appendChild(bar);
      } else {
        chart.appendChild(el("path", { d: path, fill: "none", stroke: color, "stroke-width": 2 }));
        series.forEach(function (v, i) {
          var dot = el("circle", { cx: x(i), cy: y(v), r: 3.5, fill: color });
          dot.appendChild(el("title", {}, visible(version) + ": " + v + " agents"));
          chart.appendChild(dot);
        });
      }
      chart.appendChild(el("rect", { x: left + width + 20, y: top + k * 18, width: 10, height: 10, fill: color }));
      chart.appendChild(el("text", { x: left + width + 36, y: top + k * 18 + 9 }, visible(version) + " (" + series[series.length - 1] + ")"));
    });
  }
  select.addEventListener("change", drawVersions);
  if (products.length > 0) {
    document.getElementById("version-controls").hidden = false;
    chart.removeAttribute("hidden");
    drawVersions();
  }
})();
</script>
</body>
</html>
`;
}
