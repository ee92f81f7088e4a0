// What drift reads: the plan's actual state from Entra (core/entra/actualState.ts: the spec's people and
// every group member with their passkeys, in $batch) plus everyone the task store refers to whom the spec
// no longer names, so that a removed person's keys and tasks are seen; those the directory no longer knows
// become `deletedPeople`. Any failed read fails the call: drift never reports "no keys" for "could not read".

import { parseAssignmentId } from "../assignment.js";
import { readActualState } from "../entra/actualState.js";
import type { EntraClient } from "../entra/client.js";
import { resolveUsers } from "../entra/directory.js";
import { listFido2MethodsBulk } from "../entra/fido2Methods.js";
import type { Fido2Method as EntraMethod } from "../entra/model.js";
import type { ActualState, DirectoryPerson, Fido2Method, TaskFact } from "../plan/actual.js";
import type { Spec } from "../spec/model.js";

export interface DriftState {
  actual: ActualState;
  /** Spec people the directory does not know (UPN or object id as written). */
  unresolved: string[];
}

const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

export async function readDriftState(
  entra: EntraClient,
  spec: Spec,
  facts: readonly TaskFact[],
): Promise<DriftState> {
  const { actual, unresolved } = await readActualState(entra, spec);
  const known = new Set(actual.people.map((p) => p.id));
  const extra = [
    ...new Set(
      facts
        .map((f) => parseAssignmentId(f.assignmentId)?.objectId)
        .filter((id): id is string => id !== undefined && !known.has(id)),
    ),
  ].sort();
  const deleted = new Set(actual.deletedPeople ?? []);
  const people: DirectoryPerson[] = [...actual.people];
  if (extra.length > 0) {
    const resolved = await resolveUsers(entra, extra);
    for (const id of resolved.missing) deleted.add(id.toLowerCase());
    const users = [...resolved.found.values()];
    const methods = await listFido2MethodsBulk(
      entra,
      users.map((u) => u.id),
    );
    for (const u of users) {
      people.push({
        id: u.id.toLowerCase(),
        userPrincipalName: u.userPrincipalName,
        ...(u.displayName !== undefined ? { displayName: u.displayName } : {}),
        ...(u.accountEnabled !== undefined ? { accountEnabled: u.accountEnabled } : {}),
        fido2Methods: (methods.get(u.id) ?? []).map(toPlanMethod),
      });
    }
    people.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return {
    actual: {
      ...actual,
      people,
      tasks: [...facts],
      ...(deleted.size > 0 ? { deletedPeople: [...deleted].sort() } : {}),
    },
    unresolved,
  };
}

function toPlanMethod(m: EntraMethod): Fido2Method {
  const passkeyType =
    m.passkeyType === "deviceBound" || m.passkeyType === "synced" ? m.passkeyType : undefined;
  const level =
    m.attestationLevel === "attested" || m.attestationLevel === "notAttested"
      ? m.attestationLevel
      : undefined;
  return {
    id: m.id,
    displayName: m.displayName ?? null,
    aaGuid: m.aaGuid ?? ZERO_GUID,
    model: m.model ?? null,
    createdDateTime: m.createdDateTime ?? "1970-01-01T00:00:00Z",
    ...(passkeyType ? { passkeyType } : {}),
    ...(level ? { attestationLevel: level } : {}),
  };
}
