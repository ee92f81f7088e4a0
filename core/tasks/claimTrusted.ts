// How a station takes work: claim, verify the pipeline's signature, and quarantine anything untrusted
// (unsigned, re-signed with another key, or altered after signing) so it is never provisioned and an
// operator sees it among the failed tasks, flagged `quarantined`.
import type { Task } from "./model.js";
import type { ClaimOptions, TaskStore, TaskTrustOptions } from "./store.js";
import { verifyTask } from "./taskSignature.js";

export interface TrustedClaim {
  /** The verified task, or undefined when nothing trusted is claimable now. */
  task: Task | undefined;
  /** Tasks refused and quarantined on the way. */
  quarantined: Task[];
}

export async function claimTrusted(
  store: TaskStore,
  opts: ClaimOptions &
    TaskTrustOptions & { onQuarantine?: (task: Task, reason: string) => Promise<void> | void },
): Promise<TrustedClaim> {
  if (opts.pipelineKeys.length === 0)
    throw new Error("a station needs the pipeline's public key to verify tasks");
  const quarantined: Task[] = [];
  for (;;) {
    const task = await store.claimNext(opts);
    if (!task) return { task: undefined, quarantined };
    const trust = verifyTask(task, opts.pipelineKeys);
    if (trust.trusted) return { task, quarantined };
    const reason = `refused: ${trust.reason}`;
    quarantined.push(await store.quarantine(task.id, task.lease!, reason));
    await opts.onQuarantine?.(task, reason);
  }
}
