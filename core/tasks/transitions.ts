// The task state machine as pure functions: each takes the stored task and returns the next one, or
// throws. Both backends run these inside their own atomic read-modify-write, so the rules live once.
//
//   pending ─claim→ claimed ─markRegistering→ registering ─complete→ done
//      ▲              │  │                        │
//      │   release/expiry │ fail(retryable) ──→ failed(retryable, nextAttemptAt) ─claim→ claimed …
//      └──────────────┘  └ fail(final)/quarantine → failed(final)      any open state ─cancel→ cancelled
import { TaskStoreError } from "./errors.js";
import type { Lease, Task, TaskDecision, TaskFailure, TaskResult, TaskState } from "./model.js";

/** Identifies a lease holder: the station and the claim it made. */
export type LeaseRef = Pick<Lease, "stationId" | "claimId">;

export interface RetryPolicy {
  /** Backoff after the first failed attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts (claims) after which a retryable failure becomes final. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 5,
};

/** A time after every real one: the eligibility of tasks that are never claimable. */
export const NEVER = "9999-12-31T23:59:59.999Z";

/** When a task becomes claimable (ISO, fixed width so string order is time order), or NEVER. */
export function eligibleAt(t: Task): string {
  switch (t.state) {
    case "pending":
      return t.nextAttemptAt;
    case "failed":
      return t.failure?.retryable ? t.nextAttemptAt : NEVER;
    case "claimed":
    case "registering":
      return t.lease?.expiresAt ?? t.nextAttemptAt;
    default:
      return NEVER;
  }
}

export function isClaimable(t: Task, now: Date): boolean {
  return eligibleAt(t) <= now.toISOString();
}

export function backoffMs(attempts: number, policy: RetryPolicy): number {
  const exp = Math.max(0, attempts - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exp, 30));
}

export function claim(
  t: Task,
  args: { stationId: string; operator?: string; leaseMs: number; claimId: string; now: Date },
): Task {
  if (!isClaimable(t, args.now)) throw invalid(t, "claim");
  const lease: Lease = {
    stationId: args.stationId,
    claimId: args.claimId,
    claimedAt: args.now.toISOString(),
    expiresAt: new Date(args.now.getTime() + args.leaseMs).toISOString(),
  };
  if (args.operator) lease.operator = args.operator;
  return { ...t, state: "claimed", lease, attempts: t.attempts + 1, updatedAt: args.now.toISOString() };
}

function requireLease(t: Task, ref: LeaseRef, op: string, states: readonly TaskState[]): void {
  if (!states.includes(t.state) || !t.lease) {
    throw new TaskStoreError(
      "lease-lost",
      `cannot ${op} task ${t.id}: it is ${t.state}, not held by a station`,
    );
  }
  if (t.lease.stationId !== ref.stationId || t.lease.claimId !== ref.claimId) {
    throw new TaskStoreError(
      "lease-lost",
      `cannot ${op} task ${t.id}: the lease is now held by ${t.lease.stationId} (another claim)`,
    );
  }
}

const HELD: readonly TaskState[] = ["claimed", "registering"];

export function renew(t: Task, ref: LeaseRef, leaseMs: number, now: Date): Task {
  requireLease(t, ref, "renew", HELD);
  const lease = { ...t.lease!, expiresAt: new Date(now.getTime() + leaseMs).toISOString() };
  return { ...t, lease, updatedAt: now.toISOString() };
}

export function release(t: Task, ref: LeaseRef, now: Date): Task {
  requireLease(t, ref, "release", HELD);
  const { lease: _lease, ...rest } = t;
  return { ...rest, state: "pending", nextAttemptAt: now.toISOString(), updatedAt: now.toISOString() };
}

export function markRegistering(
  t: Task,
  ref: LeaseRef,
  reg: { credentialId: string; nonce?: string },
  now: Date,
): Task {
  requireLease(t, ref, "mark registering", HELD);
  if (!/^[A-Za-z0-9_-]{16,1400}$/.test(reg.credentialId)) {
    throw new TaskStoreError("bad-input", "the credential id must be base64url (16–1400 characters)");
  }
  const registration: Task["registration"] = {
    stationId: ref.stationId,
    credentialId: reg.credentialId,
    at: now.toISOString(),
  };
  if (reg.nonce !== undefined) registration.nonce = reg.nonce;
  return { ...t, state: "registering", registration, updatedAt: now.toISOString() };
}

export function complete(t: Task, ref: LeaseRef, result: TaskResult, now: Date): Task {
  if (t.state === "done" && t.result && t.result.methodId === result.methodId) return t;
  requireLease(t, ref, "complete", HELD);
  if (t.kind === "provision" && result.kind !== "registered") {
    throw new TaskStoreError("bad-input", `task ${t.id} provisions a key: its result must be 'registered'`);
  }
  if (t.kind === "revoke" && result.kind !== "revoked") {
    throw new TaskStoreError("bad-input", `task ${t.id} revokes a key: its result must be 'revoked'`);
  }
  const { failure: _f, ...rest } = t;
  return { ...rest, state: "done", result, nextAttemptAt: NEVER, updatedAt: now.toISOString() };
}

export function fail(
  t: Task,
  ref: LeaseRef,
  failure: { reason: string; retryable: boolean },
  now: Date,
  policy: RetryPolicy,
): Task {
  requireLease(t, ref, "fail", HELD);
  const giveUp = failure.retryable && t.attempts >= policy.maxAttempts;
  const f: TaskFailure = {
    reason: giveUp ? `${failure.reason} (gave up after ${t.attempts} attempts)` : failure.reason,
    retryable: failure.retryable && !giveUp,
    at: now.toISOString(),
    stationId: ref.stationId,
  };
  const { lease: _lease, ...rest } = t;
  const next = f.retryable ? new Date(now.getTime() + backoffMs(t.attempts, policy)).toISOString() : NEVER;
  return { ...rest, state: "failed", failure: f, nextAttemptAt: next, updatedAt: now.toISOString() };
}

/** A station refused the task as untrusted: it is failed for good and marked, never provisioned. */
export function quarantine(t: Task, ref: LeaseRef, reason: string, now: Date): Task {
  requireLease(t, ref, "quarantine", HELD);
  const { lease: _lease, ...rest } = t;
  return {
    ...rest,
    state: "failed",
    failure: { reason, retryable: false, at: now.toISOString(), stationId: ref.stationId, quarantined: true },
    nextAttemptAt: NEVER,
    updatedAt: now.toISOString(),
  };
}

export function cancel(
  t: Task,
  opts: { reason?: string; force?: boolean; decision?: TaskDecision },
  now: Date,
): Task {
  if (t.state === "cancelled") return t;
  if (t.state === "done") throw invalid(t, "cancel");
  if (t.state === "registering" && !opts.force) {
    throw new TaskStoreError(
      "invalid-state",
      `task ${t.id} is registering a credential now; cancel it with force only after checking Entra`,
    );
  }
  const { lease: _lease, ...rest } = t;
  const out: Task = { ...rest, state: "cancelled", nextAttemptAt: NEVER, updatedAt: now.toISOString() };
  if (opts.reason) out.failure = { reason: opts.reason, retryable: false, at: now.toISOString() };
  if (opts.decision) out.decision = opts.decision;
  return out;
}

/** An operator asks for a failed task to be tried again now. */
export function retry(t: Task, now: Date): Task {
  if (t.state !== "failed") throw invalid(t, "retry");
  return { ...t, state: "pending", nextAttemptAt: now.toISOString(), updatedAt: now.toISOString() };
}

/** An expired lease returns the task to pending (keeping any pending registration for the next station). */
export function reclaim(t: Task, now: Date): Task | undefined {
  if (!HELD.includes(t.state) || !t.lease || t.lease.expiresAt > now.toISOString()) return undefined;
  const { lease: _lease, ...rest } = t;
  return { ...rest, state: "pending", nextAttemptAt: now.toISOString(), updatedAt: now.toISOString() };
}

function invalid(t: Task, op: string): TaskStoreError {
  return new TaskStoreError("invalid-state", `cannot ${op} task ${t.id}: it is ${t.state}`);
}
