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
