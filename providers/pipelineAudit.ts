// The pipeline's side of the audit trail: who the provider acts as, the run it belongs to (provenance), its
// revocations (core/revocation's one audited delete-then-record, as the pipeline), and the records head the
// program publishes as a stack output.
import type { RecordActor } from "../core/records/model.js";
import type { RecordStore } from "../core/records/recordStore.js";
import type { RecordsHead } from "../core/records/recordsHead.js";
import { type RevocationSubject, revokeCredential } from "../core/revocation/revokeCredential.js";
import type { Provenance } from "../core/tasks/model.js";
import type { CredentialDirectory } from "./backends.js";
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

/** The pipeline's revocation: core/revocation's delete-then-record, as the pipeline and this run. */
export async function revokeWithRecord(
  directory: CredentialDirectory,
  records: RecordStore,
  subject: RevocationSubject,
  reason: string,
): Promise<"deleted" | "absent"> {
  return revokeCredential(
    { directory, records },
    { subject, actor: PIPELINE_ACTOR, reason, provenance: pipelineProvenance() },
  );
}

/**
 * Where the records end (every chain's head, their total and digest), for the program to publish outside the store; undefined when the
 * store holds no records yet. Opens the store read-only (no signer) and never creates a SQLite file.
 */
export async function readRecordsHead(settings: ProviderSettings): Promise<RecordsHead | undefined> {
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
