// The Entra ID + Microsoft Graph emulator's programmatic API: start a real HTTPS server on loopback with a
// tenant from YAML (or an object, or N synthetic users), and get back what a client needs to use it.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modelTable } from "./aaguidModels.js";
import { EmulatorAdmin } from "./adminClient.js";
import { ensureCertificates } from "./certs.js";
import type { EmulatorContext } from "./context.js";
import { DeviceCodes } from "./deviceCodes.js";
import { Directory } from "./directory.js";
import { FaultInjector, type FaultRule } from "./faults.js";
import { ensureIdentity } from "./identity.js";
import { seedFido2Policy } from "./policyModel.js";
import { RequestLog } from "./requestLog.js";
import { createHandler } from "./server.js";
import { StateStore } from "./stateStore.js";
import {
  type AppSeed,
  addSyntheticUsers,
  checkTenantSeed,
  loadTenantSeed,
  type TenantSeed,
} from "./tenant.js";
import { defaultThrottle, Throttle } from "./throttle.js";

export {
  type AdminTarget,
  EmulatorAdmin,
  EmulatorAdminError,
  type EmulatorStateSummary,
  type EmulatorUserSummary,
} from "./adminClient.js";
export type { SelfRegisteredPasskey } from "./adminDirectoryRoutes.js";
export { adminHeader } from "./adminRoutes.js";
export { globToRoute, parseFaultSpec, readFaultFile } from "./faultSpec.js";
export { type FaultKind, type FaultRule, FaultRuleError } from "./faults.js";
export type { Fido2Policy, KeyRestrictions, PasskeyProfile } from "./policyModel.js";
export type { LoggedRequest } from "./requestLog.js";
export { DirectoryRole } from "./roles.js";
export type { StoredMethod } from "./stateStore.js";
export {
  type AppSeed,
  defaultTenantPath,
  type GroupSeed,
  loadTenantSeed,
  type TenantSeed,
  TenantSeedError,
  type UserSeed,
} from "./tenant.js";

export interface EmulatorOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** CA, server certificate, signing key and generated secrets; generated on first start, reused after.
   * Default: a fresh temporary directory removed on stop. */
  dataDir?: string;
  /** Persisted tenant state shared by processes (see stateStore.ts for the consistency model). */
  stateFile?: string;
  /** A tenant YAML path or a seed object; default: the Northwind Forge tenant in emulator/tenant.yaml. */
  tenant?: string | TenantSeed;
  /** Adds N deterministic synthetic users (and groups of 100). */
  synthetic?: number;
  faults?: FaultRule[];
  /** Seeds the synthetic users (and the faults, unless faultSeed is given). */
  seed?: number;
  /** Seeds the fault generator alone, so the same faults can be replayed over the same synthetic tenant. */
  faultSeed?: number;
  /** Attestation roots trusted besides the seed's: a PEM file (bundle) or a folder of `*.pem`, read at each
   * registration. */
  trustRootsPath?: string;
}

export interface RunningEmulator {
  /** "https://127.0.0.1:PORT": the authority host and the Graph base URL (/v1.0/..., /beta/...). */
  url: string;
  tenantId: string;
  /** The default app: UserAuthenticationMethod.ReadWrite.All, User.Read.All, GroupMember.Read.All,
   * Policy.ReadWrite.AuthenticationMethod (application and delegated). */
  clientId: string;
  clientSecret: string;
  caCertPath: string;
  caCertPem: string;
  adminSecret: string;
  dataDir: string;
  /** The admin routes (faults, trust anchors, clock, throttling, sign-in approval, inspection). */
  admin: EmulatorAdmin;
  addTrustedRoot(pem: string): Promise<void>;
  setClockOffset(offsetMs: number): Promise<void>;
  stop(): Promise<void>;
}

export const defaultAppPermissions = [
  "UserAuthenticationMethod.ReadWrite.All",
  "User.Read.All",
  "GroupMember.Read.All",
  "Policy.ReadWrite.AuthenticationMethod",
];

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const tempDir = opts.dataDir ? undefined : mkdtempSync(join(tmpdir(), "keyfleet-emulator-"));
  try {
    return await start(opts, opts.dataDir ?? (tempDir as string), tempDir);
  } catch (err) {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}

async function start(
  opts: EmulatorOptions,
  dataDir: string,
  tempDir: string | undefined,
): Promise<RunningEmulator> {
  const [identity, certs] = [await ensureIdentity(dataDir), await ensureCertificates(dataDir)];
  let seed = loadTenantSeed(opts.tenant);
  if (opts.synthetic && opts.synthetic > 0) seed = addSyntheticUsers(seed, opts.synthetic, opts.seed ?? 1);
  checkTenantSeed(seed);
  const tenantId = (seed.tenantId ?? identity.tenantId).toLowerCase();
  const defaultApp: AppSeed = {
    clientId: identity.clientId,
    displayName: "Keyfleet emulator default app",
    secret: identity.clientSecret,
    roles: defaultAppPermissions,
    delegatedScopes: defaultAppPermissions,
  };
  const store = new StateStore(
    {
      version: 1,
      tenantId,
      policy: seedFido2Policy(seed.fido2Policy),
      methods: {},
      usedChallenges: {},
      trustAnchors: [],
      clockOffsetMs: 0,
    },
    opts.stateFile,
  );
  const ctx: EmulatorContext = {
    url: "",
    tenantId,
    displayName: seed.displayName ?? "Keyfleet Emulator Tenant",
    domain: seed.domain ?? "emulator.example",
    deviceCodeIntervalSeconds: seed.deviceCodeIntervalSeconds ?? 5,
    directory: new Directory(seed, defaultApp),
    store,
    identity,
    models: modelTable(seed.models),
    faults: new FaultInjector(opts.faults ?? [], opts.faultSeed ?? opts.seed ?? 1),
    throttle: new Throttle(seed.throttle ?? defaultThrottle),
    deviceCodes: new DeviceCodes(),
    log: new RequestLog(),
    seedTrustAnchors: seed.trustedAttestationRoots ?? [],
    ...(opts.trustRootsPath ? { trustRootsPath: opts.trustRootsPath } : {}),
  };
  const server = createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, createHandler(ctx));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  ctx.url = `https://127.0.0.1:${port}`;
  const admin = new EmulatorAdmin({
    url: ctx.url,
    adminSecret: identity.adminSecret,
    caCertPem: certs.caCertPem,
  });
  return {
    url: ctx.url,
    tenantId,
    clientId: identity.clientId,
    clientSecret: identity.clientSecret,
    caCertPath: certs.caCertPath,
    caCertPem: certs.caCertPem,
    adminSecret: identity.adminSecret,
    dataDir,
    admin,
    addTrustedRoot: (pem) => admin.addTrustedRoot(pem),
    setClockOffset: (ms) => admin.setClockOffset(ms),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
