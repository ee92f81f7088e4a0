// Fault injection: rules matched against the method and path of each request (and each $batch item),
// applied at a rate drawn from a seeded generator so that a run with the same seed and the same request
// sequence repeats. Kinds: 429 with Retry-After, 503, added latency, a connection dropped mid-response.

export type FaultKind = "429" | "503" | "latency" | "drop";

export interface FaultRule {
  kind: FaultKind;
  /** Regular expression tested against the path with its version, e.g. `/v1.0/users/[^/]+/authentication`. */
  route?: string;
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Share of matching requests that fault, 0..1 (default 1). */
  rate?: number;
  /** How many times the rule may fire in all (unlimited when absent). */
  times?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

interface ActiveRule extends FaultRule {
  pattern: RegExp;
  fired: number;
}

export class FaultRuleError extends Error {
  readonly brand = "keyfleet.emulator.FaultRuleError";
  static isInstance(e: unknown): e is FaultRuleError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.emulator.FaultRuleError"
    );
  }
}

/** mulberry32: small, fast and good enough to make fault runs repeat. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function checkFaultRules(rules: unknown): FaultRule[] {
  if (!Array.isArray(rules)) throw new FaultRuleError("rules must be a list");
  return rules.map((r, i) => {
    if (typeof r !== "object" || r === null) throw new FaultRuleError(`rule ${i} is not an object`);
    const rule = r as FaultRule;
    if (!["429", "503", "latency", "drop"].includes(String(rule.kind))) {
      throw new FaultRuleError(`rule ${i}: kind must be 429, 503, latency or drop`);
    }
    if (rule.rate !== undefined && (typeof rule.rate !== "number" || rule.rate < 0 || rule.rate > 1)) {
      throw new FaultRuleError(`rule ${i}: rate must be between 0 and 1`);
    }
    if (rule.route !== undefined) {
      try {
        new RegExp(rule.route, "i");
      } catch {
        throw new FaultRuleError(`rule ${i}: route is not a regular expression`);
      }
    }
    return { ...rule, kind: String(rule.kind) as FaultKind };
  });
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private random: () => number = prng(1);
  private seedValue = 1;

  constructor(rules: FaultRule[] = [], seed = 1) {
    this.set(rules, seed);
  }

  set(rules: FaultRule[], seed = 1): void {
    this.rules = checkFaultRules(rules).map((r) => ({
      ...r,
      pattern: new RegExp(r.route ?? ".*", "i"),
      fired: 0,
    }));
    this.seedValue = seed;
    this.random = prng(seed);
  }

  describe(): { seed: number; rules: (FaultRule & { fired: number })[] } {
    return { seed: this.seedValue, rules: this.rules.map(({ pattern: _p, ...r }) => r) };
  }

  /** The faults that apply to this request, in rule order (latency first, then at most one failure). */
  pick(method: string, path: string): FaultRule[] {
    const picked: FaultRule[] = [];
    let failure = false;
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!rule.pattern.test(path)) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.kind !== "latency" && failure) continue;
      // Draw for every matching rule so the sequence depends only on the requests, not on earlier outcomes.
      const hit = this.random() < (rule.rate ?? 1);
      if (!hit) continue;
      rule.fired++;
      picked.push(rule);
      if (rule.kind !== "latency") failure = true;
    }
    return picked;
  }
}
