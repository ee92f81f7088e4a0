// How a plan's actions become a KeyAssignment's decision, and how the provider decides for itself when it is
// given none (state written before decisions existed, or a direct call): with the very function the plan
// uses, core/plan decideKey, on a fresh read of the person's passkeys and the assignment's tasks.
import type { Action } from "../core/plan/actions.js";
import type { Fido2Method, TaskFact } from "../core/plan/actual.js";
import { decideKey, type KeyAssignmentView } from "../core/plan/decide.js";
import { taskFacts } from "../core/plan/readFleet.js";
import { profileKey } from "../core/plan/taskProfile.js";
import type { Task } from "../core/tasks/model.js";
import type { AssignmentDecision, AssignmentInputs } from "./assignmentTypes.js";
import type { Fido2Credential } from "./backends.js";

/**
 * A plan's actions by assignment id, so that finding each assignment's among them is not a pass over all of
 * them per assignment (which made declaring 10,000 assignments quadratic).
 */
export function actionsByAssignment(actions: readonly Action[]): Map<string, Action[]> {
  const by = new Map<string, Action[]>();
  for (const a of actions) {
    if (!a.assignmentId) continue;
    const mine = by.get(a.assignmentId);
    if (mine) mine.push(a);
    else by.set(a.assignmentId, [a]);
  }
  return by;
}

/**
 * The decision for `assignmentId` among a plan's actions (all of them, or those `actionsByAssignment` gives
 * for it); undefined when the plan declares no key for it.
 */
export function decisionFromActions(
  actions: readonly Action[],
  assignmentId: string,
): AssignmentDecision | undefined {
  const mine = actions.filter((a) => a.assignmentId === assignmentId);
  const revokeNow: string[] = [];
  for (const a of mine) {
    if (a.kind === "revoke" && a.cause === "lost") revokeNow.push(...a.methodIds);
    if (a.kind === "revoke-retired") revokeNow.push(a.methodId);
  }
  const key = mine.find((a) => a.scope === "key");
  if (!key) return undefined;
  const base = { revokeNow: revokeNow.sort(), reason: key.reason };
  switch (key.kind) {
    case "provision":
      return {
        ...base,
        kind: "provision",
        generation: key.generation,
        methodId: "",
        cancelGenerations: [...key.supersedes],
      };
    case "wait":
      return { ...base, kind: "wait", generation: key.generation, methodId: "", cancelGenerations: [] };
    case "keep":
      return { ...base, kind: "keep", generation: 0, methodId: key.methodId, cancelGenerations: [] };
    case "adopt":
      return {
        ...base,
        kind: "adopt",
        generation: key.generation,
        methodId: key.methodId,
        cancelGenerations: [...key.cancelGenerations],
      };
    case "replace":
      return {
        ...base,
        kind: "replace",
        generation: key.generation,
        methodId: key.retiringMethodId,
        cancelGenerations: [],
      };
    case "unresolved":
      // The person is known (a real assignment id) but a task failed verification: hold, act on nothing.
      return key.personId !== undefined && !key.assignmentId?.startsWith("unresolved:")
        ? { ...base, kind: "hold", generation: 0, methodId: "", cancelGenerations: [], revokeNow: [] }
        : undefined;
    default:
      return undefined;
  }
}

/** The decision's view of a resource's inputs: the same fields a spec assignment gives the plan. */
export function viewOfInputs(inputs: AssignmentInputs): KeyAssignmentView {
  const c = inputs.adoptCriteria;
  return {
    id: inputs.assignmentId,
    personId: inputs.objectId,
    userPrincipalName: inputs.userPrincipalName,
    slot: inputs.slot,
    profile: {
      name: inputs.profile.name,
      aaguids: inputs.profile.allowedAaguids,
      models: inputs.profile.allowedModels,
      credProtect: inputs.profile.credProtect,
    },
    state: inputs.lostSince ? "lost" : "active",
    since: inputs.lostSince || undefined,
    adopt: inputs.adopt
      ? {
          aaguids: c.aaguids,
          displayNameContains: c.displayNameContains || undefined,
          createdBefore: c.createdBefore || undefined,
        }
      : undefined,
    serial: undefined,
    leaving: undefined,
    displayName: inputs.profile.displayName,
    profileKey: profileKey(inputs.profile),
  };
}

/** A passkey as the plan sees it. */
export function planMethod(c: Fido2Credential): Fido2Method {
  return {
    id: c.id,
    displayName: c.displayName || null,
    aaGuid: c.aaGuid.toLowerCase(),
    model: c.model || null,
    createdDateTime: c.createdDateTime || "1970-01-01T00:00:00Z",
  };
}

/**
 * decideKey on a fresh read: `tasks` are the person's provision tasks (all slots), `creds` their passkeys.
 * Credentials another slot manages or adopted are never this slot's to take.
 */
export function freshDecision(
  inputs: AssignmentInputs,
  personTasks: readonly Task[],
  creds: readonly Fido2Credential[],
  today: string,
): AssignmentDecision | undefined {
  const facts: TaskFact[] = taskFacts(personTasks);
  const mine = facts.filter((t) => t.assignmentId === inputs.assignmentId);
  const taken = new Set(
    facts
      .filter((t) => t.assignmentId !== inputs.assignmentId && t.state === "done" && t.methodId)
      .map((t) => t.methodId as string),
  );
  const actions = decideKey({
    assignment: viewOfInputs(inputs),
    tasks: mine,
    methods: creds.map(planMethod),
    taken,
    today,
  });
  return decisionFromActions(actions, inputs.assignmentId);
}
