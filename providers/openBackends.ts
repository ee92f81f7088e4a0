// Opens the provider's backends from its settings: the task store (core/tasks) wrapped so that every raise
// and cancellation is a signed audit record, the record store at the same location with the pipeline's
// anchor, the pipeline's signing key (core/signing) and Entra's passkey reads and deletions (core/entra).
import { AuditedTaskStore } from "../core/records/auditedTaskStore.js";
import { openRecordStore } from "../core/records/openRecordStore.js";
import { loadPublicKeyFolder, loadSigningKey } from "../core/signing/keyFiles.js";
import { openTaskStore } from "../core/tasks/openTaskStore.js";
import type { ProviderBackends } from "./backends.js";
import { PIPELINE_ACTOR, pipelineProvenance, revokeWithRecord } from "./pipelineAudit.js";
import { anchorPathOf, type ProviderSettings } from "./providerSettings.js";

export { readRecordsHead } from "./pipelineAudit.js";

export async function openBackends(settings: ProviderSettings): Promise<ProviderBackends> {
  const { openDirectory } = await import("./entraDirectory.js");
  // Entra first: without a Graph connection that is the problem to report, whatever else is missing.
  const directory = await openDirectory(settings.entra);
  let inner: Awaited<ReturnType<typeof openTaskStore>> | undefined;
  let records: Awaited<ReturnType<typeof openRecordStore>>;
  let signer: ReturnType<typeof loadSigningKey>;
  try {
    signer = loadSigningKey(settings.pipelineKeyPath);
    inner = await openTaskStore(settings.taskStore);
    records = await openRecordStore(settings.taskStore, { signer, anchorPath: anchorPathOf(settings) });
  } catch (e) {
    await inner?.close();
    await directory.close();
    throw e;
  }
  const tasks = new AuditedTaskStore(inner, records, {
    actor: { ...PIPELINE_ACTOR },
    provenance: pipelineProvenance(),
  });
  return {
    directory,
    tasks,
    trust: { pipelineKeys: [signer.publicKey], stationKeys: loadPublicKeyFolder(settings.stationKeysDir) },
    records,
    signer,
    revokeCredential: (subject, reason) => revokeWithRecord(directory, records, subject, reason),
    async close() {
      // The audited store closes the record store with the task store.
      await tasks.close();
      await directory.close();
    },
  };
}
