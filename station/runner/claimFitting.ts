// Claiming a task this key can serve (and, when the operator picked one, that task): one trusted claim that
// the store makes only among the tasks `accept` takes (ClaimOptions.only), so nothing is claimed and handed
// back on the way.

import { claimTrusted } from "../../core/tasks/claimTrusted.js";
import type { Task } from "../../core/tasks/model.js";
import type { RunnerContext } from "./context.js";

export async function claimFitting(
  ctx: RunnerContext,
  accept: (task: Task) => boolean,
): Promise<Task | undefined> {
  const opts: Parameters<typeof claimTrusted>[1] = {
    stationId: ctx.stationId,
    leaseMs: ctx.leaseMs,
    pipelineKeys: ctx.pipelineKeys,
    // Judged inside the claim: keys of different models searching at once never hold each other's tasks.
    only: accept,
    onQuarantine: (t, reason) => ctx.operator.event({ type: "quarantined", taskId: t.id, reason }),
  };
  if (ctx.operatorName) opts.operator = ctx.operatorName;
  return (await claimTrusted(ctx.store, opts)).task;
}
