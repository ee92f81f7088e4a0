// plan(desired, actual, options): what to do so that Entra holds the keys the spec asks for. Pure: the
// same inputs always give the same actions in the same order.
import { type DesiredAssignment, desiredAssignments, parseAssignmentId } from "../assignment.js";
import { renderDisplayName } from "../spec/displayName.js";
import type { KeyProfile, Spec } from "../spec/model.js";
import type { Action, ActionKind, RevokeAction } from "./actions.js";
import { ACTION_KINDS, WORK_KINDS } from "./actions.js";
import type { ActualState, DirectoryPerson, Fido2Method, TaskFact } from "./actual.js";

export interface PlanOptions {
  /** Today, YYYY-MM-DD (UTC): leaving dates and lost/adopt days compare against it. */
  readonly today: string;
  /** Let a plan revoke more than the policy's maxRevokeShare (an operator's explicit decision). */
  readonly allowMassRevoke?: boolean;
}

export interface PlanSummary {
  readonly counts: Readonly<Record<ActionKind, number>>;
  /** Desired keys (one key-scope action each). */
  readonly desiredKeys: number;
  /** Credentials Keyfleet registered that Entra still holds. */
  readonly managedKeys: number;
  /** Credentials this plan revokes (revoke and unmanaged-remove; a replacement's retiring key is not counted). */
  readonly revocations: number;
  readonly revokeShare: number;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly summary: PlanSummary;
  /** The plan must not be applied as it stands; `blockedReasons` say why. */
  readonly blocked: boolean;
  readonly blockedReasons: readonly string[];
  /** Something for the pipeline to do, or for a person to fix. */
  readonly hasWork: boolean;
}

const OPEN_STATES = new Set(["pending", "claimed", "registering"]);

/** Computes the plan. Throws ResolutionError when the directory cannot answer for the spec. */
export function plan(desired: Spec, actual: ActualState, options: PlanOptions): Plan {
  const { today } = options;
  const people = new Map(actual.people.map((p) => [p.id, p]));
  const tasksByAssignment = groupTasks(actual.tasks);
  const serials = new Map(desired.inventory.map((k) => [k.serial, k]));

  // Every credential a done task recorded, whichever assignment it belongs to.
  const managed = new Map<string, TaskFact>();
  for (const t of actual.tasks) if (t.state === "done" && t.methodId) managed.set(t.methodId, t);
  const managedPresent = actual.people.reduce(
    (n, p) => n + p.fido2Methods.filter((m) => managed.has(m.id)).length,
    0,
  );

  const assignments = desiredAssignments(desired, actual);
  const desiredIds = new Set(assignments.map((a) => a.id));
  const adopted = new Set<string>();
  const actions: Action[] = [];

  for (const a of assignments) {
    const base = {
      assignmentId: a.id,
      personId: a.personId,
      userPrincipalName: a.userPrincipalName,
      slot: a.slot,
    };
    const person = a.personId === undefined ? undefined : people.get(a.personId);
    if (!person) {
      actions.push({
        ...base,
        kind: "unresolved",
        scope: "key",
        profile: a.profile.name,
        reason: `${a.userPrincipalName ?? a.id} is not in the directory`,
      });
      continue;
    }
    const tasks = tasksByAssignment.get(a.id) ?? [];
    const latest = tasks[tasks.length - 1];
    const nextGeneration = (latest?.generation ?? 0) + 1;
    const open = latest && OPEN_STATES.has(latest.state) ? latest : undefined;
    const methodsById = new Map(person.fido2Methods.map((m) => [m.id, m]));
    // Credentials this assignment registered that Entra still holds, oldest generation first.
    const held = tasks
      .filter((t) => t.state === "done" && t.methodId !== undefined && methodsById.has(t.methodId))
      .map((t) => ({ task: t, method: methodsById.get(t.methodId as string) as Fido2Method }));

    const leftOn = a.leaving !== undefined && today > a.leaving ? a.leaving : undefined;
    if (a.state === "retired" || leftOn !== undefined) {
      const cause = a.state === "retired" ? "retired" : "leaving";
      const why = cause === "retired" ? "slot retired" : `left on ${leftOn}`;
      const cancelGenerations = openGenerations(tasks);
      if (held.length > 0) {
        actions.push({
          ...base,
          kind: "revoke",
          scope: "key",
          cause,
          methodIds: held.map((h) => h.method.id),
          cancelGenerations,
          reason: `${why}: revoke ${held.length} credential${held.length === 1 ? "" : "s"}`,
        });
      } else {
        actions.push({
          ...base,
          kind: "gone",
          scope: "key",
          cause,
          cancelGenerations,
          reason: `${why}; nothing registered${cancelGenerations.length > 0 ? `; cancel ${cancelGenerations.map((g) => `g${g}`).join(", ")}` : ""}`,
        });
      }
      continue;
    }

    const lost =
      a.state === "lost" && a.since !== undefined
        ? held.filter((h) => day(h.method.createdDateTime) < (a.since as string))
        : [];
    if (lost.length > 0) {
      actions.push({
        ...base,
        kind: "revoke",
        scope: "credential",
        cause: "lost",
        methodIds: lost.map((h) => h.method.id),
        cancelGenerations: [],
        reason: `key reported lost on ${a.since}`,
      });
    }
    const remaining = held.filter((h) => !lost.includes(h));
    const current = remaining[remaining.length - 1];
    const retiring = remaining.slice(0, -1);
    if (current) {
      for (const r of retiring) {
        actions.push({
          ...base,
          kind: "revoke-retired",
          scope: "credential",
          methodId: r.method.id,
          replacedBy: current.method.id,
          reason: `replacement ${current.method.id} is active`,
        });
      }
    }

    if (open) {
      actions.push({
        ...base,
        kind: "wait",
        scope: "key",
        profile: a.profile.name,
        generation: open.generation,
        taskState: open.state as "pending" | "claimed" | "registering",
        reason: `task g${open.generation} is ${open.state}`,
      });
      continue;
    }
    const displayName = renderName(a, serials);
    if (current) {
      if (fits(current.method, a.profile)) {
        actions.push({
          ...base,
          kind: "keep",
          scope: "key",
          methodId: current.method.id,
          reason: "registered and fits the profile",
        });
      } else {
        actions.push({
          ...base,
          kind: "replace",
          scope: "key",
          profile: a.profile.name,
          generation: nextGeneration,
          displayName,
          retiringMethodId: current.method.id,
          reason: `${describeMethod(current.method)} no longer fits profile '${a.profile.name}'`,
        });
      }
      continue;
    }
    const candidate = a.adopt ? adoptable(person, a, managed, adopted) : undefined;
    if (candidate) {
      adopted.add(candidate.id);
      actions.push({
        ...base,
        kind: "adopt",
        scope: "key",
        profile: a.profile.name,
        generation: nextGeneration,
        methodId: candidate.id,
        aaGuid: candidate.aaGuid,
        reason: `takes over ${describeMethod(candidate)} registered ${day(candidate.createdDateTime)}`,
      });
      continue;
    }
    actions.push({
      ...base,
      kind: "provision",
      scope: "key",
      profile: a.profile.name,
      generation: nextGeneration,
      displayName,
      serial: a.serial,
      reason: provisionReason(a, latest, lost.length > 0, held.length, tasks),
    });
  }

  // Credentials registered for assignments that are no longer desired.
  let orphanRevocations = 0;
  for (const [id, tasks] of [...tasksByAssignment].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (desiredIds.has(id)) continue;
    const parsed = parseAssignmentId(id);
    const person = parsed ? people.get(parsed.objectId) : undefined;
    if (!parsed || !person) continue;
    const present = new Set(person.fido2Methods.map((m) => m.id));
    const methodIds = tasks
      .filter((t) => t.state === "done" && t.methodId && present.has(t.methodId))
      .map((t) => t.methodId as string);
    const cancelGenerations = openGenerations(tasks);
    if (methodIds.length === 0 && cancelGenerations.length === 0) continue;
    orphanRevocations += methodIds.length;
    const action: RevokeAction = {
      assignmentId: id,
      personId: person.id,
      userPrincipalName: person.userPrincipalName.toLowerCase(),
      slot: parsed.slot,
      kind: "revoke",
      scope: "credential",
      cause: "removed",
      methodIds,
      cancelGenerations,
      reason: `assignment removed from the spec${methodIds.length === 0 ? "; cancel its open task" : ""}`,
    };
    actions.push(action);
  }

  // Credentials nobody registered through Keyfleet (and no slot adopts).
  const removable = new Set(
    desired.policy.unmanaged.action === "remove" ? desired.policy.unmanaged.aaguids : [],
  );
  for (const person of actual.people) {
    for (const m of person.fido2Methods) {
      if (managed.has(m.id) || adopted.has(m.id)) continue;
      const remove = removable.has(m.aaGuid);
      actions.push({
        assignmentId: undefined,
        personId: person.id,
        userPrincipalName: person.userPrincipalName.toLowerCase(),
        slot: undefined,
        kind: remove ? "unmanaged-remove" : "unmanaged-report",
        scope: "credential",
        methodId: m.id,
        aaGuid: m.aaGuid,
        model: m.model,
        displayName: m.displayName,
        reason: remove
          ? `not registered by Keyfleet; policy removes AAGUID ${m.aaGuid}`
          : `not registered by Keyfleet (${describeMethod(m)})`,
      });
    }
  }

  sortActions(actions);
  const counts = Object.fromEntries(ACTION_KINDS.map((k) => [k, 0])) as Record<ActionKind, number>;
  let revocations = 0;
  for (const a of actions) {
    counts[a.kind]++;
    if (a.kind === "revoke") revocations += a.methodIds.length;
    if (a.kind === "unmanaged-remove") revocations++;
  }
  const revokeShare = revocations === 0 ? 0 : revocations / Math.max(managedPresent, 1);
  const blockedReasons: string[] = [];
  if (revokeShare > desired.policy.maxRevokeShare && !options.allowMassRevoke) {
    blockedReasons.push(
      `would revoke ${revocations} of ${managedPresent} managed credentials (${percent(revokeShare)}), more than the policy's maxRevokeShare ${percent(desired.policy.maxRevokeShare)}`,
    );
  }
  if (counts.unresolved > 0 && orphanRevocations > 0) {
    // A person renamed in Entra but not yet in git looks both unresolved and removed: hold revocations.
    blockedReasons.push(
      `${counts.unresolved} key(s) name people the directory does not know, and ${orphanRevocations} credential(s) would be revoked as removed: fix the spec first`,
    );
  }
  return {
    actions,
    summary: {
      counts,
      desiredKeys: assignments.length,
      managedKeys: managedPresent,
      revocations,
      revokeShare,
    },
    blocked: blockedReasons.length > 0,
    blockedReasons,
    hasWork: actions.some((a) => WORK_KINDS.has(a.kind)),
  };
}

/** Whether a credential is of a kind the profile allows: a listed AAGUID or a listed model. */
export function fits(method: Pick<Fido2Method, "aaGuid" | "model">, profile: KeyProfile): boolean {
  if (profile.aaguids.includes(method.aaGuid.toLowerCase())) return true;
  return method.model !== null && profile.models.includes(method.model);
}

function adoptable(
  person: DirectoryPerson,
  a: DesiredAssignment,
  managed: ReadonlyMap<string, TaskFact>,
  adopted: ReadonlySet<string>,
): Fido2Method | undefined {
  const c = a.adopt;
  if (!c) return undefined;
  const candidates = person.fido2Methods.filter(
    (m) =>
      !managed.has(m.id) &&
      !adopted.has(m.id) &&
      fits(m, a.profile) &&
      (c.aaguids.length === 0 || c.aaguids.includes(m.aaGuid)) &&
      (c.displayNameContains === undefined || (m.displayName ?? "").includes(c.displayNameContains)) &&
      (c.createdBefore === undefined || day(m.createdDateTime) < c.createdBefore),
  );
  // The oldest fitting credential, then by id: the same choice on every run.
  candidates.sort((x, y) =>
    x.createdDateTime < y.createdDateTime
      ? -1
      : x.createdDateTime > y.createdDateTime
        ? 1
        : x.id < y.id
          ? -1
          : 1,
  );
  return candidates[0];
}

function provisionReason(
  a: DesiredAssignment,
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

function renderName(
  a: DesiredAssignment,
  serials: ReadonlyMap<string, { model: string | undefined }>,
): string {
  const item = a.serial === undefined ? undefined : serials.get(a.serial);
  return renderDisplayName(a.profile.displayName, {
    slot: a.slot,
    serial: a.serial,
    model: item?.model ?? a.profile.models[0],
    profile: a.profile.name,
    upn: a.userPrincipalName,
  });
}

function openGenerations(tasks: readonly TaskFact[]): number[] {
  return tasks.filter((t) => OPEN_STATES.has(t.state)).map((t) => t.generation);
}

function groupTasks(tasks: readonly TaskFact[]): Map<string, TaskFact[]> {
  const out = new Map<string, TaskFact[]>();
  for (const t of tasks) {
    const list = out.get(t.assignmentId);
    if (list) list.push(t);
    else out.set(t.assignmentId, [t]);
  }
  for (const list of out.values()) list.sort((x, y) => x.generation - y.generation);
  return out;
}

/** Orders by person, slot, key before credential, kind, method; keys computed once (plans can be large). */
function sortActions(actions: Action[]): void {
  const keyed = actions.map((a) => ({
    a,
    k: `${a.userPrincipalName ?? a.personId ?? ""}\u0000${a.slot ?? "\uffff"}\u0000${a.scope === "key" ? 0 : 1}\u0000${a.kind}\u0000${"methodId" in a ? a.methodId : ""}`,
  }));
  keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
  keyed.forEach((x, i) => {
    actions[i] = x.a;
  });
}

function day(timestamp: string): string {
  return timestamp.slice(0, 10);
}

function describeMethod(m: Pick<Fido2Method, "id" | "model" | "aaGuid">): string {
  return `${m.model ?? m.aaGuid} (${m.id})`;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
