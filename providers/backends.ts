// What the provider talks to, narrowed to what it needs: Entra's passkeys per person, the task store (audited:
// every raise and cancellation is a signed record), the record store, and the pipeline's signing key. Opened
// once per provider process from the settings `configure` received.
import type { KeyObject } from "node:crypto";
import type { RecordStore } from "../core/records/recordStore.js";
import type { RevocationSubject } from "../core/revocation/revokeCredential.js";
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

/** Whose credential a revocation is about, as the record names it (core/revocation's). */
export type { RevocationSubject } from "../core/revocation/revokeCredential.js";

export interface ProviderBackends {
  directory: CredentialDirectory;
  tasks: TaskStore;
  records: RecordStore;
  signer: SigningKey;
  /** Whose signatures make task rows and results trusted: the pipeline's key, the enrolled stations'. */
  trust: { pipelineKeys: readonly KeyObject[]; stationKeys: readonly KeyObject[] };
  /**
   * Deletes the passkey in Entra and appends a signed `revocation` record saying why. The only way the
   * provider removes a credential: a deletion without a record would be invisible to `keyfleet records`.
   */
  revokeCredential(subject: RevocationSubject, reason: string): Promise<"deleted" | "absent">;
  close(): Promise<void>;
}
