// Gathers what preflight() needs from the tenant: the FIDO2 policy and the members of every group it
// targets. Reads only.
import type { EntraClient } from "./client.js";
import { listGroupUsers } from "./directory.js";
import { type Fido2Policy, readFido2Policy } from "./policy.js";
import {
  type PreflightKeyProfile,
  type PreflightPerson,
  type PreflightReport,
  preflight,
} from "./preflight.js";

export interface PreflightRun {
  policy: Fido2Policy;
  report: PreflightReport;
}

export async function runPreflight(
  entra: EntraClient,
  people: readonly PreflightPerson[],
  keyProfiles: readonly PreflightKeyProfile[],
): Promise<PreflightRun> {
  const policy = await readFido2Policy(entra);
  const groupIds = new Set(
    [...policy.includeTargets, ...policy.excludeTargets]
      .filter((t) => t.targetType === "group" && t.id !== "all_users")
      .map((t) => t.id),
  );
  const groupMembers = new Map<string, ReadonlySet<string>>();
  for (const id of groupIds) {
    // A policy target that cannot be read fails the preflight rather than reading as "nobody".
    groupMembers.set(id, new Set((await listGroupUsers(entra, id)).map((u) => u.id)));
  }
  return { policy, report: preflight({ policy, keyProfiles, people, groupMembers }) };
}
