// A TaskStore that writes an audit record for everything it changes: raise, claim, registering,
// registration, revocation, failure, quarantine, release, cancellation, retry, reclaim. The record
// follows the change (a crash in between loses the record, never the change; `records verify` and
// the task's own state still agree on what happened).
import type { SigningKey } from "../signing/ed25519.js";
import type { AdoptionFacts, Provenance, RaiseInput, Task, TaskResult } from "../tasks/model.js";
import type { CancelOptions, ClaimOptions, TaskStore } from "../tasks/store.js";
import type { LeaseRef } from "../tasks/transitions.js";
import * as tx from "../tasks/transitions.js";
import type { RecordAction, RecordActor, RecordSubject } from "./model.js";
import type { RecordStore } from "./recordStore.js";

export interface AuditContext {
  /** Who this process acts as; stations fill stationId, the CLI an operator name. */
  actor: RecordActor;
  /** The run writing the records (git commit, pull request, pipeline run), where known. */
  provenance?: Provenance;
}

function subjectOf(t: Task): RecordSubject {
  const s: RecordSubject = {
    taskId: t.id,
    assignmentId: t.assignmentId,
    generation: t.generation,
    personObjectId: t.person.objectId,
    userPrincipalName: t.person.userPrincipalName,
    slot: t.slot,
  };
  if (t.revoke) s.methodId = t.revoke.methodId;
  return s;
}

export class AuditedTaskStore implements TaskStore {
  readonly backend;
  readonly location;

  constructor(
    private readonly inner: TaskStore,
    readonly records: RecordStore,
    private readonly ctx: AuditContext,
  ) {
    this.backend = inner.backend;
    this.location = inner.location;
  }

  private async record(
    action: RecordAction,
    t: Task,
    extra: { subject?: RecordSubject; detail?: string } = {},
  ) {
    const actor: RecordActor = { ...this.ctx.actor };
    if (t.lease?.stationId && this.ctx.actor.role === "station") actor.stationId = t.lease.stationId;
    if (t.lease?.operator && !actor.operator) actor.operator = t.lease.operator;
    const draft: Parameters<RecordStore["append"]>[0] = {
      action,
      actor,
      subject: { ...subjectOf(t), ...extra.subject },
      provenance: { ...t.provenance, ...this.ctx.provenance },
    };
    if (extra.detail !== undefined) draft.detail = extra.detail;
    await this.records.append(draft);
  }

  async raise(input: RaiseInput, signer: SigningKey) {
    const out = await this.inner.raise(input, signer);
    if (out.created) await this.record("raise", out.task, { detail: out.task.kind });
    return out;
  }
  async adopt(input: RaiseInput, adoption: AdoptionFacts, signer: SigningKey) {
    const out = await this.inner.adopt(input, adoption, signer);
    if (out.created) {
      await this.record("adoption", out.task, {
        subject: { methodId: adoption.methodId, aaGuid: adoption.aaGuid },
        detail: `adopted ${adoption.model ?? adoption.aaGuid} registered ${adoption.registeredAt.slice(0, 10)}`,
      });
    }
    return out;
  }
  get(id: string) {
    return this.inner.get(id);
  }
  list(query?: Parameters<TaskStore["list"]>[0], opts?: Parameters<TaskStore["list"]>[1]) {
    return this.inner.list(query, opts);
  }
  async claimNext(opts: ClaimOptions) {
    const t = await this.inner.claimNext(opts);
    if (t) await this.record("claim", t, { detail: `attempt ${t.attempts}` });
    return t;
  }
  renew(id: string, lease: LeaseRef, leaseMs: number) {
    return this.inner.renew(id, lease, leaseMs);
  }
  async release(id: string, lease: LeaseRef) {
    const before = await this.inner.get(id);
    const t = await this.inner.release(id, lease);
    await this.record("release", { ...t, lease: before?.lease } as Task);
    return t;
  }
  async markRegistering(id: string, lease: LeaseRef, registration: { credentialId: string; nonce?: string }) {
    const t = await this.inner.markRegistering(id, lease, registration);
    await this.record("registering", t, { subject: { credentialId: registration.credentialId } });
    return t;
  }
  async complete(id: string, lease: LeaseRef, result: TaskResult, signer?: SigningKey) {
    const t = await this.inner.complete(id, lease, result, signer ?? this.records.signer);
    const subject: RecordSubject = { methodId: result.methodId };
    if (result.kind === "registered") {
      subject.aaGuid = result.aaGuid;
      subject.credentialId = result.credentialId;
      if (result.attestationCertSha256) subject.attestationCertSha256 = result.attestationCertSha256;
      if (result.serial) subject.serial = result.serial;
      if (result.serialSource) subject.serialSource = result.serialSource;
    }
    await this.record(result.kind === "registered" ? "registration" : "revocation", t, { subject });
    return t;
  }
  async fail(id: string, lease: LeaseRef, failure: { reason: string; retryable: boolean }) {
    const before = await this.inner.get(id);
    const t = await this.inner.fail(id, lease, failure);
    await this.record("failure", { ...t, lease: before?.lease } as Task, {
      detail: `${t.failure?.retryable ? "retryable" : "final"}: ${t.failure?.reason ?? failure.reason}`,
    });
    return t;
  }
  async quarantine(id: string, lease: LeaseRef, reason: string) {
    const before = await this.inner.get(id);
    const t = await this.inner.quarantine(id, lease, reason);
    await this.record("quarantine", { ...t, lease: before?.lease } as Task, { detail: reason });
    return t;
  }
  /**
   * The one change recorded BEFORE it is made: once the signed cancellation is in the chain, a station's
   * claim refuses the task (claimTrusted looks it up), whatever the row says — so there is no moment in
   * which the row could be flipped back to pending unnoticed. A crash in between leaves a task the
   * records call cancelled and the row pending: stations refuse and quarantine it, the safe way round.
   */
  async cancel(id: string, opts: CancelOptions = {}) {
    const before = await this.inner.get(id);
    if (!before) return this.inner.cancel(id, opts);
    if (before.state !== "cancelled") {
      // The same checks the store applies, so a refused cancel (done, registering without force) records nothing.
      tx.cancel(before, opts, new Date());
      const extra: { subject?: RecordSubject; detail: string } = { detail: opts.reason ?? "cancelled" };
      if (opts.supersededBy)
        extra.detail = `superseded by ${opts.supersededBy}: ${opts.reason ?? "replaced"}`;
      await this.record(opts.supersededBy ? "supersession" : "cancellation", before, extra);
    }
    const signer = opts.signer ?? this.records.signer;
    return this.inner.cancel(id, signer ? { ...opts, signer } : opts);
  }
  async retry(id: string) {
    const t = await this.inner.retry(id);
    await this.record("retry", t);
    return t;
  }
  async reclaimExpired() {
    const moved = await this.inner.reclaimExpired();
    for (const t of moved) await this.record("reclaim", t, { detail: "lease expired" });
    return moved;
  }
  async close() {
    await this.inner.close();
    await this.records.close();
  }
}
