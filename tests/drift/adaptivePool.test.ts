// Drift's bulk reads adapt their concurrency to throttling (core/entra/adaptivePool.ts, used by $batch): the
// limit halves on a throttled operation and grows back after clean ones; the pool never exceeds it, keeps
// input order, stops on the first failure, and never leaves a worker waiting.
import { describe, expect, it } from "vitest";
import { AdaptiveLimit, mapAdaptivePool } from "../../core/entra/adaptivePool.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("adaptive concurrency for bulk reads", () => {
  it("should halve on throttling, never below one, and win steps back after clean runs", () => {
    const limit = new AdaptiveLimit(8);
    limit.throttled();
    expect(limit.current).toBe(4);
    limit.throttled();
    limit.throttled();
    limit.throttled();
    expect(limit.current).toBe(1);
    limit.succeeded();
    expect(limit.current).toBe(2);
    for (let i = 0; i < 2; i++) limit.succeeded();
    expect(limit.current).toBe(3);
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.current).toBe(8);
    expect(() => new AdaptiveLimit(0)).toThrow(/positive integer/);
  });

  it("should keep in-flight operations within the limit as it falls and rises", async () => {
    const limit = new AdaptiveLimit(6);
    let inFlight = 0;
    const seen: { limit: number; inFlight: number }[] = [];
    const items = Array.from({ length: 200 }, (_, i) => i);
    const out = await mapAdaptivePool(items, limit, async (i) => {
      inFlight++;
      seen.push({ limit: limit.current, inFlight });
      await tick();
      inFlight--;
      // Items 20–59 are "throttled": the limit drops to 1 there, then recovers.
      if (i >= 20 && i < 60) limit.throttled();
      else limit.succeeded();
      return i * 2;
    });
    expect(out).toEqual(items.map((i) => i * 2));
    for (const s of seen) expect(s.inFlight).toBeLessThanOrEqual(s.limit);
    expect(Math.min(...seen.map((s) => s.limit))).toBe(1);
    expect(seen.at(-1)?.limit).toBe(6);
    expect(Math.max(...seen.map((s) => s.inFlight))).toBe(6);
  });

  it("should stop handing out work after the first failure and throw it", async () => {
    let started = 0;
    const run = mapAdaptivePool(
      Array.from({ length: 100 }, (_, i) => i),
      new AdaptiveLimit(4),
      async (i) => {
        started++;
        await tick();
        if (i === 5) throw new Error("item 5 failed");
        return i;
      },
    );
    await expect(run).rejects.toThrow("item 5 failed");
    expect(started).toBeLessThan(20);
  });
});
