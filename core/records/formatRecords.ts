// Plain-text views of records and of a verification report for the CLI.
import type { AuditRecord } from "./model.js";
import type { ChainReport } from "./verifyChain.js";

export function formatRecordTable(records: readonly AuditRecord[]): string {
  if (records.length === 0) return "no records\n";
  const lines = records.map((r) => {
    const who = [r.actor.role, r.actor.stationId, r.actor.operator && `(${r.actor.operator})`]
      .filter(Boolean)
      .join(" ");
    const what = [
      r.subject.userPrincipalName ?? r.subject.personObjectId,
      r.subject.slot,
      r.subject.aaGuid && `aaguid ${r.subject.aaGuid}`,
      r.subject.methodId && `method ${r.subject.methodId}`,
      r.detail,
    ]
      .filter(Boolean)
      .join(" · ");
    return `${String(r.seq).padStart(6)}  ${r.at}  ${r.action.padEnd(12)} ${who.padEnd(28)} ${what}`;
  });
  return `${lines.join("\n")}\n`;
}

export function formatChainReport(report: ChainReport): string {
  const out: string[] = [];
  out.push(
    report.ok
      ? `records intact: ${report.records} record${report.records === 1 ? "" : "s"}${report.head ? `, head ${report.head.seq} ${report.head.hash.slice(0, 16)}…` : ""}`
      : `records TAMPERED: ${report.findings.length} kind${report.findings.length === 1 ? "" : "s"} of change found`,
  );
  for (const f of report.findings) out.push(`  ${f.kind.padEnd(8)} at seq ${f.seq}: ${f.message}`);
  out.push(
    report.anchor
      ? `anchor: seq ${report.anchor.seq} ${report.anchor.hash.slice(0, 16)}…`
      : "anchor: none (a truncated tail or a rewritten chain cannot be seen without one)",
  );
  if (!report.signersChecked) out.push("signers: not checked against trusted keys (none found)");
  return `${out.join("\n")}\n`;
}
