// The boundary: whatever the Graph SDK or @azure/identity throws becomes one EntraError here, once.
import { EntraError, type EntraErrorKind, kindForStatus, parseRetryAfter } from "./errors.js";
import { TRANSPORT_ERROR_NAME, transportCodeOf } from "./graphClient.js";

/** Names of @azure/identity errors: no token could be had. */
const AUTH_ERROR_NAMES = new Set([
  "AuthenticationRequiredError",
  "CredentialUnavailableError",
  "AuthenticationError",
  "AggregateAuthenticationError",
]);

interface GraphErrorLike {
  statusCode?: unknown;
  code?: unknown;
  requestId?: unknown;
  body?: unknown;
  headers?: { get(name: string): string | null } | undefined;
  message?: unknown;
  name?: unknown;
}

export interface RequestFacts {
  method: string;
  path: string;
  /** Strings that must never appear in a message (client secret, certificate password). */
  secrets?: readonly string[] | undefined;
}

export function classifyFailure(err: unknown, facts: RequestFacts): EntraError {
  if (EntraError.isInstance(err)) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as GraphErrorLike;
  const status = typeof e.statusCode === "number" && e.statusCode > 0 ? e.statusCode : undefined;
  const code = typeof e.code === "string" && e.code !== "" ? e.code : undefined;
  const rawMessage = typeof e.message === "string" && e.message !== "" ? e.message : "request failed";
  const message = redact(rawMessage, facts.secrets);
  const headers = e.headers && typeof e.headers.get === "function" ? e.headers : undefined;
  const requestId =
    (typeof e.requestId === "string" && e.requestId !== "" ? e.requestId : undefined) ??
    headers?.get("request-id") ??
    undefined;
  // GraphError.date is "now" unless Graph sent one; only Graph's own date (body or header) is kept.
  const date = innerDate(e.body) ?? headers?.get("date") ?? undefined;
  const base = { message, code, requestId, date, method: facts.method, path: safePath(facts.path) };

  if (status !== undefined && status < 300 && code === "TypeError") {
    // The answer started and then broke off: for a write, nobody knows whether it was committed.
    return new EntraError({
      ...base,
      code: undefined,
      kind: "Unavailable",
      transport: "ETRUNCATED",
      status,
      message: "connection dropped mid-response",
    });
  }
  if (status !== undefined) {
    return new EntraError({
      ...base,
      kind: kindForStatus(status),
      status,
      retryAfterMs: parseRetryAfter(headers?.get("retry-after")),
    });
  }
  const transport = code === TRANSPORT_ERROR_NAME ? transportCodeOf(rawMessage) : undefined;
  if (transport !== undefined) {
    return new EntraError({
      ...base,
      code: undefined,
      kind: "Unavailable",
      transport,
      message: "connection dropped",
    });
  }
  const name = typeof e.name === "string" ? e.name : undefined;
  let kind: EntraErrorKind = "Other";
  if ((code && AUTH_ERROR_NAMES.has(code)) || (name && AUTH_ERROR_NAMES.has(name))) kind = "Auth";
  else if (name === "GraphClientError" && /token/i.test(rawMessage)) kind = "Auth";
  return new EntraError({ ...base, kind, message: kind === "Auth" ? `sign-in failed: ${message}` : message });
}

function innerDate(body: unknown): string | undefined {
  if (typeof body !== "string" || !body.startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(body) as { innerError?: { date?: unknown } };
    const date = parsed.innerError?.date;
    return typeof date === "string" && date !== "" ? date : undefined;
  } catch {
    return undefined;
  }
}

/** Paths carry UPNs and ids, which are fine to show; query strings are cut (they may carry anything). */
function safePath(path: string): string {
  try {
    const url = new URL(path, "https://graph.invalid");
    return url.pathname;
  } catch {
    return path.split("?")[0] ?? path;
  }
}

export function redact(text: string, secrets: readonly string[] | undefined): string {
  let out = text;
  for (const secret of secrets ?? []) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  // Bearer tokens and JWT-looking strings, whatever put them there.
  return out
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]")
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, "[redacted-jwt]");
}
