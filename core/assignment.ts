// Desired assignments: (person, slot) pairs with stable ids, expanded from the spec and the directory
// (UPN → object id, group → transitive members). Ids come from the person's object id and the slot
// label, never from file order, so a rename or a reshuffle of spec files changes nothing.
import type { DirectoryGroup, DirectoryPerson } from "./plan/actual.js";
import type {
  AdoptCriteria,
  GroupAssignment,
  KeyProfile,
  PersonSpec,
  SlotState,
  SourceRef,
  Spec,
} from "./spec/model.js";

/** The stable id of a (person, slot) assignment: `<objectId>/<slot>`, object id lower case. */
export function assignmentId(objectId: string, slot: string): string {
  return `${objectId.toLowerCase()}/${slot}`;
}

/** Splits an assignment id into its object id and slot. */
export function parseAssignmentId(id: string): { objectId: string; slot: string } | undefined {
  const i = id.indexOf("/");
  if (i <= 0) return undefined;
  return { objectId: id.slice(0, i), slot: id.slice(i + 1) };
}

/** Slot names a group assignment gives each member: group-<name>-1 … group-<name>-<keys>. */
export function groupSlotName(group: string, n: number): string {
  return `group-${group}-${n}`;
}

export interface DesiredAssignment {
  /** `<objectId>/<slot>`, or `unresolved:<upn>/<slot>` when the directory does not know the person. */
  readonly id: string;
  /** Entra object id; undefined when unresolved. */
  readonly personId: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly slot: string;
  readonly profile: KeyProfile;
  readonly state: SlotState;
  readonly since: string | undefined;
  readonly adopt: AdoptCriteria | undefined;
  readonly serial: string | undefined;
  /** The person's leaving day, if any. */
  readonly leaving: string | undefined;
  /** The GroupAssignment that gave this slot, or undefined for a person's own slot. */
  readonly group: string | undefined;
  /**
   * The spec's UPN when it no longer names anyone and the person was found through the UPN their tasks were
   * raised under (renamed in Entra, git not yet): the same person, so nothing is revoked.
   */
  readonly staleUpn?: string | undefined;
  readonly source: SourceRef;
}

export interface Directory {
  readonly people: readonly DirectoryPerson[];
  readonly groups: readonly DirectoryGroup[];
}

/** The spec and the directory disagree in a way that must stop the run (never read as "no members"). */
export class ResolutionError extends Error {
  readonly brand = "keyfleet.ResolutionError";
  static isInstance(e: unknown): e is ResolutionError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.ResolutionError"
    );
  }
}

/**
 * Expands the spec against the directory. Merge rule for a person both named in the spec and in a group:
 * group slots are added to the person's own slots; a slot of the person's own with the same name as a
 * group slot replaces it; `groupKeys: exclude` drops every group slot for that person; the person's
 * `leaving` applies to all their slots. Ordered by id.
 */
export function desiredAssignments(
  spec: Spec,
  directory: Directory,
  opts: { formerUpns?: ReadonlyMap<string, string> } = {},
): DesiredAssignment[] {
  const byId = new Map(directory.people.map((p) => [p.id.toLowerCase(), p]));
  const byUpn = new Map(directory.people.map((p) => [p.userPrincipalName.toLowerCase(), p]));
  const profiles = new Map(spec.profiles.map((p) => [p.name, p]));
  const profile = (name: string) => {
    const p = profiles.get(name);
    if (!p) throw new ResolutionError(`unknown profile '${name}'`);
    return p;
  };

  const out: DesiredAssignment[] = [];
  const specPersonById = new Map<string, PersonSpec>();
  for (const person of spec.people) {
    const upnWritten = person.userPrincipalName?.toLowerCase();
    let found = person.objectId ? byId.get(person.objectId) : byUpn.get(upnWritten ?? "");
    let staleUpn: string | undefined;
    if (person.objectId && upnWritten) {
      // Both written: they must name one person. A UPN that names someone else is a mistake to refuse, never
      // a reason to provision the object id's person silently.
      const byName = byUpn.get(upnWritten);
      if (found && byName && byName.id.toLowerCase() !== found.id.toLowerCase()) {
        throw new ResolutionError(
          `${person.source.file}:${person.source.line}: userPrincipalName '${upnWritten}' is ${byName.id.toLowerCase()} in the directory, but objectId ${person.objectId} is '${found.userPrincipalName.toLowerCase()}': they name two different people`,
        );
      }
      if (found && found.userPrincipalName.toLowerCase() !== upnWritten) staleUpn = upnWritten;
    }
    if (!found && !person.objectId && upnWritten) {
      const former = opts.formerUpns?.get(upnWritten);
      const renamed = former === undefined ? undefined : byId.get(former);
      if (renamed && !byUpn.has(upnWritten)) {
        found = renamed;
        staleUpn = upnWritten;
      }
    }
    const personId = found?.id.toLowerCase();
    if (personId) {
      const other = specPersonById.get(personId);
      if (other) {
        throw new ResolutionError(
          `${describe(person)} and ${describe(other)} are the same person in the directory (${personId})`,
        );
      }
      specPersonById.set(personId, person);
    }
    const upn = found?.userPrincipalName.toLowerCase() ?? person.userPrincipalName;
    for (const slot of person.slots) {
      out.push({
        id: personId
          ? assignmentId(personId, slot.name)
          : `unresolved:${person.userPrincipalName ?? person.objectId}/${slot.name}`,
        personId,
        userPrincipalName: upn,
        slot: slot.name,
        profile: profile(slot.profile),
        state: slot.state,
        since: slot.since,
        adopt: slot.adopt,
        serial: slot.serial,
        leaving: person.leaving,
        group: undefined,
        source: slot.source,
        staleUpn,
      });
    }
  }

  for (const group of spec.groups) {
    const members = [
      ...new Set(resolveGroup(group, directory.groups).members.map((m) => m.toLowerCase())),
    ].sort();
    for (const memberId of members) {
      const member = byId.get(memberId);
      if (!member) {
        throw new ResolutionError(
          `group '${group.name}' has member ${memberId}, who is missing from the actual state's people`,
        );
      }
      const own = specPersonById.get(memberId);
      if (own?.groupKeys === "exclude") continue;
      for (let n = 1; n <= group.keys; n++) {
        const slot = groupSlotName(group.name, n);
        if (own?.slots.some((s) => s.name === slot)) continue;
        out.push({
          id: assignmentId(memberId, slot),
          personId: memberId,
          userPrincipalName: member.userPrincipalName.toLowerCase(),
          slot,
          profile: profile(group.profile),
          state: "active",
          since: undefined,
          adopt: undefined,
          serial: undefined,
          leaving: own?.leaving,
          group: group.name,
          source: group.source,
        });
      }
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Finds the directory group a GroupAssignment names; a missing or ambiguous group stops the run. */
export function resolveGroup(group: GroupAssignment, groups: readonly DirectoryGroup[]): DirectoryGroup {
  const ref = group.group;
  const matches =
    "objectId" in ref
      ? groups.filter((g) => g.id.toLowerCase() === ref.objectId)
      : groups.filter((g) => g.displayName === ref.displayName);
  const label = "objectId" in ref ? ref.objectId : `'${ref.displayName}'`;
  if (matches.length === 0) {
    throw new ResolutionError(`group ${label} (assignment '${group.name}') is missing from the actual state`);
  }
  if (matches.length > 1) {
    throw new ResolutionError(
      `group ${label} (assignment '${group.name}') matches ${matches.length} groups: name it by objectId`,
    );
  }
  return matches[0] as DirectoryGroup;
}

function describe(p: PersonSpec): string {
  return `${p.userPrincipalName ?? p.objectId} (${p.source.file}:${p.source.line})`;
}
