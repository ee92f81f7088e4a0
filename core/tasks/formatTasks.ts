// Plain-text views of tasks for the CLI: one line per task, and a detail view.
import type { KeyObject } from "node:crypto";
import type { Task } from "./model.js";
import { decisionSignedBy, resultSignedBy } from "./stateSignatures.js";
import type { MalformedTaskRow } from "./taskDoc.js";
import { verifyTask } from "./taskSignature.js";

function cell(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

export function formatTaskTable(
  tasks: readonly Task[],
  now = new Date(),
  malformed: readonly MalformedTaskRow[] = [],
): string {
  if (tasks.length === 0 && malformed.length === 0) return "no tasks\n";
  const head = `${cell("ID", 12)} ${cell("STATE", 11)} ${cell("KIND", 9)} ${cell("PERSON", 32)} ${cell("SLOT", 10)} ${cell("GEN", 4)} ${cell("ATT", 3)} ${cell("AGE", 6)} HOLDER / NOTE`;
  const lines = tasks.map((t) => {
    const note =
      t.state === "claimed" || t.state === "registering"
        ? `${t.lease?.stationId ?? "?"}${t.lease?.operator ? ` (${t.lease.operator})` : ""}`
        : t.state === "failed"
          ? `${t.failure?.quarantined ? "QUARANTINED " : t.failure?.retryable ? "retry " : ""}${t.failure?.reason ?? ""}`
          : t.state === "done"
            ? (t.result?.methodId ?? "")
            : "";
    return `${cell(t.id.slice(0, 12), 12)} ${cell(t.state, 11)} ${cell(t.kind, 9)} ${cell(t.person.userPrincipalName, 32)} ${cell(t.slot, 10)} ${cell(String(t.generation), 4)} ${cell(String(t.attempts), 3)} ${cell(formatAge(now.getTime() - Date.parse(t.createdAt)), 6)} ${note}`;
  });
  const bad = malformed.map((m) => `${cell(m.id.slice(0, 12), 12)} ${cell("MALFORMED", 11)} ${m.problem}`);
  return `${[head, ...lines, ...bad].join("\n")}\n`;
}

/** The keys `tasks show` checks signatures with; an empty list means "not checked", said so. */
export interface ShowKeys {
  pipelineKeys: readonly KeyObject[];
  stationKeys: readonly KeyObject[];
}

function signatureLine(t: Task, keys: ShowKeys): string {
  if (!t.signature) return "UNSIGNED";
  if (keys.pipelineKeys.length === 0)
    return `key ${t.signature.keyId} — signature NOT CHECKED (no pipeline public key here)`;
  const trust = verifyTask(t, keys.pipelineKeys);
  return trust.trusted
    ? `the pipeline's key ${t.signature.keyId} (signature valid)`
    : `signature INVALID: ${trust.reason}; the task was altered after signing or signed by another key`;
}

function resultSignatureLine(t: Task, keys: ShowKeys): string | undefined {
  if (!t.result) return undefined;
  const rs = t.resultSignature;
  if (!rs) return "UNSIGNED";
  if (keys.stationKeys.length === 0)
    return `station ${rs.stationId}, key ${rs.signature.keyId} — NOT CHECKED (no trusted station keys here)`;
  return resultSignedBy(t, keys.stationKeys)
    ? `station ${rs.stationId}, key ${rs.signature.keyId} (signature valid)`
    : `signature INVALID (claims station ${rs.stationId}, key ${rs.signature.keyId})`;
}

function decisionLine(t: Task, keys: ShowKeys): string | undefined {
  const d = t.decision;
  if (!d) return undefined;
  const what = `${d.kind}${d.supersededBy ? ` by ${d.supersededBy}` : ""} at ${d.at}`;
  if (keys.pipelineKeys.length === 0) return `${what}, key ${d.signature.keyId} — NOT CHECKED`;
  return decisionSignedBy(t, keys.pipelineKeys)
    ? `${what}, signed by the pipeline's key ${d.signature.keyId}`
    : `${what}, signature not the pipeline's (key ${d.signature.keyId})`;
}

export function formatTaskDetail(t: Task, keys: ShowKeys = { pipelineKeys: [], stationKeys: [] }): string {
  const rows: [string, string | undefined][] = [
    ["id", t.id],
    ["state", t.state],
    ["kind", t.kind],
    ["assignment", `${t.assignmentId} (generation ${t.generation})`],
    ["person", `${t.person.userPrincipalName} (${t.person.objectId})`],
    ["slot", t.slot],
    [
      "profile",
      `${t.profile.name}: PIN ${t.profile.pinLength} digits${t.profile.forceChangePin ? ", change forced" : ""}, credProtect ${t.profile.credProtect}, display "${t.profile.displayName}"`,
    ],
    ["allowed AAGUIDs", t.profile.allowedAaguids.join(", ") || "any"],
    [
      "revokes",
      t.revoke
        ? `${t.revoke.methodId} after ${t.revoke.afterAssignmentId} gen ${t.revoke.afterGeneration}`
        : undefined,
    ],
    ["attempts", String(t.attempts)],
    ["next attempt", t.state === "pending" || t.failure?.retryable ? t.nextAttemptAt : undefined],
    [
      "lease",
      t.lease
        ? `${t.lease.stationId}${t.lease.operator ? ` (${t.lease.operator})` : ""} until ${t.lease.expiresAt}`
        : undefined,
    ],
    [
      "registering",
      t.registration
        ? `credential ${t.registration.credentialId} by ${t.registration.stationId} at ${t.registration.at}`
        : undefined,
    ],
    [
      "failure",
      t.failure
        ? `${t.failure.quarantined ? "[quarantined] " : ""}${t.failure.retryable ? "[retryable] " : ""}${t.failure.reason}`
        : undefined,
    ],
    ["result", t.result ? JSON.stringify(t.result) : undefined],
    ["result signed by", resultSignatureLine(t, keys)],
    ["decision", decisionLine(t, keys)],
    [
      "provenance",
      Object.entries(t.provenance)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") || undefined,
    ],
    ["created", t.createdAt],
    ["updated", t.updatedAt],
    ["signed by", signatureLine(t, keys)],
  ];
  return `${rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `${k.padEnd(16)} ${v}`)
    .join("\n")}\n`;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Parses "90s", "30m", "2h", "7d" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}
