// The decision for one desired key: what to do so that Entra holds the key a (person, slot) asks for. The
// plan makes it for every assignment; the KeyAssignment provider executes the plan's decision and, before it
// acts, makes it again on its own fresh read with this same function, refusing when the two differ (Entra or
// the store moved under the run). Pure.
import type { Action, RevokeAction } from "./actions.js";
import type { DirectoryPerson, Fido2Method, TaskFact } from "./actual.js";
import { type AdoptRule, chooseAdoption, dayOf, type FitProfile, isLostCredential, misfit } from "./fit.js";

/** An assignment as the decision needs it: what both the spec's assignment and a resource's inputs give. */
export interface KeyAssignmentView {
  readonly id: string;
  readonly personId: string;
  readonly userPrincipalName: string;
  readonly slot: string;
  readonly profile: FitProfile & { readonly name: string };
  readonly state: "active" | "lost" | "retired";
  /** YYYY-MM-DD: the lost or retired day. */
  readonly since: string | undefined;
  readonly adopt: AdoptRule | undefined;
  readonly serial: string | undefined;
  readonly leaving: string | undefined;
  /** The name the key is registered under (core/plan/keyName.ts). */
  readonly displayName: string;
  /** profileKey of the profile a task raised today would carry; a pending task raised with another is stale. */
  readonly profileKey?: string | undefined;
}

export interface KeyFacts {
  readonly assignment: KeyAssignmentView;
  /** This assignment's tasks, one per generation. */
  readonly tasks: readonly TaskFact[];
  /** The person's passkeys as Entra lists them. */
  readonly methods: readonly Fido2Method[];
  /** Method ids another assignment manages or adopts: never this slot's to take. */
  readonly taken: ReadonlySet<string>;
  /** YYYY-MM-DD (UTC). */
  readonly today: string;
}

export const OPEN_TASK_STATES: ReadonlySet<string> = new Set(["pending", "claimed", "registering"]);

/** Credentials this assignment's done tasks registered (or adopted) that Entra still lists, oldest first. */
export function heldCredentials(
  tasks: readonly TaskFact[],
  methods: readonly Fido2Method[],
): { task: TaskFact; method: Fido2Method }[] {
  const out: { task: TaskFact; method: Fido2Method }[] = [];
  for (const task of byGeneration(tasks)) {
    if (task.state !== "done" || task.methodId === undefined) continue;
    // A person holds a handful of passkeys: a scan, no Map per decision. The last of equal ids wins.
    for (let i = methods.length - 1; i >= 0; i--) {
      const method = methods[i] as Fido2Method;
      if (method.id === task.methodId) {
        out.push({ task, method });
        break;
      }
    }
  }
  return out;
}

/** Tasks in generation order (stable); most assignments have one task or none, and are returned as given. */
function byGeneration(tasks: readonly TaskFact[]): readonly TaskFact[] {
  return tasks.length <= 1 ? tasks : [...tasks].sort((x, y) => x.generation - y.generation);
}

export function openGenerations(tasks: readonly TaskFact[]): number[] {
  return tasks.filter((t) => OPEN_TASK_STATES.has(t.state)).map((t) => t.generation);
}

/**
 * The actions for one desired key: credential-scope ones (a lost key revoked at once, retiring keys whose
 * replacement is active) first, then exactly one key-scope action.
 */
export function decideKey(f: KeyFacts): Action[] {
  const a = f.assignment;
  // The four fields every action starts with are written out in each literal: `{ ...base, more }` takes
  // V8's slow path (new hidden classes per object, tens of microseconds each at 100,000 keys).
  const { id: assignmentId, personId, userPrincipalName, slot } = a;
  const tasks = byGeneration(f.tasks);
  const latest = tasks[tasks.length - 1];
  const nextGeneration = (latest?.generation ?? 0) + 1;
  const open = latest && OPEN_TASK_STATES.has(latest.state) ? latest : undefined;
  const held = heldCredentials(tasks, f.methods);
  const out: Action[] = [];

  // A task whose row or result failed verification holds the key: nothing is raised, kept or revoked on its
  // word until a person has looked (the plan reports it as unresolved).
  const refused = tasks.find((t) => t.quarantined !== undefined);
  if (refused) {
    out.push({
      assignmentId,
      personId,
      userPrincipalName,
      slot,
      kind: "unresolved",
      scope: "key",
      profile: a.profile.name,
      reason: `task g${refused.generation} is quarantined: ${refused.quarantined}`,
    });
    return out;
  }

  const leftOn = a.leaving !== undefined && f.today > a.leaving ? a.leaving : undefined;
  if (a.state === "retired" || leftOn !== undefined) {
    const cause = a.state === "retired" ? "retired" : "leaving";
    const why = cause === "retired" ? "slot retired" : `left on ${leftOn}`;
    const cancelGenerations = openGenerations(tasks);
    if (held.length > 0) {
      out.push({
        assignmentId,
        personId,
        userPrincipalName,
        slot,
        kind: "revoke",
        scope: "key",
        cause,
        methodIds: held.map((h) => h.method.id),
        cancelGenerations,
        reason: `${why}: revoke ${held.length} credential${held.length === 1 ? "" : "s"}`,
      });
    } else {
      out.push({
        assignmentId,
        personId,
        userPrincipalName,
        slot,
        kind: "gone",
        scope: "key",
        cause,
        cancelGenerations,
        reason: `${why}; nothing registered${cancelGenerations.length > 0 ? `; cancel ${cancelGenerations.map((g) => `g${g}`).join(", ")}` : ""}`,
      });
    }
    return out;
  }

  const lostSince = a.state === "lost" ? a.since : undefined;
  const lost = held.filter((h) => isLostCredential(h.method.createdDateTime, lostSince));
  if (lost.length > 0) {
    const revoke: RevokeAction = {
      assignmentId,
      personId,
      userPrincipalName,
      slot,
      kind: "revoke",
      scope: "credential",
      cause: "lost",
      methodIds: lost.map((h) => h.method.id),
      cancelGenerations: [],
      reason: `key reported lost on ${lostSince}`,
    };
    out.push(revoke);
  }
  const remaining = held.filter((h) => !lost.includes(h));
  const current = remaining[remaining.length - 1];
  if (current) {
    for (const r of remaining.slice(0, -1)) {
      out.push({
        assignmentId,
        personId,
        userPrincipalName,
        slot,
        kind: "revoke-retired",
        scope: "credential",
        methodId: r.method.id,
        replacedBy: current.method.id,
        reason: `replacement ${current.method.id} is active`,
      });
    }
  }

  // An adopt slot whose fitting credential appeared while its task waits takes it over now (the task is
  // cancelled): otherwise the slot would wait for a station while the person already holds a fitting key.
  // A task a station has claimed is not taken away mid-ceremony: only a pending one gives way.
  const candidate =
    !current && a.adopt && (!open || open.state === "pending")
      ? chooseAdoption(f.methods, a.profile, a.adopt, { taken: f.taken, lostSince })
      : undefined;
  if (candidate) {
    out.push({
      assignmentId,
      personId,
      userPrincipalName,
      slot,
      kind: "adopt",
      scope: "key",
      profile: a.profile.name,
      generation: nextGeneration,
      methodId: candidate.id,
      aaGuid: candidate.aaGuid,
      cancelGenerations: openGenerations(tasks),
      reason: `takes over ${describeMethod(candidate)} registered ${dayOf(candidate.createdDateTime)}`,
    });
    return out;
  }

  // A pending task raised under other settings (PIN policy, profile, display name) is superseded by the next
  // generation; one a station has claimed is left to finish.
  if (
    open &&
    open.state === "pending" &&
    a.profileKey !== undefined &&
    open.profileKey !== undefined &&
    open.profileKey !== a.profileKey
  ) {
    out.push({
      assignmentId,
      personId,
      userPrincipalName,
      slot,
      kind: "provision",
      scope: "key",
      profile: a.profile.name,
      generation: nextGeneration,
      displayName: a.displayName,
      serial: a.serial,
      supersedes: [open.generation],
      reason: `task g${open.generation} was raised with older settings; superseded`,
    });
    return out;
  }
  if (open) {
    out.push({
      assignmentId,
      personId,
      userPrincipalName,
      slot,
      kind: "wait",
      scope: "key",
      profile: a.profile.name,
      generation: open.generation,
      taskState: open.state as "pending" | "claimed" | "registering",
      reason: `task g${open.generation} is ${open.state}`,
    });
    return out;
  }
  if (current) {
    const key = {
      aaGuid: current.method.aaGuid,
      model: current.method.model,
      credProtect: current.task.credProtect,
    };
    const why = misfit(key, a.profile);
    if (why === undefined) {
      out.push({
        assignmentId,
        personId,
        userPrincipalName,
        slot,
        kind: "keep",
        scope: "key",
        methodId: current.method.id,
        reason: current.task.adopted ? "adopted, and fits the profile" : "registered and fits the profile",
      });
    } else {
      out.push({
        assignmentId,
        personId,
        userPrincipalName,
        slot,
        kind: "replace",
        scope: "key",
        profile: a.profile.name,
        generation: nextGeneration,
        displayName: a.displayName,
        retiringMethodId: current.method.id,
        reason: `${describeMethod(current.method)} ${why}`,
      });
    }
    return out;
  }
  out.push({
    assignmentId,
    personId,
    userPrincipalName,
    slot,
    kind: "provision",
    scope: "key",
    profile: a.profile.name,
    generation: nextGeneration,
    displayName: a.displayName,
    serial: a.serial,
    supersedes: [],
    reason: provisionReason(a, latest, lost.length > 0, held.length, tasks),
  });
  return out;
}

/** The methods a person's tasks manage (done, with a method id), by assignment. */
export function managedMethodIds(tasks: readonly TaskFact[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tasks) if (t.state === "done" && t.methodId) out.set(t.methodId, t.assignmentId);
  return out;
}

function provisionReason(
  a: KeyAssignmentView,
  latest: TaskFact | undefined,
  lost: boolean,
  held: number,
  tasks: readonly TaskFact[],
): string {
  if (lost) return `replacement for the key lost on ${a.since}`;
  if (latest?.state === "failed") return `task g${latest.generation} failed; raise a new one`;
  if (latest?.state === "cancelled") return `task g${latest.generation} was cancelled; raise a new one`;
  if (held === 0 && tasks.some((t) => t.state === "done"))
    return "the registered credential is no longer in Entra";
  if (a.adopt) return "nothing fitting to adopt; new key";
  return "new key";
}

export function describeMethod(m: Pick<Fido2Method, "id" | "model" | "aaGuid">): string {
  return `${m.model ?? m.aaGuid} (${m.id})`;
}

/** The person a view's facts come from, when the directory knows them. */
export type PersonLookup = (objectId: string) => DirectoryPerson | undefined;
