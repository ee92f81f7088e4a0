// Plain-text views of records and of a verification report for the CLI. A record of a writer's chain is
// shown as <first 8 of its chain id>:<seq>; one of the legacy chain by its seq alone.
import { type AuditRecord, LEGACY_CHAIN } from "./model.js";
import type { RecordEntry } from "./recordStore.js";
import type { ChainReport } from "./verifyChain.js";

export function formatRecordTable(entries: readonly (AuditRecord | RecordEntry)[]): string {
  if (entries.length === 0) return "no records\n";
  const lines = entries.map((e) => {
    const entry: RecordEntry = "hash" in e ? { chain: e.chain ?? LEGACY_CHAIN, seq: e.seq, record: e } : e;
    const where =
      entry.chain === LEGACY_CHAIN ? String(entry.seq) : `${entry.chain.slice(0, 8)}:${entry.seq}`;
    if (!entry.record) return `${where.padStart(6)}  MALFORMED    ${entry.problem ?? ""}`;
    const r = entry.record;
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
    return `${where.padStart(6)}  ${r.at}  ${r.action.padEnd(12)} ${who.padEnd(28)} ${what}`;
  });
  return `${lines.join("\n")}\n`;
}

export function formatChainReport(report: ChainReport, opts: { allowed?: readonly string[] } = {}): string {
  const out: string[] = [];
  const unchecked = report.notChecked.filter((n) => !(opts.allowed ?? []).includes(n));
  const head = report.head ? `, head ${report.head.seq} ${report.head.hash.slice(0, 16)}…` : "";
  const chains = report.chains > 1 ? ` in ${report.chains} chains` : "";
  const count = `${report.records} record${report.records === 1 ? "" : "s"}${chains}`;
  if (!report.ok) {
    out.push(
      `records TAMPERED: ${report.findings.length} kind${report.findings.length === 1 ? "" : "s"} of change found`,
    );
  } else if (unchecked.length > 0) {
    out.push(
      `records NOT VERIFIED: ${count}${head}; nothing wrong found, but this check could not vouch for them`,
    );
  } else if (report.notChecked.length > 0) {
    out.push(`records consistent (partly checked, as allowed): ${count}${head}`);
  } else {
    out.push(`records intact: ${count}${head}`);
  }
  for (const f of report.findings) out.push(`  ${f.kind.padEnd(8)} at seq ${f.seq}: ${f.message}`);
  if (report.anchor) {
    const over = report.anchor.chains ? ` over ${Object.keys(report.anchor.chains).length} chains` : "";
    out.push(`anchor: seq ${report.anchor.seq} ${report.anchor.hash.slice(0, 16)}…${over}`);
  }
  if (report.signersChecked) out.push("signers: checked against trusted keys");
  for (const n of report.notChecked) out.push(`NOT CHECKED: ${n}`);
  return `${out.join("\n")}\n`;
}
