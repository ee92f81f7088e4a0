// Graph-like throttling: a request budget per app over a fixed window; over budget answers 429 with
// Retry-After (the seconds left in the window) and the documented x-ms-throttle-* headers.
import type { ThrottleSeed } from "./tenant.js";

/** D-THROTTLE: "Any: 130,000 requests per 10 seconds" per app. */
export const defaultThrottle: ThrottleSeed = { requestsPerWindow: 130_000, windowSeconds: 10 };

export type ThrottleDecision =
  | { ok: true }
  | { ok: false; retryAfterSeconds: number; headers: Record<string, string> };

export class Throttle {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(private config: ThrottleSeed | null = defaultThrottle) {}

  configure(config: ThrottleSeed | null): void {
    this.config = config;
    this.windows.clear();
  }

  current(): ThrottleSeed | null {
    return this.config;
  }

  take(appId: string, tenantId: string, nowMs = Date.now()): ThrottleDecision {
    const cfg = this.config;
    if (!cfg) return { ok: true };
    const windowMs = cfg.windowSeconds * 1000;
    let w = this.windows.get(appId);
    if (!w || nowMs - w.start >= windowMs) {
      w = { start: nowMs, count: 0 };
      this.windows.set(appId, w);
    }
    if (w.count >= cfg.requestsPerWindow) {
      const retryAfterSeconds = Math.max(1, Math.ceil((w.start + windowMs - nowMs) / 1000));
      return {
        ok: false,
        retryAfterSeconds,
        headers: {
          "x-ms-throttle-scope": `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
          "x-ms-throttle-information": "ResourceUnitLimitExceeded",
        },
      };
    }
    w.count++;
    return { ok: true };
  }
}
