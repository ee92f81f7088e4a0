// Turns the spec and the actual state into preflight's inputs: who gets which key profile. People named
// in the spec get their slots' profiles; group members get their group assignment's profile.
import type { ActualState } from "../plan/actual.js";
import type { Spec } from "../spec/model.js";
import type { PreflightKeyProfile, PreflightPerson } from "./preflight.js";

export interface SpecPreflightInput {
  people: PreflightPerson[];
  keyProfiles: PreflightKeyProfile[];
}

/**
 * `unattestedProfiles` names key profiles that may register keys without attestation (the spec has no
 * such field yet; the station knows, e.g. for virtual keys).
 */
export function preflightInputFromSpec(
  spec: Pick<Spec, "people" | "groups" | "profiles">,
  actual: Pick<ActualState, "people" | "groups">,
  unattestedProfiles: ReadonlySet<string> = new Set(),
): SpecPreflightInput {
  const byUpn = new Map(actual.people.map((p) => [p.userPrincipalName.toLowerCase(), p.id]));
  const known = new Set(actual.people.map((p) => p.id));
  const holders = new Map<string, Set<string>>(spec.profiles.map((p) => [p.name, new Set<string>()]));
  for (const person of spec.people) {
    const id =
      person.objectId ?? (person.userPrincipalName ? byUpn.get(person.userPrincipalName) : undefined);
    if (id === undefined || !known.has(id)) continue;
    for (const slot of person.slots) if (slot.state === "active") holders.get(slot.profile)?.add(id);
  }
  const membersById = new Map(actual.groups.map((g) => [g.id, g.members]));
  const membersByName = new Map(actual.groups.map((g) => [g.displayName, g.members]));
  for (const assignment of spec.groups) {
    const members =
      "objectId" in assignment.group
        ? membersById.get(assignment.group.objectId)
        : membersByName.get(assignment.group.displayName);
    for (const id of members ?? []) holders.get(assignment.profile)?.add(id);
  }
  const everyone = new Set([...holders.values()].flatMap((s) => [...s]));
  return {
    people: actual.people
      .filter((p) => everyone.has(p.id))
      .map((p) => ({ id: p.id, userPrincipalName: p.userPrincipalName })),
    keyProfiles: spec.profiles.map((p) => ({
      name: p.name,
      aaguids: p.aaguids,
      allowsUnattested: unattestedProfiles.has(p.name),
      people: [...(holders.get(p.name) ?? [])],
    })),
  };
}
