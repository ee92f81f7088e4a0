// Exporting records as JSON lines (one record per line, exactly as stored) or CSV (flattened).
import { type AuditRecord, LEGACY_CHAIN } from "./model.js";
import type { RecordEntry } from "./recordStore.js";

type Exportable = AuditRecord | RecordEntry;

function entryOf(e: Exportable): RecordEntry {
  return "hash" in e ? { chain: e.chain ?? LEGACY_CHAIN, seq: e.seq, record: e } : e;
}

/** One line per record as stored; a malformed row is a line `{"seq":n,"malformed":"…"}` in its place. */
export function toJsonLines(records: readonly Exportable[]): string {
  return records
    .map(entryOf)
    .map(
      (e) =>
        `${JSON.stringify(e.record ?? { chain: e.chain, seq: e.seq, malformed: e.problem ?? "malformed" })}\n`,
    )
    .join("");
}

const CSV_COLUMNS: [string, (r: AuditRecord) => string | number | undefined][] = [
  ["seq", (r) => r.seq],
  ["chain", (r) => r.chain ?? LEGACY_CHAIN],
  ["at", (r) => r.at],
  ["action", (r) => r.action],
  ["role", (r) => r.actor.role],
  ["stationId", (r) => r.actor.stationId],
  ["operator", (r) => r.actor.operator],
  ["taskId", (r) => r.subject.taskId],
  ["assignmentId", (r) => r.subject.assignmentId],
  ["personObjectId", (r) => r.subject.personObjectId],
  ["userPrincipalName", (r) => r.subject.userPrincipalName],
  ["slot", (r) => r.subject.slot],
  ["aaGuid", (r) => r.subject.aaGuid],
  ["methodId", (r) => r.subject.methodId],
  ["credentialId", (r) => r.subject.credentialId],
  ["attestationCertSha256", (r) => r.subject.attestationCertSha256],
  ["detail", (r) => r.detail],
  ["gitCommit", (r) => r.provenance.gitCommit],
  ["pullRequest", (r) => r.provenance.pullRequest],
  ["pipelineRun", (r) => r.provenance.pipelineRun],
  ["signerKeyId", (r) => r.signer.keyId],
  ["prevHash", (r) => r.prevHash],
  ["hash", (r) => r.hash],
];

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return "";
  const s = String(v);
  // Quote when needed; a leading = + - @ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(records: readonly Exportable[]): string {
  const lines = [CSV_COLUMNS.map(([h]) => h).join(",")];
  for (const e of records.map(entryOf)) {
    const r = e.record;
    if (r) lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(r))).join(","));
    else
      lines.push(
        CSV_COLUMNS.map(([h]) =>
          h === "seq"
            ? csvCell(e.seq)
            : h === "chain"
              ? csvCell(e.chain)
              : h === "detail"
                ? csvCell(`MALFORMED: ${e.problem ?? ""}`)
                : "",
        ).join(","),
      );
  }
  return `${lines.join("\r\n")}\r\n`;
}
