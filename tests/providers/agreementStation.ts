// The agreement test's station and clock: a station stand-in that registers, for each assignment it is
// told about, a key of the given AAGUID (the rest of the queue is handed back untouched), and a way to date a
// registration weeks back, as a key registered before its loss would be.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { EntraClient } from "../../core/entra/client.js";
import type { Task } from "../../core/tasks/model.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { registerPasskey } from "./stationStandIn.js";

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
      const task = await store.claimNext({ stationId: "agreement-station", leaseMs: 60_000 });
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
