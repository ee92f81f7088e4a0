// The Entra half of the plan's actual state (core/plan/actual.ts): the spec's people and every member of
// the spec's groups, resolved in the directory, each with their FIDO2 methods. Task facts come from the
// task store; the caller adds them. Any failed read fails the whole call: a plan must never mistake an
// unreadable group or method list for "nobody" or "no keys".
import type {
  ActualState,
  DirectoryGroup,
  DirectoryPerson,
  Fido2Method as PlanMethod,
} from "../plan/actual.js";
import type { GroupRef, Spec } from "../spec/model.js";
import { API_VERSION } from "../spec/schema.js";
import type { EntraClient } from "./client.js";
import { listGroupUsers, readUsersByIds, resolveUsers } from "./directory.js";
import { EntraError } from "./errors.js";
import { listFido2MethodsBulk } from "./fido2Methods.js";
import type { DirectoryUser, Fido2Method } from "./model.js";

export interface EntraActualState {
  /** Ready for the plan, with `tasks` empty: merge the task store's facts before planning. */
  actual: ActualState;
  /** Spec people the directory does not know (UPN or object id as written). */
  unresolved: string[];
}

const ZERO_GUID = "00000000-0000-0000-0000-000000000000";
/** People whose passkeys are read (in $batch requests of 20) before their answers are reduced to facts. */
const METHOD_SLICE = 2_000;

/**
 * Reads the spec's people, every member of its groups, and, by object id in bulk, everyone else at stake
 * (`alsoObjectIds`: the people the task store or the stack refer to), so that a person removed from git is
 * counted where revocations are. Those the directory answers 404 for are `deletedPeople`.
 */
export async function readActualState(
  entra: EntraClient,
  spec: Pick<Spec, "people" | "groups">,
  opts: { alsoObjectIds?: readonly string[] } = {},
): Promise<EntraActualState> {
  const refs = spec.people
    .map((p) => p.objectId ?? p.userPrincipalName)
    .filter((r): r is string => r !== undefined);
  const resolved = await resolveUsers(entra, refs);
  const people = new Map<string, DirectoryUser>();
  for (const user of resolved.found.values()) people.set(user.id.toLowerCase(), user);

  const groups: DirectoryGroup[] = [];
  const seen = new Set<string>();
  for (const assignment of spec.groups) {
    const group = await resolveGroup(entra, assignment.group);
    if (seen.has(group.id)) continue;
    seen.add(group.id);
    const members = await listGroupUsers(entra, group.id);
    for (const m of members) people.set(m.id.toLowerCase(), m);
    groups.push({
      id: group.id,
      displayName: group.displayName,
      members: members.map((m) => m.id.toLowerCase()),
    });
  }

  const others = [...new Set((opts.alsoObjectIds ?? []).map((id) => id.toLowerCase()))].filter(
    (id) => !people.has(id),
  );
  const byId = others.length > 0 ? await readUsersByIds(entra, others) : { found: new Map(), missing: [] };
  for (const [id, user] of byId.found) people.set(id, user);

  // Passkeys are read a slice of people at a time and kept only as the plan's facts: Graph's answers
  // (attestation certificates and all) for one slice are dropped before the next is read, so the Graph side
  // never holds the whole tenant at once.
  const everyone = [...people.values()];
  const directoryPeople: DirectoryPerson[] = [];
  for (let from = 0; from < everyone.length; from += METHOD_SLICE) {
    const slice = everyone.slice(from, from + METHOD_SLICE);
    const methods = await listFido2MethodsBulk(
      entra,
      slice.map((u) => u.id),
    );
    for (const u of slice) {
      // Field by field, in this order: `{ ...(a ? { x } : {}), more }` takes V8's slow path, per person.
      const person: Partial<DirectoryPerson> = { id: u.id.toLowerCase() };
      person.userPrincipalName = u.userPrincipalName;
      if (u.displayName !== undefined) person.displayName = u.displayName;
      if (u.accountEnabled !== undefined) person.accountEnabled = u.accountEnabled;
      person.fido2Methods = (methods.get(u.id) ?? []).map(toPlanMethod);
      directoryPeople.push(person as DirectoryPerson);
    }
  }
  // Object ids are lower-case GUIDs: code-unit order is their order (localeCompare costs seconds at 100,000).
  directoryPeople.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  groups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    actual: {
      apiVersion: API_VERSION,
      kind: "ActualState",
      people: directoryPeople,
      groups,
      tasks: [],
      ...(byId.missing.length > 0 ? { deletedPeople: [...byId.missing].sort() } : {}),
    },
    unresolved: resolved.missing,
  };
}

async function resolveGroup(entra: EntraClient, ref: GroupRef): Promise<{ id: string; displayName: string }> {
  if ("objectId" in ref) {
    const g = await entra.get<{ id: string; displayName?: string }>(
      `/groups/${encodeURIComponent(ref.objectId)}?$select=id,displayName`,
    );
    return { id: g.id.toLowerCase(), displayName: g.displayName ?? "" };
  }
  const name = ref.displayName.replace(/'/g, "''");
  const page = await entra.get<{ value?: { id: string; displayName?: string }[] }>(
    `/groups?$filter=${encodeURIComponent(`displayName eq '${name}'`)}&$select=id,displayName`,
  );
  // Checked here too: a server that ignores $filter must not turn into "the first group".
  const wanted = ref.displayName.toLowerCase();
  const matches = (page.value ?? []).filter((g) => (g.displayName ?? "").toLowerCase() === wanted);
  const only = matches[0];
  if (matches.length !== 1 || only === undefined) {
    throw new EntraError({
      kind: matches.length === 0 ? "NotFound" : "Conflict",
      message: `group '${ref.displayName}' matches ${matches.length} groups in the directory; name it by objectId`,
      method: "GET",
      path: "/groups",
    });
  }
  return { id: only.id.toLowerCase(), displayName: only.displayName ?? ref.displayName };
}

/**
 * The facts the plan and drift use of one Graph method. AAGUIDs and models repeat across a fleet (a few
 * key models for everyone): one string each, not one per person.
 */
function toPlanMethod(m: Fido2Method): PlanMethod {
  return {
    id: m.id,
    displayName: m.displayName ?? null,
    aaGuid: intern(m.aaGuid ?? ZERO_GUID),
    model: m.model === undefined ? null : intern(m.model),
    // The plan compares dates (lost/retired slots); a method without one sorts as oldest.
    createdDateTime: m.createdDateTime ?? "1970-01-01T00:00:00Z",
    ...(m.passkeyType === "deviceBound" || m.passkeyType === "synced" ? { passkeyType: m.passkeyType } : {}),
    ...(m.attestationLevel === "attested" || m.attestationLevel === "notAttested"
      ? { attestationLevel: m.attestationLevel }
      : {}),
  };
}

const interned = new Map<string, string>();

function intern(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) return known;
  // Bounded: a long-lived process must not keep every string it ever met.
  if (interned.size >= 4_096) interned.clear();
  interned.set(s, s);
  return s;
}
