// Everything a request handler may read: the directory, the state store, the identity (keys, secrets),
// the base URL, the clock (real time plus the admin-set offset), faults, throttling and device codes.

import type { DeviceCodes } from "./deviceCodes.js";
import type { Directory } from "./directory.js";
import type { FaultInjector } from "./faults.js";
import type { EmulatorIdentity } from "./identity.js";
import type { RequestLog } from "./requestLog.js";
import type { StateStore } from "./stateStore.js";
import type { Throttle } from "./throttle.js";

export interface EmulatorContext {
  url: string;
  tenantId: string;
  displayName: string;
  domain: string;
  deviceCodeIntervalSeconds: number;
  directory: Directory;
  store: StateStore;
  identity: EmulatorIdentity;
  /** AAGUID (lower case) → model name. */
  models: Map<string, string>;
  faults: FaultInjector;
  throttle: Throttle;
  deviceCodes: DeviceCodes;
  log: RequestLog;
  /** Seed trust anchors (PEM) beside those added at run time (kept in state). */
  seedTrustAnchors: string[];
  /** A PEM file or a folder of `*.pem` files whose roots are trusted too, read at each registration, so that
   * keys started after the emulator (`keyfleet virtual-key --root-out`) are trusted without a restart. */
  trustRootsPath?: string;
}

/** Emulator time: wall clock plus the offset set through the admin route (for expiry tests). */
export function now(ctx: EmulatorContext): number {
  return Date.now() + ctx.store.read().clockOffsetMs;
}

export function issuer(ctx: EmulatorContext): string {
  return `${ctx.url}/${ctx.tenantId}/v2.0`;
}
