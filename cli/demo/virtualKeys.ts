// The demo's hardware: one virtual FIDO2 key (served over UDP from the demo's process, as `keyfleet
// virtual-key` serves one) per provisioning task waiting in the store, each made the model its task's
// profile allows, and its attestation root trusted by the emulator as a tenant trusts a vendor's root. A
// task whose slot names an inventory serial gets the key of that serial: one with enterprise attestation
// naming it (as `keyfleet virtual-key --serial` starts one), which is how an unattended station tells it.
import { openTaskStore } from "../../core/tasks/openTaskStore.js";
import type { RunningEmulator } from "../../emulator/index.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../station/virtual/udpServer.js";
import { DemoFailure } from "./output.js";

export interface DemoKeys {
  devices: string[];
  /** AAGUID → how many keys of it. */
  byAaguid: Map<string, number>;
  /** The serials of the inventory keys among them. */
  serials: string[];
  close(): Promise<void>;
}

export async function startKeysForWaitingTasks(
  taskStore: string,
  emu: Pick<RunningEmulator, "addTrustedRoot">,
): Promise<DemoKeys> {
  const store = await openTaskStore(`sqlite:${taskStore}`, { readOnly: true });
  const waiting = await (async () => {
    try {
      return await store.list({ state: "pending", kind: "provision", limit: 10_000 });
    } finally {
      await store.close();
    }
  })();
  const servers: VirtualKeyUdpServer[] = [];
  const byAaguid = new Map<string, number>();
  const serials: string[] = [];
  const close = async () => {
    for (const s of servers) await s.close();
  };
  try {
    for (const task of waiting) {
      const aaguid = task.profile.allowedAaguids[0];
      if (!aaguid) throw new DemoFailure(`task ${task.id}'s profile ${task.profile.name} names no AAGUID`);
      const model = task.profile.allowedModels[0] ?? `Virtual ${task.profile.name}`;
      const serial = task.profile.serials?.[0];
      const server = await startVirtualKeyUdp({
        port: 0,
        aaguid,
        model,
        ...(serial !== undefined ? { enterpriseAttestation: { serial } } : {}),
      });
      if (serial !== undefined) serials.push(serial);
      servers.push(server);
      await emu.addTrustedRoot(server.key.attestationRootPem);
      byAaguid.set(aaguid, (byAaguid.get(aaguid) ?? 0) + 1);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    devices: servers.map((s) => `udp:${s.address.host}:${s.address.port}`),
    byAaguid,
    serials,
    close,
  };
}
