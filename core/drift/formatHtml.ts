// The drift report as one self-contained HTML page (inline CSS and SVG, no script, no external asset): the
// coverage figure and chart first, then findings by severity. Very large reports list the first
// `maxFindings` and count the rest, so the page stays openable.
import { formatShare } from "./coverage.js";
import { coverageChartSvg, escapeXml } from "./coverageChart.js";
import { formatDriftVerdict, personLabel } from "./formatText.js";
import type { DriftReport, FindingKind } from "./model.js";

export const DEFAULT_HTML_FINDINGS = 2_000;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:24px;background:#fff}
h1{font-size:22px;margin:0 0 4px}
.figure{font-size:40px;font-weight:700;margin:8px 0 0}
.verdict{margin:4px 0 16px;color:#59636e}
.verdict.drift{color:#9a6700}
svg text{font:13px system-ui,sans-serif;fill:#1f2328}
svg text.section{font-weight:700}
table{border-collapse:collapse;margin-top:12px}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.sev{font-weight:700;text-transform:uppercase;font-size:12px}
.sev-high{color:#cf222e}.sev-medium{color:#9a6700}.sev-low{color:#0969da}.sev-info{color:#59636e}
.counts span{display:inline-block;margin-right:12px}
`;

export function renderDriftHtml(r: DriftReport, opts: { maxFindings?: number } = {}): string {
  const max = opts.maxFindings ?? DEFAULT_HTML_FINDINGS;
  const c = r.coverage;
  const shown = r.findings.slice(0, max);
  const rows = shown
    .map(
      (f) =>
        `<tr><td class="sev sev-${f.severity}">${f.severity}</td><td>${escapeXml(f.kind)}</td><td>${escapeXml(personLabel(f))}</td><td>${escapeXml(f.slot ?? "")}</td><td>${escapeXml(f.message)}</td></tr>`,
    )
    .join("\n");
  const counts = (Object.entries(r.counts) as [FindingKind, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `<span>${escapeXml(k)}: <b>${n}</b></span>`)
    .join("");
  const rest = r.findings.length - shown.length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keyfleet drift report ${escapeXml(r.today)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
<h1>Keyfleet drift report</h1>
<div>${escapeXml(r.today)} · generated ${escapeXml(r.generatedAt)}</div>
<p class="figure" id="coverage">${c.held}/${c.desired} keys held (${formatShare(c.share)})</p>
<p class="verdict${r.drift ? " drift" : ""}" id="verdict">${escapeXml(formatDriftVerdict(r))}</p>
<section id="chart">${coverageChartSvg(c)}</section>
<h2>Findings</h2>
<div class="counts">${counts || "none"}</div>
${
  shown.length === 0
    ? "<p>No findings.</p>"
    : `<table id="findings"><thead><tr><th>Severity</th><th>Kind</th><th>Person</th><th>Slot</th><th>Detail</th></tr></thead><tbody>
${rows}
</tbody></table>`
}
${rest > 0 ? `<p>…and ${rest} more finding(s); <code>keyfleet drift --format json</code> lists them all.</p>` : ""}
</body></html>
`;
}
