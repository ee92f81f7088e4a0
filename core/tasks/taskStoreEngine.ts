// The backend-independent half of a TaskStore: validation, signing and the state machine. A backend
// supplies only TaskRows — insert-if-absent, get, query, an atomic read-modify-write, and a claim.
import { randomUUID } from "node:crypto";
import type { SigningKey } from "../signing/ed25519.js";
import { TaskStoreError } from "./errors.js";
import type { AdoptionFacts, RaiseInput, Task, TaskDecision, TaskQuery, TaskResult } from "./model.js";
import { assertNoSecretShape, buildTaskSpec } from "./raiseInput.js";
import { signDecision, signResult } from "./stateSignatures.js";
import type { CancelOptions, ClaimOptions, TaskStore, TaskStoreBackend, TaskStoreOptions } from "./store.js";
import type { ListOptions } from "./taskDoc.js";
import { signTask } from "./taskSignature.js";
import * as tx from "./transitions.js";

/** The storage primitives a backend provides. */
export interface TaskRows {
  /** Inserts the task unless one with its id exists; returns the stored task and whether it was new. */
  insert(task: Task): Promise<{ task: Task; created: boolean }>;
  get(id: string): Promise<Task | undefined>;
  /** Tasks matching the query, by createdAt then id; malformed rows as ListOptions says. */
  query(q: TaskQuery, opts?: ListOptions): Promise<Task[]>;
  /** Atomically applies `fn` to the stored task; `fn` may throw to abort. */
  mutate(id: string, fn: (t: Task) => Task): Promise<Task>;
  /**
   * Atomically claims one claimable task (eligibleAt ≤ now) for which `accept` returns a new task,
   * in eligibility order (ties in any order). For a revocation, `gateOpen` says whether the provision
   * task it waits for (revoke.afterAssignmentId at generation ≥ afterGeneration) is done.
   */
  claimOne(now: Date, accept: (t: Task, gateOpen: boolean) => Task | undefined): Promise<Task | undefined>;
  /** Tasks held under an expired lease. */
  expired(now: Date): Promise<Task[]>;
  close(): Promise<void>;
}

export class EngineTaskStore implements TaskStore {
  private readonly now: () => Date;
  private readonly policy: tx.RetryPolicy;

  constructor(
    readonly backend: TaskStoreBackend,
    readonly location: string,
    private readonly rows: TaskRows,
    opts: TaskStoreOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.policy = opts.retryPolicy ?? tx.DEFAULT_RETRY_POLICY;
  }

  async raise(input: RaiseInput, signer: SigningKey): Promise<{ task: Task; created: boolean }> {
    const now = this.now();
    const spec = buildTaskSpec(input, now);
    const task: Task = {
      ...spec,
      state: "pending",
      attempts: 0,
      nextAttemptAt: now.toISOString(),
      updatedAt: now.toISOString(),
      signature: signTask(spec, signer),
    };
    return this.rows.insert(task);
  }

  async adopt(
    input: RaiseInput,
    adoption: AdoptionFacts,
    signer: SigningKey,
  ): Promise<{ task: Task; created: boolean }> {
    const now = this.now();
    const spec = buildTaskSpec(input, now);
    const at = now.toISOString();
    const task: Task = {
      ...spec,
      state: "done",
      attempts: 0,
      nextAttemptAt: at,
      updatedAt: at,
      result: { kind: "adopted", ...adoption, adoptedAt: at },
      signature: signTask(spec, signer),
    };
    // The pipeline vouches for its own result as a station does for one it made.
    task.resultSignature = signResult(task, "pipeline", task.result as TaskResult, signer);
    return this.rows.insert(task);
  }

  async get(id: string): Promise<Task | undefined> {
    return this.rows.get(id);
  }

  async list(query: TaskQuery = {}, opts?: ListOptions): Promise<Task[]> {
    return this.rows.query(query, opts);
  }

  async claimNext(opts: ClaimOptions): Promise<Task | undefined> {
    if (!opts.stationId) throw new TaskStoreError("bad-input", "a claim needs a station id");
    if (!(opts.leaseMs > 0)) throw new TaskStoreError("bad-input", "a lease must last longer than 0 ms");
    const now = this.now();
    return this.rows.claimOne(now, (t, gateOpen) => {
      if (!tx.isClaimable(t, now)) return undefined;
      if (opts.only && !opts.only(t)) return undefined;
      if (t.kind === "revoke" && !gateOpen) return undefined;
      const claimArgs: Parameters<typeof tx.claim>[1] = {
        stationId: opts.stationId,
        leaseMs: opts.leaseMs,
        claimId: randomUUID(),
        now,
      };
      if (opts.operator) claimArgs.operator = opts.operator;
      return tx.claim(t, claimArgs);
    });
  }

  async renew(id: string, lease: tx.LeaseRef, leaseMs: number): Promise<Task> {
    return this.rows.mutate(id, (t) => tx.renew(t, lease, leaseMs, this.now()));
  }

  async release(id: string, lease: tx.LeaseRef): Promise<Task> {
    return this.rows.mutate(id, (t) => tx.release(t, lease, this.now()));
  }

  async markRegistering(
    id: string,
    lease: tx.LeaseRef,
    registration: { credentialId: string; nonce?: string },
  ): Promise<Task> {
    if (registration.nonce !== undefined) assertNoSecretShape(registration.nonce, "nonce");
    return this.rows.mutate(id, (t) => tx.markRegistering(t, lease, registration, this.now()));
  }

  async complete(id: string, lease: tx.LeaseRef, result: TaskResult, signer?: SigningKey): Promise<Task> {
    for (const v of Object.values(result)) if (typeof v === "string") assertNoSecretShape(v, "result");
    return this.rows.mutate(id, (t) => {
      const out = tx.complete(t, lease, result, this.now());
      if (out === t || !signer) return out;
      return { ...out, resultSignature: signResult(out, lease.stationId, result, signer) };
    });
  }

  async fail(id: string, lease: tx.LeaseRef, failure: { reason: string; retryable: boolean }): Promise<Task> {
    assertNoSecretShape(failure.reason, "failure reason");
    return this.rows.mutate(id, (t) => tx.fail(t, lease, failure, this.now(), this.policy));
  }

  async quarantine(id: string, lease: tx.LeaseRef, reason: string): Promise<Task> {
    return this.rows.mutate(id, (t) => tx.quarantine(t, lease, reason, this.now()));
  }

  async cancel(id: string, opts: CancelOptions = {}): Promise<Task> {
    if (opts.reason) assertNoSecretShape(opts.reason, "cancel reason");
    return this.rows.mutate(id, (t) => {
      const now = this.now();
      const args: Parameters<typeof tx.cancel>[1] = {};
      if (opts.reason !== undefined) args.reason = opts.reason;
      if (opts.force) args.force = true;
      if (opts.signer && t.state !== "cancelled")
        args.decision = signDecision(t, decisionOf(opts, now), opts.signer);
      return tx.cancel(t, args, now);
    });
  }

  async retry(id: string): Promise<Task> {
    return this.rows.mutate(id, (t) => tx.retry(t, this.now()));
  }

  async reclaimExpired(): Promise<Task[]> {
    const now = this.now();
    const moved: Task[] = [];
    for (const t of await this.rows.expired(now)) {
      try {
        let changed = false;
        const out = await this.rows.mutate(t.id, (cur) => {
          const next = tx.reclaim(cur, now);
          if (!next) throw new TaskStoreError("invalid-state", "no longer expired");
          changed = true;
          return next;
        });
        if (changed) moved.push(out);
      } catch (e) {
        // Someone renewed, completed or re-claimed it in between: theirs is the newer truth.
        if (!(TaskStoreError.isInstance(e) && e.code === "invalid-state")) throw e;
      }
    }
    return moved;
  }

  close(): Promise<void> {
    return this.rows.close();
  }
}

/** The unsigned decision a cancel with these options makes. */
export function decisionOf(opts: CancelOptions, now: Date): Omit<TaskDecision, "signature"> {
  const d: Omit<TaskDecision, "signature"> = {
    kind: opts.supersededBy ? "superseded" : "cancelled",
    at: now.toISOString(),
  };
  if (opts.reason !== undefined) d.reason = opts.reason;
  if (opts.supersededBy !== undefined) d.supersededBy = opts.supersededBy;
  return d;
}
