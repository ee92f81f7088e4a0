// The agreement test's station and clock: an enrolled station's view of the task store (its results signed
// with its own key and recorded, as the pipeline requires before it counts or revokes a credential), a station
// stand-in that registers, for each assignment it is told about, a key of the given AAGUID (the rest of the
// queue is handed back untouched), and a way to date a registration weeks back, as a key registered before
// its loss would be.
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EntraClient } from "../../core/entra/client.js";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { Task } from "../../core/tasks/model.js";
import { openSqliteTaskStore } from "../../core/tasks/sqliteTaskStore.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { registerPasskey } from "./stationStandIn.js";

export const AGREEMENT_STATION = "agreement-station";

/**
 * The store as the station `AGREEMENT_STATION` sees it, with a fresh key of its own in `dir`; its public key
 * is enrolled in `<dir>/stations/` (the folder for keyfleet:stationKeys and KEYFLEET_STATION_KEYS).
 */
export async function openAgreementStation(
  dbPath: string,
  dir: string,
): Promise<{ store: TaskStore; stationKeys: string }> {
  const stationKeys = join(dir, "stations");
  mkdirSync(stationKeys, { recursive: true });
  const keyPath = join(dir, `${AGREEMENT_STATION}.ed25519`);
  const signer = writeNewSigningKey(keyPath);
  copyFileSync(`${keyPath}.pub`, join(stationKeys, `${AGREEMENT_STATION}.pub`));
  const records = await openRecordStore(`sqlite:${dbPath}`, { signer });
  const store = new AuditedTaskStore(openSqliteTaskStore(dbPath), records, {
    actor: { role: "station", stationId: AGREEMENT_STATION },
  });
  return { store, stationKeys };
}

/**
 * Claims every claimable task; a provision task whose assignment is in `aaguids` gets a software key of
 * that AAGUID registered with Graph and completes; every other task is released, pending as before.
 * Returns the method id registered for each assignment.
 */
export async function registerKeysFor(
  store: TaskStore,
  entra: EntraClient,
  aaguids: Readonly<Record<string, string>>,
): Promise<Map<string, string>> {
  const handBack: Task[] = [];
  const registered = new Map<string, string>();
  try {
    for (;;) {
      const task = await store.claimNext({ stationId: AGREEMENT_STATION, leaseMs: 60_000 });
      if (!task?.lease) break;
      const aaguid = aaguids[task.assignmentId];
      if (task.kind !== "provision" || aaguid === undefined) {
        handBack.push(task);
        continue;
      }
      const methodId = await registerPasskey(entra, task.person.objectId, aaguid, task.profile.displayName);
      await store.markRegistering(task.id, task.lease, { credentialId: methodId });
      await store.complete(task.id, task.lease, {
        kind: "registered",
        methodId,
        aaGuid: aaguid,
        credentialId: methodId,
        registeredAt: new Date().toISOString(),
      });
      registered.set(task.assignmentId, methodId);
    }
  } finally {
    for (const t of handBack) if (t.lease) await store.release(t.id, t.lease);
  }
  return registered;
}

/**
 * Dates a registered method back to `createdDateTime` by rewriting the emulator's state file, which the
 * emulator re-reads on its next request.
 */
export function backdateMethod(stateFile: string, methodId: string, createdDateTime: string): void {
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as {
    methods: Record<string, { id: string; createdDateTime: string }[]>;
  };
  const method = Object.values(state.methods)
    .flat()
    .find((m) => m.id === methodId);
  if (!method) throw new Error(`the emulator holds no method ${methodId}`);
  method.createdDateTime = createdDateTime;
  const tmp = `${stateFile}.agreement.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, stateFile);
}
