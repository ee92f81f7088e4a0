// The coverage chart as inline SVG: one horizontal bar per group and per profile, the held share drawn in
// green over a grey track, with the figures beside it. No script, no external asset.
import { formatShare } from "./coverage.js";
import type { Coverage, CoverageRow } from "./model.js";

/** The colours a reader (and the rendering test) finds on the page. */
export const CHART_COLOURS = { held: "#1a7f37", track: "#d0d7de" } as const;

const LABEL_W = 220;
const BAR_W = 420;
const ROW_H = 28;
const BAR_H = 18;

export function coverageChartSvg(c: Coverage): string {
  const sections: [string, readonly CoverageRow[]][] = [
    ["By group", c.byGroup],
    ["By profile", c.byProfile],
  ];
  const parts: string[] = [];
  let y = 0;
  for (const [title, rows] of sections) {
    y += 22;
    parts.push(`<text x="0" y="${y}" class="section">${escapeXml(title)}</text>`);
    y += 8;
    for (const row of rows) {
      const w = Math.round(BAR_W * Math.min(1, Math.max(0, row.share)));
      const top = y + (ROW_H - BAR_H) / 2;
      parts.push(
        `<g class="bar" data-name="${escapeXml(row.name)}" data-held="${row.held}" data-desired="${row.desired}">`,
        `<title>${escapeXml(`${row.name}: ${row.held}/${row.desired} keys held`)}</title>`,
        `<text x="${LABEL_W - 8}" y="${top + BAR_H - 4}" text-anchor="end">${escapeXml(truncate(row.name, 30))}</text>`,
        `<rect x="${LABEL_W}" y="${top}" width="${BAR_W}" height="${BAR_H}" fill="${CHART_COLOURS.track}"/>`,
        `<rect class="held" x="${LABEL_W}" y="${top}" width="${w}" height="${BAR_H}" fill="${CHART_COLOURS.held}"/>`,
        `<text x="${LABEL_W + BAR_W + 8}" y="${top + BAR_H - 4}">${row.held}/${row.desired} (${formatShare(row.share)})</text>`,
        "</g>",
      );
      y += ROW_H;
    }
    if (rows.length === 0) {
      parts.push(`<text x="${LABEL_W}" y="${y + 18}">no keys desired</text>`);
      y += ROW_H;
    }
  }
  const width = LABEL_W + BAR_W + 140;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Coverage by group and profile" width="${width}" height="${y + 8}" viewBox="0 0 ${width} ${y + 8}">${parts.join("")}</svg>`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
