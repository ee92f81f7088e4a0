// Checks that span documents and files (references, duplicates, inventory use), then assembles the
// frozen Spec, ordered by content.
import type { SpecDraft } from "./build.js";
import type { SourceText, SpecIssue } from "./issues.js";
import { DEFAULT_POLICY, type KeyProfile, type PersonSpec, type SourceRef, type Spec } from "./model.js";

/** Issues are raised through the file's SourceText so each one carries its excerpt. */
export type IssueAt = (ref: SourceRef, message: string) => SpecIssue;

export function issueFactory(sources: ReadonlyMap<string, SourceText>): IssueAt {
  return (ref, message) => {
    const src = sources.get(ref.file);
    return src ? src.issueAt(ref, message) : { ...ref, message, excerpt: "" };
  };
}

const where = (r: SourceRef) => `${r.file}:${r.line}:${r.col}`;

export function checkSpec(draft: SpecDraft, issueAt: IssueAt, issues: SpecIssue[]): void {
  const problem = (ref: SourceRef, message: string) => issues.push(issueAt(ref, message));

  const profiles = new Map<string, KeyProfile>();
  for (const { profile, nameRef } of sortedBySource(draft.profiles, (p) => p.nameRef)) {
    const first = profiles.get(profile.name);
    if (first) problem(nameRef, `profile '${profile.name}' is already defined at ${where(first.source)}`);
    else profiles.set(profile.name, profile);
  }
  const knownProfiles = () => [...profiles.keys()].sort().join(", ") || "none defined";
  const checkProfile = (name: string, ref: SourceRef): KeyProfile | undefined => {
    const p = profiles.get(name);
    if (!p && !draft.brokenProfiles.has(name))
      problem(ref, `unknown profile '${name}' (profiles: ${knownProfiles()})`);
    return p;
  };

  const policies = sortedBySource(draft.policies, (p) => p.source ?? { file: "", line: 0, col: 0 });
  for (const p of policies.slice(1)) {
    problem(p.source!, `only one Policy is allowed; the first is at ${where(policies[0]!.source!)}`);
  }

  const groupNames = new Map<string, SourceRef>();
  for (const { group, nameRef, profileRef } of sortedBySource(draft.groups, (g) => g.nameRef)) {
    const first = groupNames.get(group.name);
    if (first) problem(nameRef, `group assignment '${group.name}' is already defined at ${where(first)}`);
    else groupNames.set(group.name, nameRef);
    checkProfile(group.profile, profileRef);
  }

  const inventory = new Map<string, (typeof draft.inventory)[number]>();
  for (const item of sortedBySource(draft.inventory, (k) => k.serialRef)) {
    const first = inventory.get(item.key.serial);
    if (first)
      problem(
        item.serialRef,
        `serial ${item.key.serial} is already in the inventory at ${where(first.serialRef)}`,
      );
    else inventory.set(item.key.serial, item);
  }

  const byUpn = new Map<string, SourceRef>();
  const byId = new Map<string, SourceRef>();
  const serialUse = new Map<string, SourceRef>();
  for (const p of sortedBySource(draft.people, (d) => d.person.source)) {
    const { person } = p;
    if (person.userPrincipalName !== undefined && p.upnRef) {
      const first = byUpn.get(person.userPrincipalName);
      if (first) problem(p.upnRef, `${person.userPrincipalName} is already listed at ${where(first)}`);
      else byUpn.set(person.userPrincipalName, p.upnRef);
    }
    if (person.objectId !== undefined && p.objectIdRef) {
      const first = byId.get(person.objectId);
      if (first) problem(p.objectIdRef, `objectId ${person.objectId} is already listed at ${where(first)}`);
      else byId.set(person.objectId, p.objectIdRef);
    }
    if (p.keysProfile) checkProfile(p.keysProfile.name, p.keysProfile.ref);
    for (const s of p.keysProfile ? [] : sortedBySource(p.slots, (x) => x.slot.source)) {
      const profile = checkProfile(s.slot.profile, s.profileRef);
      if (profile && s.slot.adopt && s.adoptAaguidsRef && profile.aaguids.length > 0) {
        const outside = s.slot.adopt.aaguids.filter((a) => !profile.aaguids.includes(a));
        if (outside.length > 0) {
          problem(
            s.adoptAaguidsRef,
            `adopt lists ${outside.join(", ")}, which profile '${profile.name}' does not allow`,
          );
        }
      }
      if (s.slot.serial !== undefined && s.serialRef) {
        checkSerial(s.slot.serial, s.serialRef, person, profile);
      }
    }
  }

  // A key the inventory hands to someone must go to a person the specs name, by UPN or object id.
  for (const item of sortedBySource(draft.inventory, (k) => k.serialRef)) {
    const holder = item.key.assignedTo;
    if (holder === undefined || !item.assignedToRef || byUpn.has(holder) || byId.has(holder)) continue;
    problem(
      item.assignedToRef,
      `serial ${item.key.serial} is assigned to ${holder}, who is not a person in the specs (name them in a Person or People entry by this userPrincipalName or objectId)`,
    );
  }

  function checkSerial(serial: string, ref: SourceRef, person: PersonSpec, profile: KeyProfile | undefined) {
    const first = serialUse.get(serial);
    if (first) {
      problem(ref, `serial ${serial} is already given to the slot at ${where(first)}`);
      return;
    }
    serialUse.set(serial, ref);
    const item = inventory.get(serial);
    if (!item) {
      if (!draft.brokenSerials.has(serial)) problem(ref, `serial ${serial} is not in the inventory`);
      return;
    }
    const holder = item.key.assignedTo;
    if (holder !== undefined && holder !== person.userPrincipalName && holder !== person.objectId) {
      problem(ref, `serial ${serial} is assigned to ${holder} in the inventory (${where(item.serialRef)})`);
    }
    if (profile && profile.aaguids.length > 0 && !profile.aaguids.includes(item.key.aaguid)) {
      problem(
        ref,
        `serial ${serial} is a ${item.key.aaguid} key, which profile '${profile.name}' does not allow`,
      );
    }
  }
}

/** The frozen Spec: every list ordered by content, so file names and order never matter. */
export function assembleSpec(draft: SpecDraft): Spec {
  const by =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) => {
      const ka = key(a);
      const kb = key(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    };
  const spec: Spec = {
    profiles: draft.profiles.map((p) => p.profile).sort(by((p) => p.name)),
    people: draft.people
      .map((p) => p.person)
      .sort(by((p) => `${p.objectId ?? "~"}\u0000${p.userPrincipalName ?? ""}`)),
    groups: draft.groups.map((g) => g.group).sort(by((g) => g.name)),
    inventory: draft.inventory.map((k) => k.key).sort(by((k) => k.serial)),
    policy:
      draft.policies.length > 0
        ? sortedBySource(draft.policies, (p) => p.source ?? zero)[0]!
        : DEFAULT_POLICY,
  };
  return deepFreeze(spec);
}

const zero: SourceRef = { file: "", line: 0, col: 0 };

/** Duplicates are reported at the later occurrence in path order, whatever order files were read in. */
function sortedBySource<T>(items: readonly T[], ref: (t: T) => SourceRef): T[] {
  return [...items].sort((a, b) => {
    const ra = ref(a);
    const rb = ref(b);
    return (ra.file < rb.file ? -1 : ra.file > rb.file ? 1 : 0) || ra.line - rb.line || ra.col - rb.col;
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // No Object.values: at 100,000 people the arrays it allocates cost more than the freezing.
    if (Array.isArray(value)) for (const v of value) deepFreeze(v);
    else for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}
