// The tenant seed (YAML or object): users, groups, apps, operators, FIDO2 policy and trust anchors; how it
// is loaded and checked, and how a synthetic tenant of N users is generated deterministically.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Fido2Policy } from "./policyModel.js";
import { roleTemplateId } from "./roles.js";

export interface UserSeed {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  jobTitle?: string;
  mail?: string;
  /** Holds an admin role: only a Privileged Authentication Administrator may manage its methods. */
  privileged?: boolean;
  directoryRoles?: string[];
}
export interface GroupSeed {
  id: string;
  displayName: string;
  /** User ids, user principal names or group ids (nested groups). */
  members?: string[];
}
export interface FederatedCredentialSeed {
  issuer: string;
  subject: string;
  audience?: string;
  /** PEM public key (SPKI) or certificate that verifies the issuer's assertions. */
  publicKeyPem: string;
}
export interface AppSeed {
  clientId: string;
  displayName?: string;
  secret?: string;
  /** PEM certificates registered for client-assertion sign-in. */
  certificates?: string[];
  /** Application permissions (app roles) granted with admin consent, e.g. User.Read.All. */
  roles?: string[];
  /** Delegated permissions consented for operators signing in through this app. */
  delegatedScopes?: string[];
  federatedCredentials?: FederatedCredentialSeed[];
}
export interface ThrottleSeed {
  /** Requests one app may make per window before 429s. */
  requestsPerWindow: number;
  windowSeconds: number;
}
export interface TenantSeed {
  tenantId?: string;
  displayName?: string;
  domain?: string;
  users?: UserSeed[];
  operators?: UserSeed[];
  groups?: GroupSeed[];
  apps?: AppSeed[];
  fido2Policy?: Partial<Fido2Policy>;
  trustedAttestationRoots?: string[];
  /** Extra AAGUID → model names beside the built-in table. */
  models?: Record<string, string>;
  throttle?: ThrottleSeed;
  deviceCodeIntervalSeconds?: number;
}

export class TenantSeedError extends Error {
  readonly brand = "keyfleet.emulator.TenantSeedError";
  static isInstance(e: unknown): e is TenantSeedError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.emulator.TenantSeedError"
    );
  }
}

// Compiled to dist/emulator/, where tsc does not copy the YAML: fall back to the source folder.
export const defaultTenantPath = [
  fileURLToPath(new URL("./tenant.yaml", import.meta.url)),
  fileURLToPath(new URL("../../emulator/tenant.yaml", import.meta.url)),
].find((p) => existsSync(p)) as string;
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function loadTenantSeed(source: string | TenantSeed | undefined): TenantSeed {
  if (source === undefined) return loadTenantFile(defaultTenantPath);
  if (typeof source === "string") return loadTenantFile(source);
  return source;
}

function loadTenantFile(path: string): TenantSeed {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new TenantSeedError(`cannot read tenant file ${path}`);
  }
  const doc = parse(text) as unknown;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new TenantSeedError(`${path}: a tenant file is a YAML mapping`);
  }
  return doc as TenantSeed;
}

/** Checks ids and references; throws a TenantSeedError naming the first problem. */
export function checkTenantSeed(seed: TenantSeed): void {
  const known = new Set(["tenantId", "displayName", "domain", "users", "operators", "groups", "apps"]);
  for (const k of [
    "fido2Policy",
    "trustedAttestationRoots",
    "models",
    "throttle",
    "deviceCodeIntervalSeconds",
  ]) {
    known.add(k);
  }
  for (const key of Object.keys(seed)) {
    if (!known.has(key)) throw new TenantSeedError(`unknown tenant field '${key}'`);
  }
  if (seed.tenantId !== undefined && !guid.test(seed.tenantId)) {
    throw new TenantSeedError(`tenantId '${seed.tenantId}' is not a GUID`);
  }
  const ids = new Set<string>();
  const upns = new Set<string>();
  for (const u of [...(seed.users ?? []), ...(seed.operators ?? [])]) {
    if (typeof u.id !== "string" || !guid.test(u.id))
      throw new TenantSeedError(`user id '${u.id}' is not a GUID`);
    if (typeof u.userPrincipalName !== "string" || !u.userPrincipalName.includes("@")) {
      throw new TenantSeedError(`user ${u.id}: userPrincipalName '${u.userPrincipalName}' is not a UPN`);
    }
    if (ids.has(u.id.toLowerCase())) throw new TenantSeedError(`duplicate id ${u.id}`);
    if (upns.has(u.userPrincipalName.toLowerCase())) {
      throw new TenantSeedError(`duplicate userPrincipalName ${u.userPrincipalName}`);
    }
    ids.add(u.id.toLowerCase());
    upns.add(u.userPrincipalName.toLowerCase());
    for (const r of u.directoryRoles ?? []) {
      if (!roleTemplateId(r))
        throw new TenantSeedError(`user ${u.userPrincipalName}: unknown directory role '${r}'`);
    }
  }
  const groupIds = new Set<string>();
  for (const g of seed.groups ?? []) {
    if (typeof g.id !== "string" || !guid.test(g.id))
      throw new TenantSeedError(`group id '${g.id}' is not a GUID`);
    if (ids.has(g.id.toLowerCase()) || groupIds.has(g.id.toLowerCase())) {
      throw new TenantSeedError(`duplicate id ${g.id}`);
    }
    groupIds.add(g.id.toLowerCase());
  }
  for (const g of seed.groups ?? []) {
    for (const m of g.members ?? []) {
      const k = m.toLowerCase();
      if (!ids.has(k) && !upns.has(k) && !groupIds.has(k)) {
        throw new TenantSeedError(`group ${g.displayName}: member '${m}' is neither a user nor a group`);
      }
    }
  }
  for (const a of seed.apps ?? []) {
    if (typeof a.clientId !== "string" || !guid.test(a.clientId)) {
      throw new TenantSeedError(`app clientId '${a.clientId}' is not a GUID`);
    }
  }
}

const firstNames = [
  "Ada",
  "Ben",
  "Chloe",
  "Dev",
  "Elena",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Kai",
  "Lena",
];
const lastNames = [
  "Lindqvist",
  "Adeyemi",
  "Martin",
  "Patel",
  "Rossi",
  "Haddad",
  "Oduya",
  "Tanaka",
  "Moreau",
  "Berg",
];

function seededGuid(seed: number, label: string): string {
  const h = createHash("sha256").update(`${seed}:${label}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Adds n deterministic users to the seed, in groups of 100 ("Synthetic Team k"), all of them nested in one
 * "Synthetic All Staff" group; every hundredth user is privileged.
 */
export function addSyntheticUsers(seed: TenantSeed, n: number, rngSeed = 1): TenantSeed {
  const domain = seed.domain ?? "northwindforge.example";
  const users: UserSeed[] = [];
  const groups: GroupSeed[] = [];
  for (let i = 0; i < n; i++) {
    const first = firstNames[i % firstNames.length] ?? "User";
    const last = lastNames[Math.floor(i / firstNames.length) % lastNames.length] ?? "Synthetic";
    users.push({
      id: seededGuid(rngSeed, `user:${i}`),
      userPrincipalName: `${first.toLowerCase()}.${last.toLowerCase()}.${i}@${domain}`,
      displayName: `${first} ${last} ${i}`,
      givenName: first,
      surname: last,
      ...(i % 100 === 99 ? { privileged: true } : {}),
    });
  }
  const teams = Math.ceil(n / 100);
  for (let t = 0; t < teams; t++) {
    groups.push({
      id: seededGuid(rngSeed, `group:${t}`),
      displayName: `Synthetic Team ${t}`,
      members: users.slice(t * 100, t * 100 + 100).map((u) => u.id),
    });
  }
  groups.push({
    id: seededGuid(rngSeed, "group:all"),
    displayName: "Synthetic All Staff",
    members: groups.map((g) => g.id),
  });
  return {
    ...seed,
    users: [...(seed.users ?? []), ...users],
    groups: [...(seed.groups ?? []), ...groups],
  };
}
