// What a station does for one provision task, minus CTAP: claim the task, make a P-256 credential in
// software, register it with the emulator's Graph (WebAuthn `none` attestation built from the real
// creationOptions) and complete the task. Lets the provider suites see a key go from pending to active
// without depending on the station's own code.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { EntraClient } from "../../core/entra/client.js";
import { resolveEntraConfig } from "../../core/entra/config.js";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { loadSigningKey, writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { Task } from "../../core/tasks/model.js";
import { openSqliteTaskStore } from "../../core/tasks/sqliteTaskStore.js";
import type { TaskStore } from "../../core/tasks/store.js";
import type { RunningEmulator } from "../../emulator/index.js";
import { encodeCanonical } from "../../station/cbor.js";

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** The ids of the passkeys Entra lists for a person. */
export async function fido2MethodIds(entra: EntraClient, objectId: string): Promise<string[]> {
  const page = await entra.get<{ value: { id: string }[] }>(`/users/${objectId}/authentication/fido2Methods`);
  return page.value.map((m) => m.id);
}

export function entraClientFor(emu: RunningEmulator): EntraClient {
  return new EntraClient(
    resolveEntraConfig({
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      cloud: "custom",
      authorityHost: emu.url,
      graphUrl: emu.url,
      graphScope: "https://graph.microsoft.com/.default",
      caCertPem: emu.caCertPem,
    }),
  );
}

/** Registers a software passkey with the given AAGUID for a user; returns Graph's method id. */
export async function registerPasskey(
  entra: EntraClient,
  objectId: string,
  aaguid: string,
  displayName: string,
): Promise<string> {
  const path = `/users/${objectId}/authentication/fido2Methods`;
  const opts = await entra.get<{ publicKey: { challenge: string; rp: { id: string } } }>(
    `${path}/creationOptions`,
  );
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const cose = encodeCanonical(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? "", "base64url")],
      [-3, Buffer.from(jwk.y ?? "", "base64url")],
    ]),
  );
  const credentialId = randomBytes(32);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    createHash("sha256").update(opts.publicKey.rp.id).digest(),
    Buffer.from([0x45]), // UP | UV | AT
    Buffer.alloc(4),
    Buffer.from(aaguid.replaceAll("-", ""), "hex"),
    len,
    credentialId,
    Buffer.from(cose),
  ]);
  const attestationObject = encodeCanonical({ fmt: "none", attStmt: {}, authData });
  const clientDataJSON = Buffer.from(
    JSON.stringify({
      type: "webauthn.create",
      challenge: opts.publicKey.challenge,
      origin: "https://login.microsoft.com",
    }),
  );
  const created = await entra.postOnce<{ id: string }>(path, {
    displayName,
    publicKeyCredential: {
      id: b64u(credentialId),
      response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject) },
    },
  });
  return created.id;
}

/**
 * The task store as an enrolled station sees it: audited with the station's own key, so each result it
 * reports is signed and recorded, as the pipeline requires before it counts or revokes a credential. The
 * station's public key goes into `<dir>/stations/`, the folder to give the providers as keyfleet:stationKeys.
 */
export async function openStationStore(
  dbPath: string,
  dir: string,
  stationId = "test-station",
): Promise<{ store: TaskStore; stationKeys: string }> {
  const stationKeys = join(dir, "stations");
  mkdirSync(stationKeys, { recursive: true });
  const keyPath = join(dir, `${stationId}.ed25519`);
  if (!existsSync(keyPath)) writeNewSigningKey(keyPath);
  copyFileSync(`${keyPath}.pub`, join(stationKeys, `${stationId}.pub`));
  const signer = loadSigningKey(keyPath);
  const records = await openRecordStore(`sqlite:${dbPath}`, { signer });
  const store = new AuditedTaskStore(openSqliteTaskStore(dbPath), records, {
    actor: { role: "station", stationId },
  });
  return { store, stationKeys };
}

/** Claims the next task and carries it out: provision registers a key with `aaguid`, revoke deletes. */
export async function runOneTask(
  store: TaskStore,
  entra: EntraClient,
  aaguid: string,
): Promise<Task | undefined> {
  const task = await store.claimNext({ stationId: "test-station", leaseMs: 60_000 });
  if (!task?.lease) return undefined;
  const lease = task.lease;
  const methods = `/users/${task.person.objectId}/authentication/fido2Methods`;
  if (task.kind === "revoke" && task.revoke) {
    await entra.delete(`${methods}/${encodeURIComponent(task.revoke.methodId)}`);
    return store.complete(task.id, lease, {
      kind: "revoked",
      methodId: task.revoke.methodId,
      revokedAt: new Date().toISOString(),
    });
  }
  const methodId = await registerPasskey(entra, task.person.objectId, aaguid, task.profile.displayName);
  await store.markRegistering(task.id, lease, { credentialId: methodId });
  return store.complete(task.id, lease, {
    kind: "registered",
    methodId,
    aaGuid: aaguid,
    credentialId: methodId,
    registeredAt: new Date().toISOString(),
  });
}
