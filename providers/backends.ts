// What the provider talks to, narrowed to what it needs: Entra's passkeys per person, the task store and the
// pipeline's signing key. Opened once per provider process from the settings `configure` received.
import type { SigningKey } from "../core/signing/ed25519.js";
import type { TaskStore } from "../core/tasks/store.js";

/** A registered passkey as Entra reports it (fido2AuthenticationMethod). */
export interface Fido2Credential {
  id: string;
  aaGuid: string;
  model: string;
  displayName: string;
  /** ISO 8601 ("" when Entra gave none). */
  createdDateTime: string;
}

export interface CredentialDirectory {
  listFido2(objectId: string): Promise<Fido2Credential[]>;
  /** Deletes the method; a method that is already gone is not an error. */
  deleteFido2(objectId: string, methodId: string): Promise<"deleted" | "absent">;
}

export interface ProviderBackends {
  directory: CredentialDirectory;
  tasks: TaskStore;
  signer: SigningKey;
  close(): Promise<void>;
}
