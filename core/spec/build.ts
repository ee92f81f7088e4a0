// Turns one valid document into model entities, with the positions later checks point at, and runs
// the checks that need only that document (dates, slot states, templates, policy rules).
import { templateProblems } from "./displayName.js";
import type { SourceText, SpecIssue } from "./issues.js";
import { locate, type PathSegment, type SpecNode } from "./locate.js";
import {
  type AdoptCriteria,
  type CredProtectLevel,
  DEFAULT_CRED_PROTECT,
  DEFAULT_DISPLAY_NAME,
  DEFAULT_PIN,
  type GroupAssignment,
  type InventoryKey,
  type KeyProfile,
  type PersonSpec,
  type Policy,
  type Slot,
  type SourceRef,
} from "./model.js";
import type {
  DocumentKind,
  GroupAssignmentDoc,
  InventoryDoc,
  KeyProfileDoc,
  PeopleDoc,
  PersonEntryDoc,
  PolicyDoc,
  SlotDoc,
} from "./schema.js";

/** A reference to a profile by name, and where it was written. */
export interface ProfileUse {
  readonly name: string;
  readonly ref: SourceRef;
}

export interface SlotDraft {
  readonly slot: Slot;
  readonly profileRef: SourceRef;
  readonly serialRef: SourceRef | undefined;
  readonly adoptAaguidsRef: SourceRef | undefined;
}

export interface PersonDraft {
  readonly person: PersonSpec;
  readonly upnRef: SourceRef | undefined;
  readonly objectIdRef: SourceRef | undefined;
  readonly slots: readonly SlotDraft[];
  /** `keys: N` with `profile`, expanded into slots key-1…key-N. */
  readonly keysProfile: ProfileUse | undefined;
}

/** Everything read from the documents, before cross-document checks. */
export interface SpecDraft {
  readonly profiles: { profile: KeyProfile; nameRef: SourceRef }[];
  readonly people: PersonDraft[];
  readonly groups: { group: GroupAssignment; nameRef: SourceRef; profileRef: SourceRef }[];
  readonly inventory: { key: InventoryKey; serialRef: SourceRef; assignedToRef: SourceRef | undefined }[];
  readonly policies: Policy[];
  /**
   * Names of profiles whose document failed its schema, and serials of inventory documents that did:
   * their own errors are reported, so references to them do not add a cascade of "unknown" ones.
   */
  readonly brokenProfiles: Set<string>;
  readonly brokenSerials: Set<string>;
}

export function emptyDraft(): SpecDraft {
  return {
    profiles: [],
    people: [],
    groups: [],
    inventory: [],
    policies: [],
    brokenProfiles: new Set(),
    brokenSerials: new Set(),
  };
}

/** Adds one file's draft to the whole set's. */
export function mergeDraft(into: SpecDraft, from: SpecDraft): void {
  for (const p of from.profiles) into.profiles.push(p);
  for (const p of from.people) into.people.push(p);
  for (const g of from.groups) into.groups.push(g);
  for (const k of from.inventory) into.inventory.push(k);
  for (const p of from.policies) into.policies.push(p);
  for (const n of from.brokenProfiles) into.brokenProfiles.add(n);
  for (const s of from.brokenSerials) into.brokenSerials.add(s);
}

/** Remembers what a document that failed its schema would have defined (see SpecDraft). */
export function noteBrokenDocument(value: unknown, draft: SpecDraft): void {
  if (typeof value !== "object" || value === null) return;
  const d = value as { kind?: unknown; name?: unknown; keys?: unknown };
  if (d.kind === "KeyProfile" && typeof d.name === "string") draft.brokenProfiles.add(d.name);
  if (d.kind === "Inventory" && Array.isArray(d.keys)) {
    for (const k of d.keys) {
      const serial = (k as { serial?: unknown } | null)?.serial;
      if (typeof serial === "string") draft.brokenSerials.add(serial);
    }
  }
}

const CRED_PROTECT: Record<string, CredProtectLevel> = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
};

/** Reads one document already valid against its kind's schema into the draft. */
export function buildDocument(
  kind: DocumentKind,
  value: unknown,
  root: SpecNode,
  source: SourceText,
  docOffset: number,
  draft: SpecDraft,
  issues: SpecIssue[],
): void {
  const at = (path: PathSegment[], key = false): SourceRef => {
    const loc = locate(root, path, docOffset);
    return source.ref(key && loc.keyOffset !== undefined ? loc.keyOffset : loc.offset);
  };
  const problem = (ref: SourceRef, message: string) => issues.push(source.issueAt(ref, message));
  const checkDay = (day: string | undefined, path: PathSegment[]) => {
    if (day !== undefined && !isCalendarDay(day)) problem(at(path), `${day} is not a calendar date`);
  };

  switch (kind) {
    case "KeyProfile": {
      const d = value as KeyProfileDoc;
      const aaguids = (d.aaguids ?? []).map((a) => a.toLowerCase());
      const models = d.models ?? [];
      const nameRef = at(["name"]);
      if (aaguids.length === 0 && models.length === 0) {
        problem(nameRef, `profile '${d.name}' allows no key: give aaguids or models`);
      }
      reportRepeats(aaguids, (i) => at(["aaguids", i]), "AAGUID", problem);
      const displayName = d.displayName ?? DEFAULT_DISPLAY_NAME;
      for (const p of templateProblems(displayName)) problem(at(["displayName"]), `displayName ${p}`);
      const credProtect =
        d.credProtect === undefined
          ? DEFAULT_CRED_PROTECT
          : typeof d.credProtect === "number"
            ? (d.credProtect as CredProtectLevel)
            : (CRED_PROTECT[d.credProtect] ?? DEFAULT_CRED_PROTECT);
      draft.profiles.push({
        nameRef,
        profile: {
          name: d.name,
          description: d.description,
          aaguids,
          models,
          pin: {
            length: d.pin?.length ?? DEFAULT_PIN.length,
            forceChange: d.pin?.forceChange ?? DEFAULT_PIN.forceChange,
          },
          credProtect,
          displayName,
          source: at([]),
        },
      });
      return;
    }
    case "Person":
      buildPerson(value as PersonEntryDoc, [], at, problem, checkDay, draft);
      return;
    case "People": {
      const d = value as PeopleDoc;
      d.people.forEach((p, i) => {
        buildPerson(p, ["people", i], at, problem, checkDay, draft);
      });
      return;
    }
    case "GroupAssignment": {
      const d = value as GroupAssignmentDoc;
      const group =
        "objectId" in d.group
          ? { objectId: d.group.objectId.toLowerCase() }
          : { displayName: d.group.displayName };
      draft.groups.push({
        nameRef: at(["name"]),
        profileRef: at(["profile"]),
        group: { name: d.name, group, profile: d.profile, keys: d.keys, source: at([]) },
      });
      return;
    }
    case "Inventory": {
      const d = value as InventoryDoc;
      d.keys.forEach((k, i) => {
        const assignedTo = k.assignedTo === undefined ? undefined : k.assignedTo.toLowerCase();
        draft.inventory.push({
          serialRef: at(["keys", i, "serial"]),
          assignedToRef: assignedTo === undefined ? undefined : at(["keys", i, "assignedTo"]),
          key: {
            serial: k.serial,
            aaguid: k.aaguid.toLowerCase(),
            model: k.model,
            assignedTo,
            source: at(["keys", i]),
          },
        });
      });
      return;
    }
    case "Policy": {
      const d = value as PolicyDoc;
      const action = d.unmanaged?.action ?? "report";
      const aaguids = (d.unmanaged?.aaguids ?? []).map((a) => a.toLowerCase());
      if (action === "remove" && aaguids.length === 0) {
        problem(
          at(["unmanaged", "action"]),
          "unmanaged action remove needs an aaguids list: it only ever removes credentials of the AAGUIDs named",
        );
      }
      reportRepeats(aaguids, (i) => at(["unmanaged", "aaguids", i]), "AAGUID", problem);
      draft.policies.push({
        unmanaged: { action, aaguids },
        maxRevokeShare: d.maxRevokeShare ?? 0.1,
        challenge:
          d.challenge?.mode === "beta"
            ? { mode: "beta", minutes: d.challenge.minutes }
            : { mode: "v1", minutes: 5 },
        source: at([]),
      });
      return;
    }
  }
}

function buildPerson(
  d: PersonEntryDoc,
  base: PathSegment[],
  at: (path: PathSegment[], key?: boolean) => SourceRef,
  problem: (ref: SourceRef, message: string) => void,
  checkDay: (day: string | undefined, path: PathSegment[]) => void,
  draft: SpecDraft,
): void {
  const here = at(base);
  const who = d.userPrincipalName ?? d.objectId ?? d.displayName ?? "person";
  if (d.userPrincipalName === undefined && d.objectId === undefined) {
    problem(here, `${who === "person" ? "a person" : `'${who}'`} needs a userPrincipalName or an objectId`);
  }
  checkDay(d.leaving, [...base, "leaving"]);
  const hasSlots = d.slots !== undefined && Object.keys(d.slots).length > 0;
  if (d.slots !== undefined && d.keys !== undefined) {
    problem(at([...base, "keys"], true), `'${who}' has both slots and keys: use one of them`);
  }
  if (d.keys !== undefined && d.profile === undefined) {
    problem(at([...base, "keys"], true), `'${who}': keys needs a profile`);
  }
  if (d.profile !== undefined && d.keys === undefined) {
    problem(
      at([...base, "profile"], true),
      `'${who}': profile applies only with keys (slots name their own profile)`,
    );
  }
  if (!hasSlots && d.keys === undefined && d.leaving === undefined && d.groupKeys !== "exclude") {
    problem(here, `'${who}' asks for no key: give slots or keys (or leaving, or groupKeys: exclude)`);
  }
  const slots: SlotDraft[] = [];
  for (const [name, s] of Object.entries(d.slots ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const draftSlot = buildSlot(name, s, [...base, "slots", name], at, problem, checkDay);
    if (draftSlot) slots.push(draftSlot);
  }
  let keysProfile: ProfileUse | undefined;
  if (d.keys !== undefined && d.profile !== undefined && d.slots === undefined) {
    keysProfile = { name: d.profile, ref: at([...base, "profile"]) };
    const keysRef = at([...base, "keys"]);
    for (let i = 1; i <= d.keys; i++) {
      slots.push({
        profileRef: keysProfile.ref,
        serialRef: undefined,
        adoptAaguidsRef: undefined,
        slot: {
          name: `key-${i}`,
          profile: d.profile,
          state: "active",
          since: undefined,
          adopt: undefined,
          serial: undefined,
          source: keysRef,
        },
      });
    }
  }
  draft.people.push({
    upnRef: d.userPrincipalName === undefined ? undefined : at([...base, "userPrincipalName"]),
    objectIdRef: d.objectId === undefined ? undefined : at([...base, "objectId"]),
    slots,
    keysProfile,
    person: {
      userPrincipalName: d.userPrincipalName?.toLowerCase(),
      objectId: d.objectId?.toLowerCase(),
      displayName: d.displayName,
      leaving: d.leaving,
      groupKeys: d.groupKeys ?? "include",
      slots: slots.map((s) => s.slot),
      source: here,
    },
  });
}

function buildSlot(
  name: string,
  s: SlotDoc,
  path: PathSegment[],
  at: (path: PathSegment[], key?: boolean) => SourceRef,
  problem: (ref: SourceRef, message: string) => void,
  checkDay: (day: string | undefined, path: PathSegment[]) => void,
): SlotDraft | undefined {
  const state = s.state ?? "active";
  const keyRef = at(path, true);
  if (state === "lost" && s.since === undefined) {
    problem(keyRef, `slot '${name}' is lost: add since: YYYY-MM-DD (the day it was reported lost)`);
  }
  if (state === "active" && s.since !== undefined) {
    problem(at([...path, "since"], true), `slot '${name}': since applies only to lost or retired slots`);
  }
  checkDay(s.since, [...path, "since"]);
  let adopt: AdoptCriteria | undefined;
  if (s.adopt !== undefined && s.adopt !== false) {
    if (state !== "active") {
      problem(at([...path, "adopt"], true), `slot '${name}' is ${state}: it cannot also adopt a credential`);
    }
    const c = s.adopt === true ? {} : s.adopt;
    checkDay(c.createdBefore, [...path, "adopt", "createdBefore"]);
    adopt = {
      aaguids: (c.aaguids ?? []).map((a) => a.toLowerCase()),
      displayNameContains: c.displayNameContains,
      createdBefore: c.createdBefore,
    };
  }
  return {
    profileRef: at([...path, "profile"]),
    serialRef: s.serial === undefined ? undefined : at([...path, "serial"]),
    adoptAaguidsRef:
      typeof s.adopt === "object" && s.adopt.aaguids !== undefined
        ? at([...path, "adopt", "aaguids"])
        : undefined,
    slot: {
      name,
      profile: s.profile,
      state,
      since: s.since,
      adopt,
      serial: s.serial,
      source: keyRef,
    },
  };
}

function reportRepeats(
  values: readonly string[],
  refOf: (i: number) => SourceRef,
  what: string,
  problem: (ref: SourceRef, message: string) => void,
): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) problem(refOf(i), `${what} ${v} is listed twice`);
    seen.add(v);
  });
}

/** A YYYY-MM-DD string naming a real day (not 2025-02-30). */
export function isCalendarDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
