// Admin routes that change the tenant while it runs, as people and other tools change a real one behind
// Keyfleet's back: rename, disable/enable and delete users, add and remove group members, delete a passkey,
// and add a passkey the user "registered themselves" (any AAGUID, model, name, date, type and attestation).
// Every change goes through the state store, so all processes sharing a state file see it.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { type EmulatorContext, now } from "./context.js";
import { type DirectoryChanges, noDirectoryChanges } from "./directory.js";
import { methodJson } from "./fido2Routes.js";
import type { GraphResponse } from "./graphHttp.js";
import { decodeLenientBase64, urlTokenEncode } from "./methodId.js";
import type { StoredMethod, TenantState } from "./stateStore.js";

/** What a test asks for when it adds a passkey Keyfleet did not register. */
export interface SelfRegisteredPasskey {
  aaGuid: string;
  /** Default: the model table's name for the AAGUID, else null. */
  model?: string | null;
  displayName: string;
  /** ISO 8601; default: now (emulator clock). */
  createdDateTime?: string;
  passkeyType?: "deviceBound" | "synced";
  attestationLevel?: "attested" | "notAttested";
  /** Raw credential id, base64url; default: 32 random bytes. */
  credentialId?: string;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function err(status: number, message: string): GraphResponse {
  return { status, body: { error: { code: "emulatorAdmin", message } } };
}

function changesOf(s: TenantState): DirectoryChanges {
  s.directory ??= noDirectoryChanges();
  return s.directory;
}

/** Applies a directory change under the store's lock and makes this process see it at once. */
function changeDirectory(ctx: EmulatorContext, fn: (c: DirectoryChanges) => void): void {
  ctx.store.mutate((s) => {
    const c = changesOf(s);
    fn(c);
    c.revision++;
  });
  ctx.directory.refresh(ctx.store.read().directory);
}

function userSummary(ctx: EmulatorContext, id: string): Record<string, unknown> {
  const u = ctx.directory.user(id);
  return u
    ? { id: u.id, userPrincipalName: u.userPrincipalName, accountEnabled: u.accountEnabled }
    : { id, deleted: true };
}

/** The routes of this file, or undefined when the route is not one of them. */
export function handleDirectoryAdmin(
  ctx: EmulatorContext,
  method: string,
  path: string,
  b: Record<string, unknown>,
): GraphResponse | undefined {
  const route = `${method} ${path}`;
  let m = /^(PATCH|DELETE) \/_emulator\/users\/([^/]+)$/.exec(route);
  if (m) {
    const user = ctx.directory.user(decodeURIComponent(m[2] ?? ""));
    if (!user) return err(404, "no such user");
    if (m[1] === "DELETE") {
      changeDirectory(ctx, (c) => {
        c.users[user.id] = { ...c.users[user.id], deleted: true };
      });
      return { status: 204 };
    }
    return patchUser(ctx, user.id, b);
  }
  m = /^POST \/_emulator\/groups\/([^/]+)\/members$/.exec(route);
  if (m) return addMembers(ctx, decodeURIComponent(m[1] ?? ""), b.members);
  m = /^DELETE \/_emulator\/groups\/([^/]+)\/members\/([^/]+)$/.exec(route);
  if (m) return removeMember(ctx, decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? ""));
  m = /^POST \/_emulator\/users\/([^/]+)\/methods$/.exec(route);
  if (m) return addPasskey(ctx, decodeURIComponent(m[1] ?? ""), b);
  m = /^DELETE \/_emulator\/users\/([^/]+)\/methods\/([^/]+)$/.exec(route);
  if (m) {
    const user = ctx.directory.user(decodeURIComponent(m[1] ?? ""));
    if (!user) return err(404, "no such user");
    const methodId = decodeURIComponent(m[2] ?? "");
    const removed = ctx.store.mutate((s) => {
      const list = s.methods[user.id] ?? [];
      const next = list.filter((x) => x.id !== methodId);
      s.methods[user.id] = next;
      return next.length !== list.length;
    });
    return removed ? { status: 204 } : err(404, "no such method for this user");
  }
  return undefined;
}

function patchUser(ctx: EmulatorContext, id: string, b: Record<string, unknown>): GraphResponse {
  const upn = b.userPrincipalName;
  const enabled = b.accountEnabled;
  if (upn === undefined && enabled === undefined)
    return err(400, "give userPrincipalName and/or accountEnabled");
  if (upn !== undefined) {
    if (typeof upn !== "string" || !/^[^@\s]+@[^@\s]+$/.test(upn))
      return err(400, "userPrincipalName must look like name@domain");
    const holder = ctx.directory.user(upn);
    if (holder && holder.id !== id) return err(409, `userPrincipalName ${upn} belongs to ${holder.id}`);
  }
  if (enabled !== undefined && typeof enabled !== "boolean")
    return err(400, "accountEnabled must be a boolean");
  changeDirectory(ctx, (c) => {
    c.users[id] = {
      ...c.users[id],
      ...(typeof upn === "string" ? { userPrincipalName: upn } : {}),
      ...(typeof enabled === "boolean" ? { accountEnabled: enabled } : {}),
    };
  });
  return { status: 200, body: userSummary(ctx, id) };
}

/** A user (id or UPN) or group id, as a member id; undefined when it names nothing. */
function memberId(ctx: EmulatorContext, ref: string): string | undefined {
  return ctx.directory.user(ref)?.id ?? ctx.directory.group(ref)?.id;
}

function addMembers(ctx: EmulatorContext, groupId: string, members: unknown): GraphResponse {
  const group = ctx.directory.group(groupId);
  if (!group) return err(404, "no such group");
  if (!Array.isArray(members) || members.length === 0 || members.some((x) => typeof x !== "string"))
    return err(400, "members must be a non-empty list of user ids, UPNs or group ids");
  const ids: string[] = [];
  for (const ref of members as string[]) {
    const id = memberId(ctx, ref);
    if (!id) return err(404, `member '${ref}' is neither a user nor a group`);
    if (id === group.id) return err(400, "a group cannot be its own member");
    ids.push(id);
  }
  changeDirectory(ctx, (c) => {
    const current = c.groupMembers[group.id] ?? [...group.members];
    c.groupMembers[group.id] = [...current, ...ids.filter((id) => !current.includes(id))];
  });
  return { status: 200, body: { id: group.id, members: ctx.directory.group(group.id)?.members ?? [] } };
}

function removeMember(ctx: EmulatorContext, groupId: string, ref: string): GraphResponse {
  const group = ctx.directory.group(groupId);
  if (!group) return err(404, "no such group");
  const id = memberId(ctx, ref);
  if (!id || !group.members.includes(id)) return err(404, "not a direct member of this group");
  changeDirectory(ctx, (c) => {
    c.groupMembers[group.id] = (c.groupMembers[group.id] ?? [...group.members]).filter((x) => x !== id);
  });
  return { status: 204 };
}

/** An uncompressed P-256 public key as a COSE_Key map {1:2, 3:-7, -1:1, -2:x, -3:y}. */
function coseP256(): string {
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  const x = Buffer.from(jwk.x ?? "", "base64url");
  const y = Buffer.from(jwk.y ?? "", "base64url");
  const head = Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
  return Buffer.concat([head, x, Buffer.from([0x22, 0x58, 0x20]), y]).toString("base64url");
}

function addPasskey(ctx: EmulatorContext, ref: string, b: Record<string, unknown>): GraphResponse {
  const user = ctx.directory.user(ref);
  if (!user) return err(404, "no such user");
  const p = b as Partial<Record<keyof SelfRegisteredPasskey, unknown>>;
  if (typeof p.aaGuid !== "string" || !guid.test(p.aaGuid)) return err(400, "aaGuid must be a GUID");
  if (typeof p.displayName !== "string" || p.displayName.trim() === "")
    return err(400, "displayName is required");
  if (p.model !== undefined && p.model !== null && typeof p.model !== "string")
    return err(400, "model must be a string or null");
  if (p.passkeyType !== undefined && p.passkeyType !== "deviceBound" && p.passkeyType !== "synced")
    return err(400, "passkeyType must be deviceBound or synced");
  if (
    p.attestationLevel !== undefined &&
    p.attestationLevel !== "attested" &&
    p.attestationLevel !== "notAttested"
  )
    return err(400, "attestationLevel must be attested or notAttested");
  let created = `${new Date(now(ctx)).toISOString().slice(0, 19)}Z`;
  if (p.createdDateTime !== undefined) {
    if (typeof p.createdDateTime !== "string" || Number.isNaN(Date.parse(p.createdDateTime)))
      return err(400, "createdDateTime must be an ISO 8601 date-time");
    created = `${new Date(Date.parse(p.createdDateTime)).toISOString().slice(0, 19)}Z`;
  }
  let credId: Buffer = randomBytes(32);
  if (p.credentialId !== undefined) {
    const given = decodeLenientBase64(p.credentialId);
    if (!given || given.length < 16) return err(400, "credentialId must be base64url of at least 16 bytes");
    credId = given;
  }
  const aaGuid = p.aaGuid.toLowerCase();
  const attested = p.attestationLevel === "attested";
  const method: StoredMethod = {
    id: urlTokenEncode(credId),
    displayName: p.displayName,
    createdDateTime: created,
    aaGuid,
    model: p.model === undefined ? (ctx.models.get(aaGuid) ?? null) : (p.model as string | null),
    attestationCertificates: [],
    attestationLevel: attested ? "attested" : "notAttested",
    passkeyType: (p.passkeyType as StoredMethod["passkeyType"] | undefined) ?? "deviceBound",
    credentialId: credId.toString("base64url"),
    publicKey: coseP256(),
    signCount: 0,
    fmt: attested ? "packed" : "none",
  };
  const added = ctx.store.mutate((s) => {
    for (const list of Object.values(s.methods))
      if (list.some((x) => x.credentialId === method.credentialId)) return false;
    s.methods[user.id] = [...(s.methods[user.id] ?? []), method];
    return true;
  });
  if (!added) return err(409, "a method with this credential id is already registered");
  return { status: 201, body: { userId: user.id, method, graph: methodJson(method, "v1.0") } };
}
