// The drift report for a terminal: the coverage figure first, then one line per finding, ranked.
import { formatShare } from "./coverage.js";
import type { Coverage, DriftReport, Finding } from "./model.js";

export function formatCoverageLines(c: Coverage): string[] {
  const row = (r: { name: string; held: number; desired: number; share: number }) =>
    `${r.name} ${r.held}/${r.desired} (${formatShare(r.share)})`;
  return [
    `Coverage: ${c.held}/${c.desired} keys held (${formatShare(c.share)})`,
    `  by group:   ${c.byGroup.map(row).join(", ") || "none"}`,
    `  by profile: ${c.byProfile.map(row).join(", ") || "none"}`,
  ];
}

/** One sentence: how many findings of which severity, or that git and Entra agree. */
export function formatDriftVerdict(r: DriftReport): string {
  const drift = r.findings.filter((f) => f.drift);
  const pending = r.findings.length - drift.length;
  const tail = pending > 0 ? `; ${pending} task(s) pending within ${r.staleAfterDays} days` : "";
  if (drift.length === 0) return `No drift: git, the task store and Entra agree${tail}.`;
  const bySeverity = ["high", "medium", "low"]
    .map((s) => [s, drift.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `Drift: ${drift.length} finding(s) (${bySeverity.join(", ")})${tail}.`;
}

export function personLabel(f: Pick<Finding, "userPrincipalName" | "personId">): string {
  return f.userPrincipalName ?? f.personId ?? "";
}

export function formatDriftTable(r: DriftReport, opts: { limit?: number } = {}): string {
  const shown = opts.limit === undefined ? r.findings : r.findings.slice(0, opts.limit);
  const rows = shown.map((f) => [f.severity.toUpperCase(), f.kind, personLabel(f), f.slot ?? "", f.message]);
  const lines = [...formatCoverageLines(r.coverage), ""];
  if (rows.length > 0) {
    const head = ["SEVERITY", "KIND", "PERSON", "SLOT", "DETAIL"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd();
    lines.push(line(head), ...rows.map(line));
    if (shown.length < r.findings.length) lines.push(`… ${r.findings.length - shown.length} more`);
    lines.push("");
  }
  lines.push(formatDriftVerdict(r));
  return lines.join("\n");
}
