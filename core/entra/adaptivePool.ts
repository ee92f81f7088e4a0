// Concurrency that adapts to Graph's throttling: bulk reads start at the configured concurrency, halve it
// when Graph answers 429 (additive increase, multiplicative decrease, as TCP does), and win it back one step
// after each run of unthrottled operations. Graph's Retry-After still decides each wait (batch.ts, retry.ts);
// this decides how many requests are in flight while the tenant is near its limit.

export class AdaptiveLimit {
  private inFlightLimit: number;
  private clean = 0;

  constructor(
    readonly max: number,
    readonly min = 1,
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`concurrency must be a positive integer, not ${max}`);
    this.inFlightLimit = max;
  }

  get current(): number {
    return this.inFlightLimit;
  }

  /** An operation was throttled: halve the limit (never below min). */
  throttled(): void {
    this.inFlightLimit = Math.max(this.min, Math.floor(this.inFlightLimit / 2));
    this.clean = 0;
  }

  /** An operation went through unthrottled: after `current` of them in a row, allow one more in flight. */
  succeeded(): void {
    if (this.inFlightLimit >= this.max) return;
    if (++this.clean >= this.inFlightLimit) {
      this.inFlightLimit++;
      this.clean = 0;
    }
  }
}

/**
 * Like mapPool (pool.ts), with at most `limit.current` operations in flight at any moment; results in input
 * order; the first failure stops handing out work and is thrown.
 */
export async function mapAdaptivePool<T, R>(
  items: readonly T[],
  limit: AdaptiveLimit,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let active = 0;
  let failed = false;
  const waiting: (() => void)[] = [];
  const wake = (all: boolean) => {
    while (waiting.length > 0 && (all || active < limit.current)) waiting.shift()?.();
  };
  const worker = async (): Promise<void> => {
    try {
      while (!failed && next < items.length) {
        if (active >= limit.current) {
          await new Promise<void>((resolve) => waiting.push(resolve));
          continue;
        }
        const index = next++;
        active++;
        try {
          results[index] = await fn(items[index] as T, index);
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          active--;
          wake(false);
        }
      }
    } finally {
      // Leaving (done or failed): nobody may be left waiting for a slot that no operation will free.
      if (failed || next >= items.length) wake(true);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit.max, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
