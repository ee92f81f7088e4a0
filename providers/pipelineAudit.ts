// The pipeline's side of the audit trail: who the provider acts as, the run it belongs to (provenance), the
// one audited way to revoke a credential, and the records head the program publishes as a stack output.
//
// A revocation is recorded whether Entra deleted the method or found it already gone ("absent"): the
// pipeline's decision to revoke is the event, and an already-gone key (removed out of band) is worth knowing.
import type { RecordActor } from "../core/records/model.js";
import type { RecordStore } from "../core/records/recordStore.js";
import type { Provenance } from "../core/tasks/model.js";
import type { CredentialDirectory, RevocationSubject } from "./backends.js";
import type { ProviderSettings } from "./providerSettings.js";

export const PIPELINE_ACTOR: RecordActor = { role: "pipeline" };

/** The run writing tasks and records, from the CI's environment (Keyfleet's names first, then GitHub's). */
export function pipelineProvenance(env: NodeJS.ProcessEnv = process.env): Provenance {
  const p: Provenance = {};
  const commit = env.KEYFLEET_GIT_COMMIT || env.GITHUB_SHA;
  const run = env.KEYFLEET_PIPELINE_RUN || env.GITHUB_RUN_ID;
  const pr = env.KEYFLEET_PULL_REQUEST;
  if (commit) p.gitCommit = commit;
  if (run) p.pipelineRun = run;
  if (pr) p.pullRequest = pr;
  return p;
}

/** Deletes a passkey in Entra, then appends the signed revocation record (the record follows the change). */
export async function revokeWithRecord(
  directory: CredentialDirectory,
  records: RecordStore,
  subject: RevocationSubject,
  reason: string,
): Promise<"deleted" | "absent"> {
  const outcome = await directory.deleteFido2(subject.objectId, subject.methodId);
  const s: Parameters<RecordStore["append"]>[0]["subject"] = {
    personObjectId: subject.objectId,
    methodId: subject.methodId,
  };
  if (subject.userPrincipalName) s.userPrincipalName = subject.userPrincipalName;
  if (subject.assignmentId) s.assignmentId = subject.assignmentId;
  if (subject.slot) s.slot = subject.slot;
  await records.append({
    action: "revocation",
    actor: { ...PIPELINE_ACTOR },
    subject: s,
    detail: outcome === "deleted" ? reason : `${reason} (already gone from Entra)`,
    provenance: pipelineProvenance(),
  });
  return outcome;
}

/**
 * The record chain's head (seq and hash), for the program to publish outside the store; undefined when the
 * store holds no records yet. Opens the store read-only (no signer) and never creates a SQLite file.
 */
export async function readRecordsHead(
  settings: ProviderSettings,
): Promise<{ seq: number; hash: string } | undefined> {
  const { existsSync } = await import("node:fs");
  const { resolveStoreLocation } = await import("../core/tasks/openTaskStore.js");
  const loc = resolveStoreLocation(settings.taskStore);
  if (loc.kind === "sqlite" && loc.path !== ":memory:" && !existsSync(loc.path)) return undefined;
  const { openRecordStore } = await import("../core/records/openRecordStore.js");
  const records = await openRecordStore(settings.taskStore);
  try {
    return await records.head();
  } finally {
    await records.close();
  }
}
