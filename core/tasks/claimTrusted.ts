// How a station takes work: claim, verify the pipeline's signature, look the task up in the records, and
// quarantine anything untrusted — unsigned, re-signed with another key, altered after signing, or
// settled in the records (cancelled, superseded, already done) while its row says otherwise — so it is
// never provisioned and an operator sees it among the failed tasks, flagged `quarantined`.
//
// The records check is what makes a cancellation stick: the row alone can be rewritten to `pending`
// with its decision removed by anyone holding the store's credential; the record chain cannot be
// (see verifyTaskResults.ts for the reasoning).
import type { TaskRecordLookup } from "../records/recordStore.js";
import type { Task } from "./model.js";
import type { ClaimOptions, TaskStore, TaskTrustOptions } from "./store.js";
import { verifyTask } from "./taskSignature.js";
import { settledByRecords } from "./verifyTaskResults.js";

export interface TrustedClaim {
  /** The verified task, or undefined when nothing trusted is claimable now. */
  task: Task | undefined;
  /** Tasks refused and quarantined on the way. */
  quarantined: Task[];
}

export interface ClaimTrustedOptions extends ClaimOptions, TaskTrustOptions {
  /**
   * Where to look up each claimed task's outcome records. Defaults to the records of an AuditedTaskStore
   * (`store.records`); a bare store with no records given is refused, since it could not tell a
   * resurrected task from a live one.
   */
  records?: TaskRecordLookup;
  /** Called for each refused task with the reason, e.g. to report it on the station's screen. */
  onQuarantine?: (task: Task, reason: string) => Promise<void> | void;
}

export async function claimTrusted(store: TaskStore, opts: ClaimTrustedOptions): Promise<TrustedClaim> {
  if (opts.pipelineKeys.length === 0)
    throw new Error("a station needs the pipeline's public key to verify tasks");
  const records = opts.records ?? (store as { records?: TaskRecordLookup }).records;
  if (!records || typeof records.outcomesFor !== "function") {
    throw new Error(
      "a station needs the record store to refuse cancelled or superseded tasks: pass records (or an audited store)",
    );
  }
  const quarantined: Task[] = [];
  for (;;) {
    const task = await store.claimNext(opts);
    if (!task) return { task: undefined, quarantined };
    const trust = verifyTask(task, opts.pipelineKeys);
    const why = trust.trusted
      ? settledByRecords(task, (await records.outcomesFor([task.id])).get(task.id) ?? [], opts.pipelineKeys)
      : trust.reason;
    if (why === undefined) return { task, quarantined };
    const reason = `refused: ${why}`;
    quarantined.push(await store.quarantine(task.id, task.lease!, reason));
    await opts.onQuarantine?.(task, reason);
  }
}
