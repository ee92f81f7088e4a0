// The tenant's directory as the server reads it: users (by id and by UPN), groups with transitive
// membership, and app registrations. Built from the seed, with the changes the admin routes made while running
// (renames, disabled and deleted users, group membership) applied on top; those changes live in the shared
// state (stateStore.ts), so every process serving one state file sees the same directory.
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
  accountEnabled: boolean;
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
/** What the admin routes changed since the seed; kept in the tenant state (stateStore.ts). */
export interface DirectoryChanges {
  /** Bumped on every change, so a reader rebuilds its indexes only when something changed. */
  revision: number;
  /** By user id (lower case). */
  users: Record<string, UserChange>;
  /** By group id (lower case): the direct member ids that replace the seed's. */
  groupMembers: Record<string, string[]>;
}
export interface UserChange {
  userPrincipalName?: string;
  accountEnabled?: boolean;
  deleted?: true;
}

export function noDirectoryChanges(): DirectoryChanges {
  return { revision: 0, users: {}, groupMembers: {} };
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
  readonly apps = new Map<string, AppRegistration>();
  private readonly seedUsers: DirUser[] = [];
  private readonly seedUserById = new Map<string, DirUser>();
  private readonly seedGroups: DirGroup[] = [];
  private userList: DirUser[] = [];
  private groupList: DirGroup[] = [];
  private userById = new Map<string, DirUser>();
  private userByUpn = new Map<string, DirUser>();
  private groupById = new Map<string, DirGroup>();
  private readonly transitiveCache = new Map<string, { users: Set<string>; ordered: string[] }>();
  private revision = -1;

  constructor(seed: TenantSeed, defaultApp: AppSeed) {
    const upnToId = new Map<string, string>();
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
        accountEnabled: true,
        privileged: u.privileged === true || roleIds.length > 0,
        roleIds,
      };
      this.seedUsers.push(user);
      this.seedUserById.set(user.id, user);
      upnToId.set(user.userPrincipalName.toLowerCase(), user.id);
    }
    for (const g of seed.groups ?? []) {
      this.seedGroups.push({
        id: g.id.toLowerCase(),
        displayName: g.displayName,
        members: (g.members ?? []).map((m) => upnToId.get(m.toLowerCase()) ?? m.toLowerCase()),
      });
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
    this.refresh(undefined);
  }

  /**
   * Applies the run-time changes (from the state store) when their revision moved. Called once per request,
   * not per lookup: a member listing of 100,000 people must not stat the state file 100,000 times.
   */
  refresh(changes: DirectoryChanges | undefined): void {
    const c = changes ?? noDirectoryChanges();
    if (c.revision === this.revision) return;
    this.revision = c.revision;
    this.userList = [];
    this.userById = new Map();
    this.userByUpn = new Map();
    for (const seedUser of this.seedUsers) {
      const change = c.users[seedUser.id];
      if (change?.deleted) continue;
      const user = change
        ? {
            ...seedUser,
            ...(change.userPrincipalName !== undefined
              ? { userPrincipalName: change.userPrincipalName }
              : {}),
            ...(change.accountEnabled !== undefined ? { accountEnabled: change.accountEnabled } : {}),
          }
        : seedUser;
      this.userList.push(user);
      this.userById.set(user.id, user);
      this.userByUpn.set(user.userPrincipalName.toLowerCase(), user);
    }
    this.groupList = [];
    this.groupById = new Map();
    for (const seedGroup of this.seedGroups) {
      const members = c.groupMembers[seedGroup.id] ?? seedGroup.members;
      // A deleted user leaves every group, as in Entra.
      const group = {
        ...seedGroup,
        members: members.filter((m) => !this.seedUserById.has(m) || this.userById.has(m)),
      };
      this.groupList.push(group);
      this.groupById.set(group.id, group);
    }
    this.transitiveCache.clear();
  }

  /** The users Graph shows (deleted ones left out), in seed order. */
  get users(): readonly DirUser[] {
    return this.userList;
  }

  get groups(): readonly DirGroup[] {
    return this.groupList;
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
