// What a (re)started station does before it touches a key: every task this station still holds — claimed
// or registering under its station id, as a crash or power cut left it — is resolved. A registering task
// is looked up in Entra (credential id first, display-name nonce second): found, it is completed (nothing
// is registered twice); not found, it is handed back. A claimed task never reached Graph: handed back.
// The key's PIN lived only in memory, so a key left half-provisioned is reported for a reset.
import type { Task } from "../../core/tasks/model.js";
import type { RunnerContext } from "./context.js";
import { findOwnRegistration, methodResult } from "./ownRegistration.js";

export interface RecoveryReport {
  completed: string[];
  released: string[];
  /** Tasks left as they were (Entra or the store could not be asked); their lease expiry hands them on. */
  deferred: string[];
}

export async function recoverOwnTasks(ctx: RunnerContext): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], released: [], deferred: [] };
  const held = (await ctx.store.list({ state: ["claimed", "registering"] })).filter(
    (t) => t.lease?.stationId === ctx.stationId,
  );
  for (const t of held) {
    try {
      await recoverOne(ctx, t, report);
    } catch (e) {
      report.deferred.push(t.id);
      ctx.operator.event({
        type: "notice",
        taskId: t.id,
        message: `could not resolve task ${t.id} left ${t.state} (${(e as Error).message}); its lease will expire`,
      });
    }
  }
  return report;
}

async function recoverOne(ctx: RunnerContext, t: Task, report: RecoveryReport): Promise<void> {
  const lease = { stationId: t.lease!.stationId, claimId: t.lease!.claimId };
  const reg = t.registration;
  if (t.state === "registering" && reg) {
    const own = await findOwnRegistration(ctx.entra, t.person.objectId, reg.credentialId, reg.nonce);
    if (own) {
      await ctx.store.complete(t.id, lease, methodResult(own, reg.credentialId), ctx.stationKey);
      report.completed.push(t.id);
      ctx.operator.event({
        type: "recovered",
        taskId: t.id,
        outcome: "completed",
        detail: `found registered as ${own.id} after a restart; the PIN handover is unconfirmed: if ${t.person.userPrincipalName} did not receive it, revoke (keyfleet revoke) and provision again`,
      });
      return;
    }
  }
  await ctx.store.release(t.id, lease);
  report.released.push(t.id);
  ctx.operator.event({
    type: "recovered",
    taskId: t.id,
    outcome: "released",
    detail: `left ${t.state} by a stopped run and not registered in Entra: handed back; the key it was on may hold a PIN and a credential nobody knows: reset it`,
  });
}
