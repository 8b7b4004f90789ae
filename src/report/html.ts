import type { DriftReport } from '../fleet/report.ts';
import { CLASS_CODE } from '../fleet/scan.ts';
import { DRIFT_CLASSES, type DriftClass } from '../fleet/types.ts';
import { FINDING_CODES } from '../findings.ts';

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

export const CLASS_COLORS: Readonly<Record<DriftClass, string>> = {
  revoked: '#7f0000',
  'hash-mismatch': '#b2182b',
  vulnerable: '#d6604d',
  'below-minimum': '#f4a582',
  'unapproved-tool': '#8e44ad',
  behind: '#f1c40f',
  'unknown-version': '#7f8c8d',
  'platform-not-allowed': '#95a5a6',
  'ahead-of-target': '#5dade2',
  stale: '#bdc3c7',
  'on-target': '#27ae60',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element (no `</script>`, no `<!--`, no U+2028/2029). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const PROBLEM_CLASSES: readonly DriftClass[] = DRIFT_CLASSES.filter((c) => c !== 'on-target');

function tenantChart(report: DriftReport, maxTenants: number): string {
  const tenants = report.drift.tenants.filter((t) => t.agents + t.tools > 0).slice(0, maxTenants);
  if (tenants.length === 0) return '<p class="muted">No agents found.</p>';
  const rowHeight = 22;
  const labelWidth = 180;
  const barWidth = 560;
  const height = tenants.length * rowHeight + 10;
  const max = Math.max(...tenants.map((t) => t.agents + t.tools));
  const bars = tenants.map((t, i) => {
    const y = i * rowHeight + 4;
    let x = labelWidth;
    const segments: string[] = [];
    for (const c of [...PROBLEM_CLASSES, 'on-target' as const]) {
      // Classes overlap (a stale agent is also behind, say): the chart shows each agent's version
      // class plus the unapproved tools, so a bar adds up to agents + unapproved tools.
      if (
        c === 'revoked' ||
        c === 'hash-mismatch' ||
        c === 'vulnerable' ||
        c === 'stale' ||
        c === 'platform-not-allowed'
      )
        continue;
      const n = t.classes[c] ?? 0;
      if (n === 0) continue;
      const w = (n / max) * barWidth;
      segments.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 0.5).toFixed(1)}" height="${rowHeight - 6}" fill="${CLASS_COLORS[c]}"><title>${escapeHtml(t.tenant)}: ${n} ${c}</title></rect>`,
      );
      x += w;
    }
    return (
      `<g data-tenant="${escapeHtml(t.tenant)}"><text x="${labelWidth - 6}" y="${y + rowHeight - 10}" text-anchor="end">${escapeHtml(t.tenant.length > 26 ? `${t.tenant.slice(0, 25)}…` : t.tenant)}</text>` +
      `${segments.join('')}<text x="${(x + 4).toFixed(1)}" y="${y + rowHeight - 10}" class="muted">${t.percentOnTarget}% on target</text></g>`
    );
  });
  const legendClasses: DriftClass[] = [
    'below-minimum',
    'unapproved-tool',
    'behind',
    'unknown-version',
    'ahead-of-target',
    'on-target',
  ];
  const legend = legendClasses
    .map(
      (c) =>
        `<span class="legend"><span class="swatch" style="background:${CLASS_COLORS[c]}"></span>${c}</span>`,
    )
    .join(' ');
  return `<div>${legend}</div><svg id="tenant-chart" role="img" aria-label="Drift per tenant" width="${labelWidth + barWidth + 120}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 120} ${height}">${bars.join('')}</svg>`;
}

export function renderDriftHtml(report: DriftReport, options: HtmlOptions = {}): string {
  const drift = report.drift;
  const fleet = drift.fleet;
  const maxRows = options.maxRollupRows ?? 20_000;
  const data = {
    generatedAt: report.generatedAt,
    result: report.result,
    fleet,
    tenants: drift.tenants,
    rollups: drift.rollups.slice(0, maxRows).map((r) => {
      const code = CLASS_CODE[r.class];
      return [
        r.tenant,
        r.product,
        r.class,
        code === undefined ? 'ok' : FINDING_CODES[code].severity,
        r.count,
      ];
    }),
    rollupsHidden: Math.max(0, drift.rollups.length - maxRows),
    versions: drift.versions,
    history:
      drift.history === null
        ? null
        : { scans: drift.history.scans, versionsOverTime: drift.history.versionsOverTime },
    colors: CLASS_COLORS,
  };
  const tile = (metric: string, label: string, value: string, extra = '') =>
    `<div class="tile${extra}"><div class="value" data-metric="${metric}">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
  const tiles = [
    tile('tenants', 'tenants', String(fleet.tenants)),
    tile('agents', 'agents', String(fleet.agents)),
    tile('onTarget', 'on target', String(fleet.onTarget)),
    tile('percentOnTarget', '% on target', `${fleet.percentOnTarget}`),
    ...PROBLEM_CLASSES.map((c) =>
      tile(`class:${c}`, c, String(fleet.classes[c]), fleet.classes[c] > 0 ? ' bad' : ''),
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
  const findingsRows = report.findings
    .slice(0, 500)
    .map(
      (f) =>
        `<tr><td class="sev-${f.severity}">${f.severity}</td><td>${escapeHtml(f.code)}</td><td>${escapeHtml(f.subject)}</td><td>${escapeHtml(f.message)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rmm-verify fleet drift — ${escapeHtml(report.generatedAt)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1c2833;background:#fdfefe}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#7f8c8d;fill:#7f8c8d}
.result-pass{color:#1e8449}.result-fail{color:#b03a2e}
.tiles{display:flex;flex-wrap:wrap;gap:8px}
.tile{border:1px solid #d5d8dc;border-radius:6px;padding:8px 12px;min-width:92px;background:#fff}
.tile.bad{border-color:#e6b0aa;background:#fdedec}
.tile .value{font-size:20px;font-weight:600}.tile .label{color:#566573;font-size:12px}
svg text{font-size:12px;fill:#1c2833}
.legend{display:inline-flex;align-items:center;margin-right:12px;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;border-radius:2px}
table{border-collapse:collapse;margin-top:8px}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f4f6f6;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev-critical{color:#7f0000;font-weight:600}.sev-high{color:#b03a2e}.sev-medium{color:#b9770e}.sev-low{color:#1f618d}.sev-info,.sev-ok{color:#7f8c8d}
.controls{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
input,select{font:inherit;padding:3px 6px}
</style>
</head>
<body>
<h1>Fleet drift</h1>
<p>Generated ${escapeHtml(report.generatedAt)} by rmm-verify ${escapeHtml(report.tool.version)} — result: <strong class="result-${report.result}" data-metric="result">${report.result.toUpperCase()}</strong>; stale after ${drift.staleDays} days.</p>
<div class="tiles">${tiles}</div>
${historyBlock}
<h2>Drift per tenant (worst first)</h2>
${tenantChart(report, options.maxChartTenants ?? 30)}
<h2>Versions over time</h2>
<div class="controls"><label>Product <select id="version-product"></select></label></div>
<svg id="versions-chart" role="img" aria-label="Versions over time" width="760" height="260" viewBox="0 0 760 260"></svg>
<h2>Tenant × product × class</h2>
<div class="controls">
<input id="filter" type="search" placeholder="Filter (tenant, product, class…)" aria-label="Filter rows">
<select id="class-filter" aria-label="Class"><option value="">all classes</option>${DRIFT_CLASSES.map((c) => `<option>${c}</option>`).join('')}</select>
<span id="row-count" class="muted"></span>
</div>
<table id="rollups"><thead><tr><th data-col="0">Tenant</th><th data-col="1">Product</th><th data-col="2">Class</th><th data-col="3">Severity</th><th data-col="4" aria-sort="descending">Count</th></tr></thead><tbody></tbody></table>
<h2>Findings (sampled; counts above are complete)</h2>
<table id="findings"><thead><tr><th>Severity</th><th>Code</th><th>Subject</th><th>Message</th></tr></thead><tbody>${findingsRows}</tbody></table>
<script type="application/json" id="drift-data">${jsonForScript(data)}</script>
<script>
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("drift-data").textContent);
  var SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4, ok: 5 };
  var rows = data.rollups;
  var sortCol = 4, sortDir = -1, shownMax = 2000;
  var tbody = document.querySelector("#rollups tbody");
  var filter = document.getElementById("filter");
  var classFilter = document.getElementById("class-filter");
  function compare(a, b) {
    var x = a[sortCol], y = b[sortCol];
    if (sortCol === 3) { x = SEVERITY_RANK[x]; y = SEVERITY_RANK[y]; }
    if (x < y) return -sortDir;
    if (x > y) return sortDir;
    return 0;
  }
  function render() {
    var text = filter.value.trim().toLowerCase();
    var cls = classFilter.value;
    var visible = rows.filter(function (r) {
      if (cls && r[2] !== cls) return false;
      if (!text) return true;
      return (r[0] + " " + r[1] + " " + r[2] + " " + r[3]).toLowerCase().indexOf(text) !== -1;
    });
    visible.sort(compare);
    var fragment = document.createDocumentFragment();
    visible.slice(0, shownMax).forEach(function (r) {
      var tr = document.createElement("tr");
      r.forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = String(value);
        if (i === 4) td.className = "num";
        if (i === 3) td.className = "sev-" + value;
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    tbody.replaceChildren(fragment);
    var total = visible.reduce(function (sum, r) { return sum + r[4]; }, 0);
    document.getElementById("row-count").textContent =
      "showing " + Math.min(visible.length, shownMax) + " of " + visible.length + " rows (" + total + " agents)" +
      (data.rollupsHidden > 0 ? "; " + data.rollupsHidden + " more rows only in the JSON report" : "");
  }
  document.querySelectorAll("#rollups th").forEach(function (th) {
    th.addEventListener("click", function () {
      var col = Number(th.getAttribute("data-col"));
      sortDir = col === sortCol ? -sortDir : (col === 4 ? -1 : 1);
      sortCol = col;
      document.querySelectorAll("#rollups th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
      render();
    });
  });
  filter.addEventListener("input", render);
  classFilter.addEventListener("change", render);
  render();

  // Versions over time: agents per version of one product across the stored scans (or the
  // current scan alone without --history), as one line per version.
  var SVG = "http://www.w3.org/2000/svg";
  var chart = document.getElementById("versions-chart");
  var select = document.getElementById("version-product");
  var points = data.history ? data.history.versionsOverTime : data.versions.map(function (v) { return { scanId: 0, product: v.product, version: v.version, count: v.count }; });
  var scans = data.history ? data.history.scans.map(function (s) { return s.scanId; }) : [0];
  var products = Array.from(new Set(points.map(function (p) { return p.product; }))).sort();
  products.forEach(function (p) { var o = document.createElement("option"); o.textContent = p; select.appendChild(o); });
  var palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
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
        // One scan (no history yet): a bar per version.
        var slot = width / versions.length;
        var bar = el("rect", { x: left + k * slot + slot * 0.15, y: y(series[0]), width: slot * 0.7, height: top + height - y(series[0]), fill: color });
        bar.appendChild(el("title", {}, version + ": " + series[0] + " agents"));
        chart.appendChild(bar);
      } else {
        chart.appendChild(el("path", { d: path, fill: "none", stroke: color, "stroke-width": 2 }));
        series.forEach(function (v, i) {
          var dot = el("circle", { cx: x(i), cy: y(v), r: 3.5, fill: color });
          dot.appendChild(el("title", {}, version + ": " + v + " agents"));
          chart.appendChild(dot);
        });
      }
      chart.appendChild(el("rect", { x: left + width + 20, y: top + k * 18, width: 10, height: 10, fill: color }));
      chart.appendChild(el("text", { x: left + width + 36, y: top + k * 18 + 9 }, version + " (" + series[series.length - 1] + ")"));
    });
  }
  select.addEventListener("change", drawVersions);
  if (products.length > 0) drawVersions();
})();
</script>
</body>
</html>
`;
}
