import { describe, expect, it } from "vitest";
import { EntraError, kindForStatus, parseRetryAfter } from "../../core/entra/errors.js";
import { backoffDelay, type Clock, type RetryPolicy, withRetry } from "../../core/entra/retry.js";

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 10_000 };

/** A clock that records waits instead of waiting. */
function fakeClock(random = 0.5): Clock & { waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    random: () => random,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
}

const throttled = (retryAfterMs?: number) =>
  new EntraError({ kind: "Throttled", status: 429, message: "Please retry again later.", retryAfterMs });
const unavailable = () => new EntraError({ kind: "Unavailable", status: 503, message: "down" });

describe("backoff", () => {
  it("should use full jitter under an exponentially growing, capped ceiling", () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(399);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(4, policy, () => 0)).toBe(0);
  });

  it("should honour Retry-After over the computed backoff", () => {
    expect(backoffDelay(1, policy, () => 0.5, 2128)).toBe(2128);
  });

  it("should parse Retry-After as fractional seconds or an HTTP date", () => {
    expect(parseRetryAfter("2.128")).toBe(2128);
    expect(parseRetryAfter("0")).toBe(0);
    expect(
      parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    ).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("withRetry", () => {
  it("should retry throttling and unavailability, then return the result", async () => {
    const clock = fakeClock();
    const failures = [throttled(1500), unavailable()];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        const f = failures.shift();
        if (f) throw f;
        return "ok";
      },
      { policy, clock },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(clock.waits).toEqual([1500, 100]);
  });

  it("should not retry a clear refusal", async () => {
    const clock = fakeClock();
    let calls = 0;
    const refusal = new EntraError({ kind: "BadRequest", status: 400, message: "bad" });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw refusal;
        },
        { policy, clock },
      ),
    ).rejects.toBe(refusal);
    expect(calls).toBe(1);
  });

  it("should stop after maxAttempts and report the attempts made", async () => {
    const clock = fakeClock();
    const err = await withRetry(
      async () => {
        throw unavailable();
      },
      { policy, clock },
    ).catch((e: unknown) => e);
    expect(EntraError.isInstance(err) && err.attempts).toBe(5);
    expect(clock.waits).toHaveLength(4);
  });

  it("should give up with a Deadline error rather than wait past the deadline", async () => {
    const clock = fakeClock();
    const err = await withRetry(
      async () => {
        throw throttled(60_000);
      },
      { policy, clock },
    ).catch((e: unknown) => e);
    expect(EntraError.isInstance(err)).toBe(true);
    if (!EntraError.isInstance(err)) return;
    expect(err.kind).toBe("Deadline");
    expect(err.status).toBe(429);
    expect(clock.waits).toEqual([]);
  });

  it("should pass non-Entra errors through untouched", async () => {
    const boom = new TypeError("bug");
    await expect(withRetry(async () => Promise.reject(boom), { policy, clock: fakeClock() })).rejects.toBe(
      boom,
    );
  });
});

describe("error classification by status", () => {
  it("should map statuses to kinds", () => {
    expect(
      [400, 401, 403, 404, 409, 412, 429, 500, 502, 503, 504, 418].map((s) => [s, kindForStatus(s)]),
    ).toEqual([
      [400, "BadRequest"],
      [401, "Auth"],
      [403, "Forbidden"],
      [404, "NotFound"],
      [409, "Conflict"],
      [412, "Conflict"],
      [429, "Throttled"],
      [500, "Unavailable"],
      [502, "Unavailable"],
      [503, "Unavailable"],
      [504, "Unavailable"],
      [418, "BadRequest"],
    ]);
  });

  it("should be recognisable by brand across module copies", () => {
    const copy = { ...new EntraError({ kind: "Other", message: "x" }) };
    expect(EntraError.isInstance(copy)).toBe(true);
    expect(EntraError.isInstance(new Error("x"))).toBe(false);
  });
});
