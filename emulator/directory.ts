// The tenant's directory as the server reads it: users (by id and by UPN), groups with transitive
// membership, and app registrations. Built once from the seed; it does not change while running.
import { createHash, X509Certificate } from "node:crypto";
import { roleTemplateId } from "./roles.js";
import type { AppSeed, FederatedCredentialSeed, TenantSeed } from "./tenant.js";

export interface DirUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  mail: string | null;
  privileged: boolean;
  /** Role template ids. */
  roleIds: string[];
}
export interface DirGroup {
  id: string;
  displayName: string;
  /** Direct member ids (users and groups). */
  members: string[];
}
export interface AppCertificate {
  pem: string;
  x5t: string;
  x5tS256: string;
}
export interface AppRegistration {
  clientId: string;
  displayName: string;
  secret?: string;
  certificates: AppCertificate[];
  roles: string[];
  delegatedScopes: string[];
  federatedCredentials: FederatedCredentialSeed[];
}

export class Directory {
  readonly users: DirUser[] = [];
  readonly groups: DirGroup[] = [];
  readonly apps = new Map<string, AppRegistration>();
  private readonly userById = new Map<string, DirUser>();
  private readonly userByUpn = new Map<string, DirUser>();
  private readonly groupById = new Map<string, DirGroup>();
  private readonly transitiveCache = new Map<string, { users: Set<string>; ordered: string[] }>();

  constructor(seed: TenantSeed, defaultApp: AppSeed) {
    for (const u of [...(seed.users ?? []), ...(seed.operators ?? [])]) {
      const roleIds = (u.directoryRoles ?? []).map((r) => roleTemplateId(r)).filter((r): r is string => !!r);
      const user: DirUser = {
        id: u.id.toLowerCase(),
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName,
        givenName: u.givenName ?? u.displayName.split(" ")[0] ?? null,
        surname: u.surname ?? (u.displayName.split(" ").slice(1).join(" ") || null),
        jobTitle: u.jobTitle ?? null,
        mail: u.mail ?? u.userPrincipalName,
        privileged: u.privileged === true || roleIds.length > 0,
        roleIds,
      };
      this.users.push(user);
      this.userById.set(user.id, user);
      this.userByUpn.set(user.userPrincipalName.toLowerCase(), user);
    }
    for (const g of seed.groups ?? []) {
      const group: DirGroup = {
        id: g.id.toLowerCase(),
        displayName: g.displayName,
        members: (g.members ?? []).map((m) => this.userByUpn.get(m.toLowerCase())?.id ?? m.toLowerCase()),
      };
      this.groups.push(group);
      this.groupById.set(group.id, group);
    }
    for (const a of [defaultApp, ...(seed.apps ?? [])]) {
      this.apps.set(a.clientId.toLowerCase(), {
        clientId: a.clientId.toLowerCase(),
        displayName: a.displayName ?? "Keyfleet app",
        ...(a.secret ? { secret: a.secret } : {}),
        certificates: (a.certificates ?? []).map(describeCertificate),
        roles: a.roles ?? [],
        delegatedScopes: a.delegatedScopes ?? [],
        federatedCredentials: a.federatedCredentials ?? [],
      });
    }
  }

  /** A user by object id or user principal name (case-insensitive, as Graph). */
  user(idOrUpn: string): DirUser | undefined {
    const k = idOrUpn.toLowerCase();
    return this.userById.get(k) ?? this.userByUpn.get(k);
  }

  group(id: string): DirGroup | undefined {
    return this.groupById.get(id.toLowerCase());
  }

  /** Transitive members in a stable order (breadth first: users and nested groups), without repeats. */
  transitiveMembers(groupId: string): string[] {
    return this.transitive(groupId).ordered;
  }

  isTransitiveMember(userId: string, groupId: string): boolean {
    if (groupId === "all_users") return this.userById.has(userId);
    return this.transitive(groupId).users.has(userId);
  }

  private transitive(groupId: string): { users: Set<string>; ordered: string[] } {
    const key = groupId.toLowerCase();
    const cached = this.transitiveCache.get(key);
    if (cached) return cached;
    const seen = new Set<string>([key]);
    const ordered: string[] = [];
    const users = new Set<string>();
    const queue = [...(this.groupById.get(key)?.members ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const m = queue[i] as string;
      if (seen.has(m)) continue;
      seen.add(m);
      ordered.push(m);
      const nested = this.groupById.get(m);
      if (nested) queue.push(...nested.members);
      else users.add(m);
    }
    const result = { users, ordered };
    this.transitiveCache.set(key, result);
    return result;
  }
}

function describeCertificate(pem: string): AppCertificate {
  const cert = new X509Certificate(pem);
  return {
    pem: cert.toString(),
    x5t: createHash("sha1").update(cert.raw).digest("base64url"),
    x5tS256: createHash("sha256").update(cert.raw).digest("base64url"),
  };
}
