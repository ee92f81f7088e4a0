// `keyfleet revoke`: an operator revokes a lost or stolen key at once, ahead of the pull request that
// records it (drift shows the difference until the spec follows). This file finds the key (by user and
// method id, or by the task that registered it) and the person in Entra; the deletion and its signed record,
// naming the operator and the reason, are core/revocation's, the same the pipeline's revocations take.
// Revoking twice is harmless: "absent" is recorded too.
import type { EntraClient } from "../../core/entra/client.js";
import { deleteFido2Method } from "../../core/entra/fido2Methods.js";
import type { RecordActor } from "../../core/records/model.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { type RevocationSubject, revokeCredential } from "../../core/revocation/revokeCredential.js";
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
  let fromTask: Omit<RevocationSubject, "objectId" | "methodId"> = {};
  if (req.taskId) {
    const task = await deps.tasks?.get(req.taskId);
    if (!task) throw new RevokeError(`no task ${req.taskId}`);
    if (task.result?.kind !== "registered") throw new RevokeError(`task ${task.id} registered no key`);
    user ??= task.person.objectId;
    methodId ??= task.result.methodId;
    fromTask = {
      assignmentId: task.assignmentId,
      slot: task.slot,
      taskId: task.id,
      userPrincipalName: task.person.userPrincipalName,
    };
  }
  if (!user || !methodId) throw new RevokeError("name the key: --user with --method, or --task");
  const person = await deps.entra.get<{ id: string; userPrincipalName?: string }>(
    `/users/${encodeURIComponent(user)}?$select=id,userPrincipalName`,
  );
  const upn = person.userPrincipalName ?? fromTask.userPrincipalName;
  const subject: RevocationSubject = { ...fromTask, objectId: person.id, methodId };
  if (upn) subject.userPrincipalName = upn;
  const entra = deps.entra;
  const outcome = await revokeCredential(
    {
      directory: { deleteFido2: (objectId, id) => deleteFido2Method(entra, objectId, id) },
      records: deps.records,
    },
    { subject, actor: req.actor, reason: `revoked by an operator: ${reason}` },
  );
  const out: RevokeOutcome = { personObjectId: person.id, methodId, outcome };
  if (upn) out.userPrincipalName = upn;
  return out;
}
