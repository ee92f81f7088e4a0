// The resilience policy: exponential backoff with full jitter on throttling and unavailability, honouring
// Retry-After, bounded by attempts and by an overall deadline. Only idempotent requests come through here;
// a registration POST never does (see registration.ts).
import { EntraError } from "./errors.js";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The first backoff ceiling; it doubles each retry. */
  baseDelayMs: number;
  /** No single wait is longer than this unless Graph's Retry-After says so. */
  maxDelayMs: number;
  /** Time one operation may spend, first attempt to last, before it gives up. */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  deadlineMs: 120_000,
};

/** Time and chance, injectable so the policy is testable without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/**
 * The wait before retry number `retry` (1 for the first retry). Graph's Retry-After wins when present;
 * otherwise full jitter: uniform in [0, min(maxDelay, base·2^(retry-1))], which spreads a herd of clients.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryEvent {
  error: EntraError;
  attempt: number;
  delayMs: number;
}

export interface RetryContext {
  policy: RetryPolicy;
  clock: Clock;
  /** Called before each wait (counting, logging). */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/**
 * Runs `op` until it succeeds, fails for good, or the attempts or the deadline run out. Only transient
 * EntraErrors (Throttled, Unavailable) are retried; everything else is thrown at once.
 */
export async function withRetry<T>(op: (attempt: number) => Promise<T>, ctx: RetryContext): Promise<T> {
  const deadlineAt = ctx.clock.now() + ctx.policy.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!EntraError.isInstance(err)) throw err;
      err.attempts = attempt;
      if (!err.transient || attempt >= ctx.policy.maxAttempts) throw err;
      const delayMs = backoffDelay(attempt, ctx.policy, ctx.clock.random, err.retryAfterMs);
      if (ctx.clock.now() + delayMs > deadlineAt) throw deadlineError(err, attempt, ctx.policy.deadlineMs);
      ctx.onRetry?.({ error: err, attempt, delayMs });
      await ctx.clock.sleep(delayMs);
    }
  }
}

/** The error thrown when waiting once more would pass the deadline; it keeps the last failure's facts. */
export function deadlineError(last: EntraError, attempts: number, deadlineMs: number): EntraError {
  return new EntraError({
    kind: "Deadline",
    message: `gave up after ${attempts} attempt(s) within the ${Math.round(deadlineMs / 1000)} s deadline; last: ${last.kind}`,
    status: last.status,
    code: last.code,
    requestId: last.requestId,
    date: last.date,
    retryAfterMs: last.retryAfterMs,
    transport: last.transport,
    method: last.method,
    path: last.path,
    attempts,
  });
}
