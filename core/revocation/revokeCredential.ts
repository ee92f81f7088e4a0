// The one audited way a passkey leaves Entra, for the pipeline (a removal, a lost key, a retired key, an
// unmanaged credential) and for an operator (`keyfleet revoke`) alike: delete the method, count a method Entra
// no longer has as done ("absent"), then append the signed revocation record naming who and why. Each caller
// brings its own actor (the pipeline and its run's provenance; the operator and their station) and reason;
// which credentials to revoke, and the tasks that become moot, stay the caller's decision.
//
// The record follows the change: a record without a deletion would claim a key is gone while it still signs
// people in. A method already gone (removed out of band, or an earlier attempt that succeeded before the
// connection dropped) is recorded too: the decision to revoke is the event, and the out-of-band removal is
// worth knowing.
import type { RecordActor, RecordSubject } from "../records/model.js";
import type { RecordStore } from "../records/recordStore.js";
import type { Provenance } from "../tasks/model.js";

/** Where the passkey is deleted: Entra's fido2Methods, with "not found" answered as "absent". */
export interface PasskeyDeletion {
  deleteFido2(objectId: string, methodId: string): Promise<"deleted" | "absent">;
}

/** Whose credential a revocation is about, as the record names it. */
export interface RevocationSubject {
  objectId: string;
  methodId: string;
  userPrincipalName?: string;
  assignmentId?: string;
  slot?: string;
  /** The task that registered the credential, when the revocation is about one. */
  taskId?: string;
}

export interface Revocation {
  subject: RevocationSubject;
  actor: RecordActor;
  /** Why, as the record says it (the caller's cause and reason). */
  reason: string;
  provenance?: Provenance;
}

export type RevocationOutcome = "deleted" | "absent";

export async function revokeCredential(
  deps: { directory: PasskeyDeletion; records: RecordStore },
  revocation: Revocation,
): Promise<RevocationOutcome> {
  const { subject, reason } = revocation;
  const outcome = await deps.directory.deleteFido2(subject.objectId, subject.methodId);
  await deps.records.append({
    action: "revocation",
    actor: { ...revocation.actor },
    subject: recordSubject(subject),
    detail: outcome === "deleted" ? reason : `${reason} (already gone from Entra)`,
    provenance: revocation.provenance ?? {},
  });
  return outcome;
}

// Only the fields the revocation has: the record is hashed as canonical JSON, and an absent field stays absent.
function recordSubject(s: RevocationSubject): RecordSubject {
  const out: RecordSubject = { personObjectId: s.objectId, methodId: s.methodId };
  if (s.userPrincipalName) out.userPrincipalName = s.userPrincipalName;
  if (s.assignmentId) out.assignmentId = s.assignmentId;
  if (s.slot) out.slot = s.slot;
  if (s.taskId) out.taskId = s.taskId;
  return out;
}
