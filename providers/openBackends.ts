// Opens the provider's backends from its settings: the task store (core/tasks), the pipeline's signing key
// (core/signing) and Entra's passkey reads and deletions (core/entra).
import { loadSigningKey } from "../core/signing/keyFiles.js";
import { openTaskStore } from "../core/tasks/openTaskStore.js";
import type { ProviderBackends } from "./backends.js";
import type { ProviderSettings } from "./providerSettings.js";

export async function openBackends(settings: ProviderSettings): Promise<ProviderBackends> {
  const { openDirectory } = await import("./entraDirectory.js");
  const directory = await openDirectory(settings.entra);
  const signer = loadSigningKey(settings.pipelineKeyPath);
  const tasks = await openTaskStore(settings.taskStore);
  return {
    directory,
    tasks,
    signer,
    async close() {
      await tasks.close();
      await directory.close();
    },
  };
}
