// Claiming a task this key can serve (and, when the operator picked one, that task): trusted claims one at
// a time, holding the ones that do not fit until a fitting one turns up, then handing those back. The store
// claims in its own order; holding keeps a misfit from being claimed again in the same search.

import { claimTrusted } from "../../core/tasks/claimTrusted.js";
import type { Task } from "../../core/tasks/model.js";
import type { RunnerContext } from "./context.js";

/** How many misfits one search holds before giving up (the rest of the queue waits for another key). */
const MAX_HELD = 16;

export async function claimFitting(
  ctx: RunnerContext,
  accept: (task: Task) => boolean,
): Promise<Task | undefined> {
  const held: Task[] = [];
  try {
    while (held.length < MAX_HELD) {
      const opts: Parameters<typeof claimTrusted>[1] = {
        stationId: ctx.stationId,
        leaseMs: ctx.leaseMs,
        pipelineKeys: ctx.pipelineKeys,
        onQuarantine: (t, reason) => ctx.operator.event({ type: "quarantined", taskId: t.id, reason }),
      };
      if (ctx.operatorName) opts.operator = ctx.operatorName;
      const { task } = await claimTrusted(ctx.store, opts);
      if (!task) return undefined;
      if (accept(task)) return task;
      held.push(task);
    }
    return undefined;
  } finally {
    for (const t of held) {
      if (t.lease) await ctx.store.release(t.id, t.lease).catch(() => {});
    }
  }
}
