// The provider's view of Entra: one person's passkeys, read afresh, and deletion that treats "already gone"
// as done. A narrow adapter over core/entra's client (retries, error classification and the CA live there).
import { EntraClient } from "../core/entra/client.js";
import { type EntraSettings, resolveEntraConfig } from "../core/entra/config.js";
import { deleteFido2Method } from "../core/entra/fido2Methods.js";
import { parseFido2Method } from "../core/entra/model.js";
import type { CredentialDirectory, Fido2Credential } from "./backends.js";

export async function openDirectory(
  settings: EntraSettings,
): Promise<CredentialDirectory & { close(): Promise<void> }> {
  const entra = new EntraClient(resolveEntraConfig(settings));
  const methodsPath = (objectId: string) =>
    `/users/${encodeURIComponent(objectId)}/authentication/fido2Methods`;
  return {
    async listFido2(objectId) {
      const out: Fido2Credential[] = [];
      for await (const page of entra.pages<unknown>(methodsPath(objectId))) {
        for (const raw of page) {
          const m = parseFido2Method(raw);
          if (!m) continue;
          out.push({
            id: m.id,
            aaGuid: m.aaGuid ?? "",
            model: m.model ?? "",
            displayName: m.displayName ?? "",
            createdDateTime: m.createdDateTime ?? "",
          });
        }
      }
      return out;
    },
    deleteFido2: (objectId, methodId) => deleteFido2Method(entra, objectId, methodId),
    close: () => entra.close(),
  };
}
