// The way out of a ceremony, whatever step failed. In order: what went wrong in plain words (and, for a
// PIN error, how many tries remain); whether Graph holds our registration (looked up, never guessed);
// a registration whose PIN never reached its owner is revoked; a credential made on the key but not kept
// is deleted from the key, or reported; and the task is handed back (the key's or the operator's fault),
// failed for a retry later (Graph unavailable) or failed for good (Graph refused the person).

import { EntraError } from "../../core/entra/errors.js";
import { deleteFido2Method } from "../../core/entra/fido2Methods.js";
import { revokeCredential } from "../../core/revocation/revokeCredential.js";
import { TaskStoreError } from "../../core/tasks/errors.js";
import type { Task } from "../../core/tasks/model.js";
import { ClientPin } from "../ctap2/clientPin.js";
import { classifyKeyError } from "../webauthn/failureReason.js";
import { type CeremonyState, callOpts, type KeyOutcome, StationRefusal } from "./ceremony.js";
import type { RunnerContext } from "./context.js";
import type { StationEvent } from "./events.js";
import { deleteKeyCredential } from "./keyChecks.js";
import { ClaimLost } from "./leaseKeeper.js";
import { findOwnRegistration } from "./ownRegistration.js";

export interface DescribedFailure {
  reason: string;
  retryable: boolean;
  message: string;
  /** What to do with a claimed task. */
  task: "release" | "fail-retryable" | "fail-final" | "leave";
}

export function describeFailure(e: unknown): DescribedFailure {
  if (StationRefusal.isInstance(e))
    return { reason: e.reason, retryable: true, message: e.message, task: "release" };
  if (EntraError.isInstance(e)) {
    const transient = e.transient || e.kind === "Deadline";
    const task = transient ? "fail-retryable" : e.kind === "Auth" ? "release" : "fail-final";
    return { reason: `graph-${e.kind.toLowerCase()}`, retryable: transient, message: e.message, task };
  }
  // The task is someone else's now (cancelled, or taken): nothing may be written to it.
  if (ClaimLost.isInstance(e))
    return { reason: "claim-lost", retryable: true, message: e.message, task: "leave" };
  if (TaskStoreError.isInstance(e)) {
    return { reason: `store-${e.code}`, retryable: true, message: e.message, task: "leave" };
  }
  if (
    typeof e === "object" &&
    e !== null &&
    (e as { brand?: unknown }).brand === "keyfleet.PinDeliveryError"
  ) {
    return { reason: "pin-delivery", retryable: true, message: (e as Error).message, task: "release" };
  }
  const k = classifyKeyError(e);
  const task = k.reason === "bad-options" ? "fail-retryable" : "release";
  return { reason: k.reason, retryable: k.retryable, message: k.message, task };
}

const PIN_REASONS = new Set(["pin-invalid", "pin-blocked", "pin-auth-blocked"]);

export async function leaveCeremony(s: CeremonyState, e: unknown): Promise<KeyOutcome> {
  const { ctx } = s;
  const f = describeFailure(e);
  let message = f.message;
  const say = (m: string) =>
    ctx.operator.event({
      type: "notice",
      keyId: s.view.keyId,
      ...(s.task ? { taskId: s.task.id } : {}),
      message: m,
    });

  if (PIN_REASONS.has(f.reason) && s.ctap && s.info) {
    const retries = await new ClientPin(s.ctap, s.info)
      .getRetries(callOpts(s))
      .then((r) => r.retries)
      .catch(() => undefined);
    if (retries !== undefined)
      message +=
        retries === 0 ? " (no PIN tries left: the key must be reset)" : ` (${retries} PIN tries left)`;
    if (f.reason === "pin-auth-blocked") message += "; unplug and replug the key before the next try";
  }

  let taskFate: NonNullable<Extract<StationEvent, { type: "error" }>["task"]> = "none";
  const task = s.task;
  const lease = s.lease;
  let keepCredential = false;
  if (task && lease && f.task !== "leave") {
    let registered: Awaited<ReturnType<typeof findOwnRegistration>>;
    let entraKnown = true;
    if (s.registering && s.credentialId) {
      try {
        registered = await findOwnRegistration(ctx.entra, task.person.objectId, s.credentialId, s.nonce);
      } catch {
        entraKnown = false;
      }
    }
    if (!entraKnown) {
      // Graph cannot say: the task stays registering; whoever claims it next (or this station restarted)
      // looks again before anything is repeated.
      say(
        "Entra cannot be asked whether the key was registered; the task stays registering until its lease ends",
      );
      keepCredential = true;
      taskFate = "none";
    } else {
      if (registered && s.handedOver) {
        // Only the completion failed: the PIN reached its owner, so keep the registration and retry completion.
        keepCredential = true;
        say(`registered as ${registered.id} and handed over; completion failed and is left to recovery`);
      } else if (registered) {
        await takeBackRegistration(ctx, task, registered.id, s.step)
          .then(() =>
            ctx.operator.event({
              type: "recovered",
              taskId: task.id,
              outcome: "revoked",
              detail: `method ${registered.id} revoked: the ceremony stopped at ${s.step} before the PIN was handed over`,
            }),
          )
          .catch((err: unknown) => {
            say(
              `method ${registered.id} could not be revoked (${(err as Error).message}); revoke it with keyfleet revoke`,
            );
          });
      }
      if (!keepCredential) {
        try {
          if (f.task === "release") {
            await ctx.store.release(task.id, lease);
            taskFate = "released";
          } else {
            await ctx.store.fail(task.id, lease, {
              reason: `${f.reason}: ${message}`.slice(0, 500),
              retryable: f.task === "fail-retryable",
            });
            taskFate = f.task === "fail-retryable" ? "failed" : "failed-final";
          }
        } catch (err) {
          say(`the task could not be handed back (${(err as Error).message}); its lease will expire`);
        }
      }
    }
  }

  if (s.credentialId && !keepCredential) {
    const deleted = await deleteKeyCredential(s, s.credentialId).catch(() => false);
    if (!deleted)
      say("the key holds a credential that was never registered: reset the key before it is used again");
  }

  const event: Extract<StationEvent, { type: "error" }> = {
    type: "error",
    keyId: s.view.keyId,
    step: s.step,
    reason: f.reason,
    retryable: f.retryable,
    message,
    task: taskFate,
  };
  if (task) event.taskId = task.id;
  ctx.operator.event(event);
  return { keyId: s.view.keyId, status: "failed", ...(task ? { taskId: task.id } : {}) };
}

// A registration nobody holds the PIN for is taken back through the one audited revocation, so the
// station's records say the key was registered and then revoked, not only the first half.
async function takeBackRegistration(
  ctx: RunnerContext,
  task: Task,
  methodId: string,
  step: string,
): Promise<void> {
  if (!ctx.audit) {
    await deleteFido2Method(ctx.entra, task.person.objectId, methodId);
    return;
  }
  const entra = ctx.entra;
  await revokeCredential(
    {
      directory: { deleteFido2: (objectId, id) => deleteFido2Method(entra, objectId, id) },
      records: ctx.audit.records,
    },
    {
      subject: {
        objectId: task.person.objectId,
        methodId,
        userPrincipalName: task.person.userPrincipalName,
        assignmentId: task.assignmentId,
        slot: task.slot,
        taskId: task.id,
      },
      actor: ctx.audit.actor,
      reason: `the station took back its registration: the ceremony stopped at ${step} before the PIN was handed over`,
    },
  );
}
