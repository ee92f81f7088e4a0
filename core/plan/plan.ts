// plan(desired, actual, options): what to do so that Entra holds the keys the spec asks for. Pure: the
// same inputs always give the same actions in the same order. Each desired key's action comes from
// decideKey (core/plan/decide.ts), the one decision the providers execute; this file adds what only the
// whole fleet shows: assignments removed from git, unmanaged credentials, the people the directory renamed,
// disabled or deleted, and the revocation rails.
import { type DesiredAssignment, desiredAssignments, parseAssignmentId } from "../assignment.js";
import type { Spec } from "../spec/model.js";
import type { Action, ActionKind, PlanNotice, RevokeAction } from "./actions.js";
import { ACTION_KINDS, WORK_KINDS } from "./actions.js";
import type { ActualState, TaskFact } from "./actual.js";
import { decideKey, describeMethod, type KeyAssignmentView, openGenerations } from "./decide.js";
import { assignmentDisplayName } from "./keyName.js";
import { assignmentProfileKey } from "./taskProfile.js";

export interface PlanOptions {
  /** Today, YYYY-MM-DD (UTC): leaving dates and lost/adopt days compare against it. */
  readonly today: string;
  /** Let a plan revoke more than the policy's maxRevokeShare (an operator's explicit decision). */
  readonly allowMassRevoke?: boolean;
  /**
   * The Pulumi stack planning (one per business unit). Tasks another stack raised are that stack's: never
   * revoked or counted here, and a person this spec names whom another stack manages stops the plan.
   */
  readonly stack?: string;
}

export interface PlanSummary {
  readonly counts: Readonly<Record<ActionKind, number>>;
  /** Desired keys (one key-scope action each). */
  readonly desiredKeys: number;
  /** Credentials Keyfleet registered (or adopted) that Entra still holds. */
  readonly managedKeys: number;
  /** Every passkey Entra holds for the people this plan read: what the revocation share is measured against. */
  readonly credentialsAtStake: number;
  /** Credentials this plan revokes (revoke and unmanaged-remove; a replacement's retiring key is not counted). */
  readonly revocations: number;
  readonly revokeShare: number;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly notices: readonly PlanNotice[];
  readonly summary: PlanSummary;
  /** The plan must not be applied as it stands; `blockedReasons` say why. */
  readonly blocked: boolean;
  readonly blockedReasons: readonly string[];
  /** Something for the pipeline to do, or for a person to fix. */
  readonly hasWork: boolean;
}

/** The view decideKey takes of a spec assignment whose person the directory knows. */
export function assignmentView(a: DesiredAssignment, spec: Pick<Spec, "inventory">): KeyAssignmentView {
  const displayName = assignmentDisplayName(a, spec.inventory);
  return {
    id: a.id,
    personId: a.personId ?? "",
    userPrincipalName: a.userPrincipalName ?? a.personId ?? "",
    slot: a.slot,
    profile: {
      name: a.profile.name,
      aaguids: a.profile.aaguids,
      models: a.profile.models,
      credProtect: a.profile.credProtect,
    },
    state: a.state,
    since: a.since,
    adopt: a.adopt,
    serial: a.serial,
    leaving: a.leaving,
    displayName,
    profileKey: assignmentProfileKey(a.profile, displayName, a.serial),
  };
}

/** UPNs tasks were raised under, to the object id they were raised for: how a rename in Entra is recognised. */
export function formerUpnsOf(tasks: readonly TaskFact[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tasks) {
    const parsed = parseAssignmentId(t.assignmentId);
    if (parsed && t.userPrincipalName) out.set(t.userPrincipalName.toLowerCase(), parsed.objectId);
  }
  return out;
}

/** Computes the plan. Throws ResolutionError when the directory cannot answer for the spec. */
export function plan(desired: Spec, actual: ActualState, options: PlanOptions): Plan {
  return planAndAssignments(desired, actual, options).plan;
}

/**
 * The plan and the desired assignments it expanded (renamed people found through their tasks' UPNs): for
 * drift, which reads both, so that 100,000 people are not expanded twice.
 */
export function planAndAssignments(
  desired: Spec,
  actual: ActualState,
  options: PlanOptions,
): { plan: Plan; assignments: readonly DesiredAssignment[] } {
  const { today } = options;
  const people = new Map(actual.people.map((p) => [p.id, p]));
  const deleted = new Set(actual.deletedPeople ?? []);
  const own = (t: TaskFact) =>
    options.stack === undefined || t.stack === undefined || t.stack === options.stack;
  const foreign = actual.tasks.filter((t) => !own(t) && t.state !== "cancelled");
  const tasksByAssignment = groupTasks(actual.tasks.filter(own));

  // Every credential a done task recorded, whichever assignment it belongs to.
  const managed = new Map<string, TaskFact>();
  for (const t of actual.tasks) if (own(t) && t.state === "done" && t.methodId) managed.set(t.methodId, t);
  const assignments = desiredAssignments(desired, actual, { formerUpns: formerUpnsOf(actual.tasks) });
  // The people this plan answers for: those its spec names and those its own tasks refer to (not another
  // stack's people, whose credentials are theirs to count, report and remove).
  const ours = new Set<string>(
    assignments.map((a) => a.personId).filter((p): p is string => p !== undefined),
  );
  const withTasks = new Set<string>();
  for (const id of tasksByAssignment.keys()) withTasks.add(id.slice(0, id.indexOf("/")));
  for (const id of withTasks) ours.add(id);
  const ourPeople = actual.people.filter((p) => ours.has(p.id));
  let managedPresent = 0;
  let credentialsAtStake = 0;
  for (const p of ourPeople) {
    credentialsAtStake += p.fido2Methods.length;
    managedPresent += p.fido2Methods.filter((m) => managed.has(m.id)).length;
  }

  // A person belongs to one stack: another stack's open or registered work for someone this spec names stops
  // the plan before it raises or revokes anything.
  const blockedReasons: string[] = [];
  const claimedBy = new Map<string, string>();
  for (const t of foreign) {
    const objectId = t.assignmentId.slice(0, t.assignmentId.indexOf("/"));
    if (!claimedBy.has(objectId)) claimedBy.set(objectId, t.stack as string);
  }
  const desiredIds = new Set(assignments.map((a) => a.id));
  // A quarantined result's credential is neither managed nor unmanaged: nobody acts on it.
  for (const a of assignments) {
    const other = a.personId === undefined ? undefined : claimedBy.get(a.personId);
    if (other !== undefined && !blockedReasons.some((r) => r.includes(`(${a.personId})`))) {
      blockedReasons.push(
        `${a.userPrincipalName ?? a.personId} (${a.personId}) is managed by stack '${other}': a person belongs to one stack; remove them from one of the two spec folders`,
      );
    }
  }
  const taken = new Set([
    ...managed.keys(),
    ...foreign.map((t) => t.methodId).filter((m): m is string => m !== undefined),
    ...actual.tasks.map((t) => t.quarantinedMethodId).filter((m): m is string => m !== undefined),
  ]);
  const actions: Action[] = [];
  const notices: PlanNotice[] = [];

  for (const a of assignments) {
    const person = a.personId === undefined ? undefined : people.get(a.personId);
    if (!person) {
      const gone = a.personId !== undefined && deleted.has(a.personId);
      actions.push({
        assignmentId: a.id,
        personId: a.personId,
        userPrincipalName: a.userPrincipalName,
        slot: a.slot,
        kind: "unresolved",
        scope: "key",
        profile: a.profile.name,
        reason: gone
          ? `${a.userPrincipalName ?? a.personId} was deleted from the directory`
          : `${a.userPrincipalName ?? a.id} is not in the directory`,
      });
      continue;
    }
    const decided = decideKey({
      assignment: assignmentView(a, desired),
      tasks: tasksByAssignment.get(a.id) ?? [],
      methods: person.fido2Methods,
      taken,
      today,
    });
    for (const d of decided) if (d.kind === "adopt") taken.add(d.methodId);
    actions.push(...decided);
  }

  for (const a of assignments) {
    if (a.staleUpn === undefined || a.personId === undefined) continue;
    if (notices.some((n) => n.kind === "stale-upn" && n.personId === a.personId)) continue;
    notices.push({
      kind: "stale-upn",
      personId: a.personId,
      userPrincipalName: a.userPrincipalName,
      message: `${a.source.file}:${a.source.line}: '${a.staleUpn}' is now '${a.userPrincipalName}' in Entra (object id ${a.personId}): nothing is revoked; write 'userPrincipalName: ${a.userPrincipalName}' (or 'objectId: ${a.personId}') in the spec`,
    });
  }
  const inSpec = new Set(assignments.map((a) => a.personId).filter((p): p is string => p !== undefined));
  for (const p of actual.people) {
    if (p.accountEnabled === false && (inSpec.has(p.id) || withTasks.has(p.id))) {
      notices.push({
        kind: "disabled",
        personId: p.id,
        userPrincipalName: p.userPrincipalName.toLowerCase(),
        message: `${p.userPrincipalName} is disabled in Entra`,
      });
    }
  }

  // Assignments the task store knows that git no longer asks for: their credentials are revoked.
  let orphanRevocations = 0;
  const unread = new Set<string>();
  for (const [id, tasks] of [...tasksByAssignment].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (desiredIds.has(id)) continue;
    const parsed = parseAssignmentId(id);
    if (!parsed) continue;
    const person = people.get(parsed.objectId);
    const cancelGenerations = openGenerations(tasks);
    if (!person) {
      if (deleted.has(parsed.objectId)) {
        if (!notices.some((n) => n.kind === "deleted" && n.personId === parsed.objectId)) {
          notices.push({
            kind: "deleted",
            personId: parsed.objectId,
            userPrincipalName: tasks[0]?.userPrincipalName,
            message: `${tasks[0]?.userPrincipalName ?? parsed.objectId} (${parsed.objectId}) was deleted from the directory; their passkeys went with them`,
          });
        }
        if (cancelGenerations.length > 0) {
          actions.push({
            assignmentId: id,
            personId: parsed.objectId,
            userPrincipalName: tasks[0]?.userPrincipalName,
            slot: parsed.slot,
            kind: "gone",
            scope: "credential",
            cause: "deleted",
            cancelGenerations,
            reason: `person deleted from the directory; cancel ${cancelGenerations.map((g) => `g${g}`).join(", ")}`,
          });
        }
      } else unread.add(parsed.objectId);
      continue;
    }
    const present = new Set(person.fido2Methods.map((m) => m.id));
    const methodIds = tasks
      .filter((t) => t.state === "done" && t.methodId && present.has(t.methodId))
      .map((t) => t.methodId as string);
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
  if (unread.size > 0) {
    // A reader that skipped someone with tasks would hide their removal from the rails: refuse to plan past it.
    blockedReasons.push(
      `the actual state does not cover ${unread.size} person(s) the task store refers to (${[...unread].slice(0, 5).join(", ")}${unread.size > 5 ? ", …" : ""}): their removal cannot be counted`,
    );
  }

  // Credentials nobody registered through Keyfleet (and no slot adopts).
  const removable = new Set(
    desired.policy.unmanaged.action === "remove" ? desired.policy.unmanaged.aaguids : [],
  );
  for (const person of ourPeople) {
    for (const m of person.fido2Methods) {
      if (taken.has(m.id)) continue;
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
  for (const a of actions) counts[a.kind]++;
  const revocations = countRevocations(actions);
  const revokeShare = revocations === 0 ? 0 : revocations / Math.max(credentialsAtStake, 1);
  const policyShare = desired.policy.maxRevokeShare;
  if (exceedsRevokeBudget(revocations, credentialsAtStake, policyShare) && !options.allowMassRevoke) {
    blockedReasons.push(
      `would revoke ${revocations} of the ${credentialsAtStake} passkeys held by the people it read (${percent(revokeShare)}), more than the policy's maxRevokeShare ${percent(policyShare)}`,
    );
  }
  if (counts.unresolved > 0 && orphanRevocations > 0) {
    // A person renamed in Entra but not yet in git looks both unresolved and removed: hold revocations.
    blockedReasons.push(
      `${counts.unresolved} key(s) name people the directory does not know, and ${orphanRevocations} credential(s) would be revoked as removed: fix the spec first`,
    );
  }
  const result: Plan = {
    actions,
    notices: notices.sort((x, y) => (x.message < y.message ? -1 : x.message > y.message ? 1 : 0)),
    summary: {
      counts,
      desiredKeys: assignments.length,
      managedKeys: managedPresent,
      credentialsAtStake,
      revocations,
      revokeShare,
    },
    blocked: blockedReasons.length > 0,
    blockedReasons,
    hasWork: actions.some((a) => WORK_KINDS.has(a.kind)),
  };
  return { plan: result, assignments };
}

/** Credentials a set of actions revokes now (a replacement's retiring key waits, and is not counted). */
export function countRevocations(actions: readonly Action[]): number {
  let n = 0;
  for (const a of actions) {
    if (a.kind === "revoke") n += a.methodIds.length;
    if (a.kind === "unmanaged-remove") n++;
  }
  return n;
}

/**
 * The revocation rail, one rule wherever revocations are planned or executed: revoking more than
 * `maxRevokeShare` of the passkeys at stake is a mass revocation, except that a single revocation never is
 * (one lost key in a small team must stay revocable). Measured against every passkey the people hold, not
 * only managed ones, so a first roll-out that removes one withdrawn key is not "100% of 0 managed".
 */
export function exceedsRevokeBudget(revocations: number, atStake: number, maxRevokeShare: number): boolean {
  if (revocations <= 1) return false;
  return revocations / Math.max(atStake, 1) > maxRevokeShare;
}

/** The most revocations the rail lets one run execute. */
export function revokeBudget(atStake: number, maxRevokeShare: number): number {
  return Math.max(1, Math.floor(maxRevokeShare * atStake + 1e-9));
}

/** Tasks by assignment id, each list by generation. */
export function groupTasks(tasks: readonly TaskFact[]): Map<string, TaskFact[]> {
  const out = new Map<string, TaskFact[]>();
  for (const t of tasks) {
    const list = out.get(t.assignmentId);
    if (list) list.push(t);
    else out.set(t.assignmentId, [t]);
  }
  for (const list of out.values()) list.sort((x, y) => x.generation - y.generation);
  return out;
}

/**
 * Orders by person, slot (none last), key before credential, kind, method. Field by field rather than through
 * one joined key per action: the same order (no field holds U+0000, and U+FFFF sorts after every slot name),
 * without building 100,000 strings.
 */
function sortActions(actions: Action[]): void {
  actions.sort((x, y) => {
    const px = x.userPrincipalName ?? x.personId ?? "";
    const py = y.userPrincipalName ?? y.personId ?? "";
    if (px !== py) return px < py ? -1 : 1;
    const sx = x.slot ?? "\uffff";
    const sy = y.slot ?? "\uffff";
    if (sx !== sy) return sx < sy ? -1 : 1;
    if (x.scope !== y.scope) return x.scope === "key" ? -1 : 1;
    if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1;
    const mx = "methodId" in x ? `${x.methodId}` : "";
    const my = "methodId" in y ? `${y.methodId}` : "";
    return mx < my ? -1 : mx > my ? 1 : 0;
  });
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
