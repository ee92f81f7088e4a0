// The pipeline's signature on a task: it covers exactly the fields fixed at raise time (TaskSpec), so a
// station can update state but a row written or altered by anyone else fails verification.
import { createHash, type KeyObject } from "node:crypto";
import { type SigningKey, signCanonical, verifyCanonical } from "../signing/ed25519.js";
import type { Task, TaskSpec } from "./model.js";

/** The immutable part of a task, in the form that is signed. */
export function signedTaskFields(t: TaskSpec): TaskSpec {
  const spec: TaskSpec = {
    id: t.id,
    assignmentId: t.assignmentId,
    generation: t.generation,
    kind: t.kind,
    person: { objectId: t.person.objectId, userPrincipalName: t.person.userPrincipalName },
    slot: t.slot,
    profile: t.profile,
    provenance: t.provenance,
    createdAt: t.createdAt,
  };
  if (t.revoke) spec.revoke = t.revoke;
  return spec;
}

export function signTask(spec: TaskSpec, key: SigningKey): Task["signature"] {
  return signCanonical(key, { type: "keyfleet.task/v1", task: signedTaskFields(spec) });
}

export type TaskTrust = { trusted: true } | { trusted: false; reason: string };

/** Checks a task's signature against the pipeline's public key(s). */
export function verifyTask(task: Task, pipelineKeys: readonly KeyObject[]): TaskTrust {
  if (!task.signature) return { trusted: false, reason: "the task is unsigned" };
  if (task.id !== taskIdFor(task.assignmentId, task.generation)) {
    return { trusted: false, reason: "the task id does not match its assignment and generation" };
  }
  const ok = verifyCanonical(
    pipelineKeys,
    { type: "keyfleet.task/v1", task: signedTaskFields(task) },
    task.signature,
  );
  return ok
    ? { trusted: true }
    : { trusted: false, reason: `the task's signature (key ${task.signature.keyId}) is not the pipeline's` };
}

/** Task ids are derived from assignment and generation, so raising twice yields one task on any backend. */
export function taskIdFor(assignmentId: string, generation: number): string {
  return createHash("sha256").update(`${assignmentId}\n${generation}`).digest("hex").slice(0, 32);
}
