// `keyfleet revoke`: an operator revokes a lost or stolen key at once, ahead of the pull request that
// records it (drift shows the difference until the spec follows). The method is found among the person's
// passkeys (by method id, or by the task that registered it), deleted in Entra, and the revocation is a
// signed record naming the operator and the reason. Deleting twice is harmless: "absent" is recorded too.
import type { EntraClient } from "../../core/entra/client.js";
import { deleteFido2Method, listFido2Methods } from "../../core/entra/fido2Methods.js";
import type { RecordActor } from "../../core/records/model.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import type { TaskStore } from "../../core/tasks/store.js";

export interface RevokeRequest {
  /** The person: object id or UPN. */
  user?: string;
  methodId?: string;
  /** The task whose registration is to be revoked (its person and method come from the task). */
  taskId?: string;
  reason: string;
  actor: RecordActor;
}

export interface RevokeOutcome {
  personObjectId: string;
  userPrincipalName?: string;
  methodId: string;
  outcome: "deleted" | "absent";
}

export class RevokeError extends Error {
  readonly brand = "keyfleet.RevokeError";
  static isInstance(e: unknown): e is RevokeError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.RevokeError";
  }
}

export async function revokeKey(
  deps: { entra: EntraClient; records: RecordStore; tasks?: TaskStore },
  req: RevokeRequest,
): Promise<RevokeOutcome> {
  const reason = req.reason.trim();
  if (reason.length < 3)
    throw new RevokeError("give the reason for the revocation (--reason), e.g. 'lost on a trip'");
  let user = req.user;
  let methodId = req.methodId;
  let subject: { assignmentId?: string; slot?: string; taskId?: string; upn?: string } = {};
  if (req.taskId) {
    const task = await deps.tasks?.get(req.taskId);
    if (!task) throw new RevokeError(`no task ${req.taskId}`);
    if (task.result?.kind !== "registered") throw new RevokeError(`task ${task.id} registered no key`);
    user ??= task.person.objectId;
    methodId ??= task.result.methodId;
    subject = {
      assignmentId: task.assignmentId,
      slot: task.slot,
      taskId: task.id,
      upn: task.person.userPrincipalName,
    };
  }
  if (!user || !methodId) throw new RevokeError("name the key: --user with --method, or --task");
  const person = await deps.entra.get<{ id: string; userPrincipalName?: string }>(
    `/users/${encodeURIComponent(user)}?$select=id,userPrincipalName`,
  );
  const known = (await listFido2Methods(deps.entra, person.id)).some((m) => m.id === methodId);
  const outcome = known ? await deleteFido2Method(deps.entra, person.id, methodId) : "absent";
  const s: Parameters<RecordStore["append"]>[0]["subject"] = { personObjectId: person.id, methodId };
  const upn = person.userPrincipalName ?? subject.upn;
  if (upn) s.userPrincipalName = upn;
  if (subject.assignmentId) s.assignmentId = subject.assignmentId;
  if (subject.slot) s.slot = subject.slot;
  if (subject.taskId) s.taskId = subject.taskId;
  await deps.records.append({
    action: "revocation",
    actor: req.actor,
    subject: s,
    detail:
      outcome === "deleted"
        ? `revoked by an operator: ${reason}`
        : `revoked by an operator: ${reason} (already gone from Entra)`,
  });
  const out: RevokeOutcome = { personObjectId: person.id, methodId, outcome };
  if (upn) out.userPrincipalName = upn;
  return out;
}
