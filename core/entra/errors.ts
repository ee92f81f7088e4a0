// Typed Entra/Graph failures: every error that leaves core/entra is an EntraError, classified once here.
// It carries Graph's error code, the HTTP status, the request id and date, never a token or a secret.

/** What the caller can do about a failure; the one classification every other module relies on. */
export type EntraErrorKind =
  | "NotFound"
  | "Conflict"
  /** 429: Graph refused before doing anything; `retryAfterMs` says when to come back. */
  | "Throttled"
  /** 500/502/503/504, a dropped connection or a timeout: for a write, the outcome is unknown. */
  | "Unavailable"
  /** 401, or no token could be obtained. */
  | "Auth"
  | "Forbidden"
  /** Any other 4xx: a clear refusal that repeating will not change. */
  | "BadRequest"
  /** The overall deadline ran out while retrying. */
  | "Deadline"
  | "Other";

export interface EntraErrorInit {
  kind: EntraErrorKind;
  message: string;
  status?: number | undefined;
  code?: string | undefined;
  requestId?: string | undefined;
  date?: string | undefined;
  retryAfterMs?: number | undefined;
  /** The low-level network code (ECONNRESET, ETIMEDOUT, …) for dropped connections. */
  transport?: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
  attempts?: number | undefined;
}

const BRAND = "keyfleet.EntraError";

export class EntraError extends Error {
  readonly brand = BRAND;
  readonly kind: EntraErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly date: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly transport: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** The message as given, without the request and the facts `message` adds around it. */
  readonly summary: string;
  attempts: number;

  constructor(init: EntraErrorInit) {
    super(describe(init));
    this.name = "EntraError";
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.date = init.date;
    this.retryAfterMs = init.retryAfterMs;
    this.transport = init.transport;
    this.method = init.method;
    this.path = init.path;
    this.summary = init.message;
    this.attempts = init.attempts ?? 1;
  }

  static isInstance(e: unknown): e is EntraError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === BRAND;
  }

  /** Failures after which the same request may succeed: throttling and unavailability. */
  get transient(): boolean {
    return this.kind === "Throttled" || this.kind === "Unavailable";
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      message: this.message,
      status: this.status,
      code: this.code,
      requestId: this.requestId,
      date: this.date,
      retryAfterMs: this.retryAfterMs,
      transport: this.transport,
      method: this.method,
      path: this.path,
      attempts: this.attempts,
    };
  }
}

function describe(init: EntraErrorInit): string {
  const where = init.method && init.path ? `${init.method} ${init.path}: ` : "";
  const facts = [
    init.status !== undefined && init.status > 0 ? `HTTP ${init.status}` : undefined,
    init.code ? `code ${init.code}` : undefined,
    init.transport ? `network ${init.transport}` : undefined,
    init.requestId ? `request-id ${init.requestId}` : undefined,
  ].filter((f): f is string => f !== undefined);
  return `${where}${init.message}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}`;
}

/** The kind for an HTTP status (the boundary's one table). */
export function kindForStatus(status: number): EntraErrorKind {
  if (status === 404 || status === 410) return "NotFound";
  if (status === 409 || status === 412) return "Conflict";
  if (status === 429) return "Throttled";
  if (status === 401) return "Auth";
  if (status === 403) return "Forbidden";
  if (status === 408 || status === 500 || status === 502 || status === 503 || status === 504) {
    return "Unavailable";
  }
  if (status >= 400 && status < 500) return "BadRequest";
  return "Other";
}

/**
 * Parses Retry-After: delay-seconds (Graph sends fractions such as "2.128") or an HTTP date.
 * Returns milliseconds, or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
