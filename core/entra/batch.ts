// JSON $batch reads: GETs in chunks of 20 (Graph's limit), chunks run with bounded concurrency that halves
// while Graph throttles (adaptivePool.ts), and items
// Graph throttles or cannot serve inside a batch are sent again in a later batch (the SDKs do not do this
// for batch items), after the longest Retry-After among them or a jittered backoff.

import { AdaptiveLimit, mapAdaptivePool } from "./adaptivePool.js";
import type { EntraClient, GraphVersion } from "./client.js";
import { EntraError, kindForStatus, parseRetryAfter } from "./errors.js";
import { chunk } from "./pool.js";
import { backoffDelay, deadlineError } from "./retry.js";

export const BATCH_LIMIT = 20;

export interface BatchGet {
  /** Relative to the version root, starting with "/". */
  url: string;
}

export type BatchOutcome<T> = { ok: true; status: number; body: T } | { ok: false; error: EntraError };

interface WireResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Runs every GET through $batch and returns one outcome per request, in input order. Transient item
 * failures are retried; anything else is returned as that item's error for the caller to judge.
 */
export async function batchGet<T>(
  entra: EntraClient,
  requests: readonly BatchGet[],
  version: GraphVersion = "v1.0",
): Promise<BatchOutcome<T>[]> {
  const indexed = requests.map((r, i) => ({ ...r, index: i }));
  const outcomes = new Array<BatchOutcome<T>>(requests.length);
  // Fewer batches in flight while Graph throttles (adaptivePool.ts); back up to the configured number after.
  const limit = new AdaptiveLimit(entra.config.concurrency);
  await mapAdaptivePool(chunk(indexed, BATCH_LIMIT), limit, async (group) => {
    const throttledBefore = entra.stats.throttled;
    const done = await runChunk<T>(entra, group, version);
    if (entra.stats.throttled > throttledBefore) limit.throttled();
    else limit.succeeded();
    for (const [index, outcome] of done) outcomes[index] = outcome;
  });
  return outcomes;
}

async function runChunk<T>(
  entra: EntraClient,
  group: readonly (BatchGet & { index: number })[],
  version: GraphVersion,
): Promise<Map<number, BatchOutcome<T>>> {
  const results = new Map<number, BatchOutcome<T>>();
  const deadlineAt = entra.clock.now() + entra.policy.deadlineMs;
  let pending = [...group];
  for (let round = 1; pending.length > 0; round++) {
    const body = { requests: pending.map((r) => ({ id: String(r.index), method: "GET", url: r.url })) };
    const reply = await entra.postIdempotent<{ responses?: WireResponse[] }>("/$batch", body, version);
    const byId = new Map((reply.responses ?? []).map((r) => [r.id, r]));
    const again: typeof pending = [];
    const againThrottled: boolean[] = [];
    let waitMs: number | undefined;
    let lastTransient: EntraError | undefined;
    for (const request of pending) {
      const response = byId.get(String(request.index));
      if (response === undefined) {
        // Graph answered the batch but not this item: treat it like an unavailable server.
        const error = itemError(request.url, 503, undefined, "no response for this batch item");
        if (round < entra.policy.maxAttempts) {
          lastTransient = error;
          again.push(request);
          againThrottled.push(false);
        } else {
          results.set(request.index, { ok: false, error });
        }
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        results.set(request.index, { ok: true, status: response.status, body: response.body as T });
        continue;
      }
      const headers = lowerKeys(response.headers);
      const error = itemError(request.url, response.status, response.body, undefined, headers);
      if (error.transient && round < entra.policy.maxAttempts) {
        again.push(request);
        againThrottled.push(error.kind === "Throttled");
        lastTransient = error;
        if (error.retryAfterMs !== undefined) waitMs = Math.max(waitMs ?? 0, error.retryAfterMs);
      } else {
        error.attempts = round;
        results.set(request.index, { ok: false, error });
      }
    }
    if (again.length === 0 || lastTransient === undefined) break;
    const delay = waitMs ?? backoffDelay(round, entra.policy, entra.clock.random);
    if (entra.clock.now() + delay > deadlineAt) {
      for (const request of again) {
        results.set(request.index, {
          ok: false,
          error: deadlineError(lastTransient, round, entra.policy.deadlineMs),
        });
      }
      break;
    }
    for (const throttled of againThrottled) entra.noteRetry(throttled);
    await entra.clock.sleep(delay);
    pending = again;
  }
  return results;
}

function itemError(
  url: string,
  status: number,
  body: unknown,
  fallback?: string,
  headers: Record<string, string> = {},
): EntraError {
  const err = (
    body as { error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } }
  )?.error;
  const inner = err?.innerError ?? {};
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return new EntraError({
    kind: kindForStatus(status),
    status,
    code: str(err?.code),
    message: str(err?.message) ?? fallback ?? `batch item failed`,
    requestId: str(inner["request-id"]) ?? headers["request-id"],
    date: str(inner.date) ?? headers.date,
    retryAfterMs: parseRetryAfter(headers["retry-after"]),
    method: "GET",
    path: url.split("?")[0],
  });
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}
