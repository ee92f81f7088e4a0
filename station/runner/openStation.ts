// Building a station from its settings: Entra (the operator's delegated sign-in by default, the station's
// own credential only when asked), the audited task store signing with the station's key, the pipeline's
// public key that tasks must verify against, the PIN delivery (checked before any key is touched), and
// the key sources. The CLI calls this; tests build a RunnerContext the same way with their own parts.
import { hostname } from "node:os";
import { EntraClient } from "../../core/entra/client.js";
import { loadEntraConfig } from "../../core/entra/config.js";
import { defaultAnchorPath } from "../../core/records/anchor.js";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { loadPublicKey, loadSigningKey, privateKeyPath, publicKeyPath } from "../../core/signing/keyFiles.js";
import { openTaskStore } from "../../core/tasks/openTaskStore.js";
import { createPinDelivery, type PinDeliveryConfig } from "../pin/deliverPin.js";
import { generatePin } from "../pin/generatePin.js";
import type { RunnerContext } from "./context.js";
import { fixedKeySource, hidKeySource, type KeySource } from "./keySource.js";
import type { StationOperator } from "./operator.js";
import type { CeremonyStep } from "./steps.js";
import { graphIsEmulator } from "./trust.js";

export interface StationSettings {
  store?: string;
  stationId?: string;
  /** Fixed devices (`udp:host:port`, HID paths) besides the polled USB keys. */
  devices: readonly string[];
  /** Poll USB keys through node-hid (default true). */
  hid: boolean;
  /** Sign in with the station's own credential (certificate, managed identity…) instead of the operator's. */
  appCredential: boolean;
  allowTestKeys: boolean;
  attended: boolean;
  delivery: PinDeliveryConfig;
  leaseMs: number;
  callTimeoutMs: number;
  anchorPath?: string;
  stationKeyPath?: string;
  pipelinePublicKeyPath?: string;
  crashAfter?: CeremonyStep;
  /** Read-only: no store writes, so no signing key is needed. */
  dryRun: boolean;
  operator: StationOperator;
  /** Shows the device-code sign-in message (URL and code) to the operator. */
  onSignIn: (message: string) => void;
}

export interface OpenedStation {
  ctx: RunnerContext;
  sources: KeySource[];
  close(): Promise<void>;
}

export async function openStation(s: StationSettings): Promise<OpenedStation> {
  const stationId = s.stationId ?? process.env.KEYFLEET_STATION_ID ?? hostname();
  const config = loadEntraConfig(s.appCredential ? {} : { auth: "device-code" });
  const pipelineKeys = [loadPublicKey(s.pipelinePublicKeyPath ?? publicKeyPath("pipeline"))];
  const stationKey = s.dryRun ? undefined : loadSigningKey(s.stationKeyPath ?? privateKeyPath("station"));
  const delivery = await createPinDelivery(s.delivery);
  const entra = new EntraClient(config, {
    credentialHooks: { onDeviceCode: (info) => s.onSignIn(info.message) },
  });
  const closers: (() => Promise<void>)[] = [() => entra.close()];
  try {
    let operatorName: string | undefined;
    if (!s.appCredential) {
      const me = await entra.get<{ userPrincipalName?: string }>("/me");
      operatorName = me.userPrincipalName;
    }
    const inner = await openTaskStore(s.store, s.dryRun ? { readOnly: true } : {});
    let store = inner;
    let audit: RunnerContext["audit"];
    if (stationKey) {
      const records = await openRecordStore(s.store, {
        signer: stationKey,
        anchorPath: s.anchorPath ?? defaultAnchorPath(),
      });
      const actor = {
        role: "station" as const,
        stationId,
        ...(operatorName ? { operator: operatorName } : {}),
      };
      store = new AuditedTaskStore(inner, records, { actor });
      audit = { records, actor };
    }
    closers.unshift(() => store.close());
    const ctx: RunnerContext = {
      stationId,
      store,
      pipelineKeys,
      entra,
      operator: s.operator,
      generatePin,
      delivery,
      trust: { graphIsEmulator: graphIsEmulator(config), allowTestKeys: s.allowTestKeys },
      attended: s.attended,
      leaseMs: s.leaseMs,
      callTimeoutMs: s.callTimeoutMs,
    };
    if (operatorName) ctx.operatorName = operatorName;
    if (stationKey) ctx.stationKey = stationKey;
    if (audit) ctx.audit = audit;
    if (s.crashAfter) ctx.crashAfter = s.crashAfter;
    const sources: KeySource[] = [];
    if (s.devices.length > 0) sources.push(fixedKeySource(s.devices));
    if (s.hid) sources.push(hidKeySource());
    return {
      ctx,
      sources,
      async close() {
        for (const c of closers) await c().catch(() => {});
      },
    };
  } catch (e) {
    for (const c of closers) await c().catch(() => {});
    throw e;
  }
}
