// Bulk directory reads: people by UPN or object id (through $batch), and a group's transitive user members
// (paged). A group that cannot be read is an error, never an empty group: revocations hang on it.
import { batchGet } from "./batch.js";
import type { EntraClient } from "./client.js";
import { EntraError } from "./errors.js";
import { type DirectoryUser, parseUser, USER_SELECT } from "./model.js";

export interface ResolvedUsers {
  /** By the reference asked for (UPN as written, or object id). */
  found: Map<string, DirectoryUser>;
  /** References the directory does not know (404). */
  missing: string[];
}

/** Resolves people by UPN or object id; only "not found" is tolerated per person, anything else throws. */
export async function resolveUsers(entra: EntraClient, refs: readonly string[]): Promise<ResolvedUsers> {
  const unique = [...new Set(refs)];
  const outcomes = await batchGet<unknown>(
    entra,
    unique.map((ref) => ({ url: `/users/${encodeURIComponent(ref)}?$select=${USER_SELECT}` })),
  );
  const found = new Map<string, DirectoryUser>();
  const missing: string[] = [];
  outcomes.forEach((outcome, i) => {
    const ref = unique[i] as string;
    if (outcome.ok) {
      const user = parseUser(outcome.body);
      if (user === undefined) throw malformed(`/users/${ref}`);
      found.set(ref, user);
    } else if (outcome.error.kind === "NotFound") {
      missing.push(ref);
    } else {
      throw outcome.error;
    }
  });
  return { found, missing };
}

export interface UsersById {
  /** By lower-case object id. */
  found: Map<string, DirectoryUser>;
  /** Lower-case object ids Graph answered 404 for: deleted, or never in this tenant. */
  missing: string[];
}

const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * People by object id in bulk (20 to a $batch, the client's concurrency), with accountEnabled. Only a 404 makes
 * a person "missing"; any other failure (throttling that outlasts the retries, 403, 5xx, a malformed answer, an
 * answer for another object) throws, so an unreadable person never reads as a deleted one.
 */
export async function readUsersByIds(entra: EntraClient, ids: readonly string[]): Promise<UsersById> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const bad = unique.find((id) => !OBJECT_ID.test(id));
  if (bad !== undefined) {
    throw new EntraError({
      kind: "BadRequest",
      message: `'${bad}' is not an object id (a GUID); resolve user principal names with resolveUsers`,
    });
  }
  const outcomes = await batchGet<unknown>(
    entra,
    unique.map((id) => ({ url: `/users/${id}?$select=${USER_SELECT}` })),
  );
  const found = new Map<string, DirectoryUser>();
  const missing: string[] = [];
  outcomes.forEach((outcome, i) => {
    const id = unique[i] as string;
    if (!outcome.ok) {
      if (outcome.error.kind !== "NotFound") throw outcome.error;
      missing.push(id);
      return;
    }
    const user = parseUser(outcome.body);
    if (user === undefined) throw malformed(`/users/${id}`);
    if (user.id.toLowerCase() !== id) {
      throw new EntraError({
        kind: "Other",
        message: `Graph answered object ${user.id} when asked for ${id}`,
        method: "GET",
        path: `/users/${id}`,
      });
    }
    found.set(id, user);
  });
  return { found, missing };
}

/**
 * Every user in the group, directly or through nested groups, page by page (999 a page). Throws an
 * EntraError (NotFound included) when the group cannot be read.
 */
export async function listGroupUsers(entra: EntraClient, groupId: string): Promise<DirectoryUser[]> {
  const users: DirectoryUser[] = [];
  const path = `/groups/${encodeURIComponent(groupId)}/transitiveMembers?$select=${USER_SELECT}&$top=999`;
  for await (const page of entra.pages<Record<string, unknown>>(path)) {
    for (const member of page) {
      const type = member["@odata.type"];
      // Nested groups, devices and service principals are members too; only people get keys.
      if (type !== undefined && type !== "#microsoft.graph.user") continue;
      const user = parseUser(member);
      if (user === undefined) throw malformed(path);
      users.push(user);
    }
  }
  return users;
}

/** Group ids → their transitive user members; any group failing fails the whole call. */
export async function listGroupsUsers(
  entra: EntraClient,
  groupIds: readonly string[],
): Promise<Map<string, DirectoryUser[]>> {
  const out = new Map<string, DirectoryUser[]>();
  for (const id of new Set(groupIds)) out.set(id, await listGroupUsers(entra, id));
  return out;
}

function malformed(path: string): EntraError {
  return new EntraError({
    kind: "Other",
    message: "Graph returned an object without an id",
    method: "GET",
    path,
  });
}
