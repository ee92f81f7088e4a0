// Signatures over a task's state, beside the pipeline's signature over its fixed fields (taskSignature.ts):
//   - the pipeline's decision to cancel or supersede a task (so a station cannot undo it unnoticed), and
//   - a station's result (so nobody holding the store's credential can rewrite the method id the pipeline
//     will later count as managed or revoke).
// Each payload names the task (id, assignment, generation), so a signature copied onto another row fails.
import type { KeyObject } from "node:crypto";
import { type SigningKey, signCanonical, verifyCanonical } from "../signing/ed25519.js";
import type { SignedResult, Task, TaskDecision, TaskResult } from "./model.js";

type TaskRef = Pick<Task, "id" | "assignmentId" | "generation" | "kind">;

export function decisionPayload(t: TaskRef, d: Omit<TaskDecision, "signature">) {
  const decision: Record<string, string> = { kind: d.kind, at: d.at };
  if (d.reason !== undefined) decision.reason = d.reason;
  if (d.supersededBy !== undefined) decision.supersededBy = d.supersededBy;
  return {
    type: "keyfleet.task-decision/v1",
    task: { id: t.id, assignmentId: t.assignmentId, generation: t.generation, kind: t.kind },
    decision,
  };
}

export function signDecision(t: TaskRef, d: Omit<TaskDecision, "signature">, key: SigningKey): TaskDecision {
  return { ...d, signature: signCanonical(key, decisionPayload(t, d)) };
}

/** Whether the row's decision is signed by one of `keys`. */
export function decisionSignedBy(t: Task, keys: readonly KeyObject[]): boolean {
  if (!t.decision) return false;
  const { signature, ...d } = t.decision;
  return verifyCanonical(keys, decisionPayload(t, d), signature);
}

export function resultPayload(t: TaskRef, stationId: string, result: TaskResult) {
  return {
    type: "keyfleet.task-result/v1",
    task: { id: t.id, assignmentId: t.assignmentId, generation: t.generation, kind: t.kind },
    stationId,
    result,
  };
}

export function signResult(t: TaskRef, stationId: string, result: TaskResult, key: SigningKey): SignedResult {
  return { stationId, signature: signCanonical(key, resultPayload(t, stationId, result)) };
}

/** Whether the row's result carries a valid signature by one of `stationKeys`. */
export function resultSignedBy(t: Task, stationKeys: readonly KeyObject[]): boolean {
  if (!t.result || !t.resultSignature) return false;
  return verifyCanonical(
    stationKeys,
    resultPayload(t, t.resultSignature.stationId, t.result),
    t.resultSignature.signature,
  );
}
