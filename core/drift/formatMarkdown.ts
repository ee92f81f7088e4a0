// The drift report as a pull-request comment: coverage tables, then the ranked findings until the size
// budget is spent, then one line summarising what did not fit. GitHub refuses comments over 65,536
// characters; the default budget leaves room for a wrapper's own text.
import { formatShare } from "./coverage.js";
import { formatDriftVerdict, personLabel } from "./formatText.js";
import type { CoverageRow, DriftReport, FindingKind } from "./model.js";

export const DEFAULT_MARKDOWN_BUDGET = 60_000;

export function formatDriftMarkdown(r: DriftReport, opts: { maxChars?: number } = {}): string {
  const budget = opts.maxChars ?? DEFAULT_MARKDOWN_BUDGET;
  const c = r.coverage;
  const head = [
    "### Keyfleet drift",
    "",
    `**Coverage: ${c.held}/${c.desired} keys held (${formatShare(c.share)})** · ${formatDriftVerdict(r)}`,
    "",
    coverageTable("Group", c.byGroup),
    "",
    coverageTable("Profile", c.byProfile),
    "",
  ].join("\n");
  if (r.findings.length === 0) return `${head}_No findings._\n`;
  const tableHead = "| Severity | Kind | Person | Slot | Detail |\n| --- | --- | --- | --- | --- |\n";
  let out = head + tableHead;
  // Room for the summary line of what is left out (it is short: one count per kind).
  const reserve = 400 + Object.keys(r.counts).length * 30;
  let shown = 0;
  for (const f of r.findings) {
    const line = `| ${f.severity} | ${f.kind} | ${cell(personLabel(f))} | ${cell(f.slot ?? "")} | ${cell(f.message)} |\n`;
    if (out.length + line.length + reserve > budget) break;
    out += line;
    shown++;
  }
  const rest = r.findings.slice(shown);
  if (rest.length > 0) {
    const counts = new Map<FindingKind, number>();
    for (const f of rest) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    const parts = [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
    out += `\n_…and ${rest.length} more finding(s) not shown (${parts}). Run \`keyfleet drift --format json\` for all of them._\n`;
  }
  return out;
}

function coverageTable(label: string, rows: readonly CoverageRow[]): string {
  const lines = [`| ${label} | Held | Desired | Coverage |`, "| --- | ---: | ---: | ---: |"];
  for (const row of rows) {
    lines.push(`| ${cell(row.name)} | ${row.held} | ${row.desired} | ${formatShare(row.share)} |`);
  }
  if (rows.length === 0) lines.push("| none | 0 | 0 | 100% |");
  return lines.join("\n");
}

/** Table cells: no pipes or newlines that would break the row, no HTML a comment would render. */
function cell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ")
    .replace(/</g, "&lt;");
}
