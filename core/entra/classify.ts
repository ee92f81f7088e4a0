// The boundary: whatever the Graph SDK or @azure/identity throws becomes one EntraError here, once; a failed
// sign-in is named by its real cause (untrusted CA, refused connection, unknown tenant, dropped connection).
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
  const remembered =
    typeof (err as { message?: unknown })?.message === "string"
      ? signInFailures.get((err as Error).message)
      : undefined;
  if (remembered !== undefined) return remembered;
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

/**
 * One HTTP exchange of a sign-in (OIDC metadata, token endpoint), as credential.ts records it: the URL
 * without its query, and either the status with Entra's OAuth error fields, or the network failure's code.
 * Never a request or a successful response body (they carry the secret and the token).
 */
export interface SignInExchange {
  method: string;
  url: string;
  status?: number | undefined;
  oauth?:
    | {
        error?: string | undefined;
        description?: string | undefined;
        codes?: number[] | undefined;
        traceId?: string | undefined;
        timestamp?: string | undefined;
      }
    | undefined;
  retryAfterMs?: number | undefined;
  /** ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, PARSE_ERROR (body cut off), … */
  networkCode?: string | undefined;
  networkMessage?: string | undefined;
}

/** What the message may name about the configuration: which CA is trusted, the tenant, the setting names. */
export interface SignInFacts {
  tenantId: string | undefined;
  authorityHost: string;
  /** Where the trusted CA comes from: a file path, "options" (a PEM given in code) or undefined (system). */
  caSource: { kind: "file"; path: string } | { kind: "options" } | undefined;
  secrets?: readonly string[] | undefined;
  /** Setting names as shown to the user, e.g. `AZURE_TENANT_ID (keyfleet:entraTenantId)`. */
  labels: { tenantId: string; authorityHost: string; caCertPath: string };
}

const TLS_CODE = /CERT|SELF_SIGNED|LEAF_SIGNATURE|^ERR_TLS|^ERR_SSL|^EPROTO$/;
/** The connection broke after it was made: the same request may well succeed (a retry is safe, nothing was
 * issued that matters; a token issued and lost is simply never used). */
const DROPPED_CODES = new Set([
  "ECONNRESET",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "EAI_AGAIN",
  "PARSE_ERROR",
  "UND_ERR_SOCKET",
]);
const UNKNOWN_TENANT_CODES = new Set([90002, 900023, 90072]);

/**
 * Names the real cause of a failed sign-in from what the wire showed, since @azure/identity reports an
 * untrusted CA, a closed port and an unknown tenant alike ("endpoints_resolution_error"). Dropped
 * connections and 429/5xx answers come back as "Unavailable" (transient: credential.ts retries them);
 * everything else as "Auth".
 */
export function classifySignInFailure(
  err: unknown,
  exchanges: readonly SignInExchange[],
  facts: SignInFacts,
): EntraError {
  if (EntraError.isInstance(err)) return err;
  const failed = [...exchanges].reverse().find((x) => x.networkCode !== undefined || (x.status ?? 0) >= 400);
  const raw =
    typeof (err as { message?: unknown })?.message === "string" ? (err as Error).message : String(err);
  const fallback = redact(raw, facts.secrets);
  if (failed === undefined) return new EntraError({ kind: "Auth", message: `sign-in failed: ${fallback}` });
  const url = safeUrl(failed.url);
  const where = { method: failed.method, path: url.pathname };
  const hostPort = `${url.hostname}:${url.port || "443"}`;
  const code = failed.networkCode;
  if (code !== undefined) {
    const transport = { ...where, transport: code };
    if (TLS_CODE.test(code)) {
      return new EntraError({
        ...transport,
        kind: "Auth",
        message: `sign-in failed: the TLS certificate of ${url.origin} is not trusted (${failed.networkMessage ?? code}); ${trustAdvice(facts, code, url.hostname)}`,
      });
    }
    if (code === "ECONNREFUSED") {
      return new EntraError({
        ...transport,
        kind: "Auth",
        message: `sign-in failed: connection refused by ${hostPort}: nothing listens there; check ${facts.labels.authorityHost} (now ${facts.authorityHost}), or start the emulator (\`keyfleet emulator\`) on that port`,
      });
    }
    if (code === "ENOTFOUND") {
      return new EntraError({
        ...transport,
        kind: "Auth",
        message: `sign-in failed: the host ${url.hostname} does not resolve; check ${facts.labels.authorityHost} (now ${facts.authorityHost})`,
      });
    }
    if (DROPPED_CODES.has(code)) {
      return new EntraError({
        ...transport,
        kind: "Unavailable",
        message: `sign-in failed: the connection to ${hostPort} dropped (${failed.networkMessage ?? code})`,
      });
    }
    return new EntraError({
      ...transport,
      kind: "Auth",
      message: `sign-in failed: ${failed.networkMessage ?? code} talking to ${hostPort}`,
    });
  }
  const status = failed.status ?? 0;
  const oauth = failed.oauth ?? {};
  const aadsts = oauth.codes?.[0] ?? aadstsOf(oauth.description);
  const detail = {
    ...where,
    status,
    code: aadsts !== undefined ? `AADSTS${aadsts}` : oauth.error,
    requestId: oauth.traceId,
    date: oauth.timestamp,
    retryAfterMs: failed.retryAfterMs,
  };
  const said = firstSentence(oauth.description);
  const description = redact(said ?? `HTTP ${status}`, facts.secrets);
  if (status === 429 || status >= 500 || oauth.error === "temporarily_unavailable") {
    const what = status === 429 ? "is throttling sign-in" : "is unavailable";
    return new EntraError({
      ...detail,
      kind: status === 429 ? "Throttled" : "Unavailable",
      message: `sign-in failed: ${url.origin} ${what}${said !== undefined ? ` (${redact(said, facts.secrets)})` : ""}`,
    });
  }
  const tenantUnknown =
    oauth.error === "invalid_tenant" ||
    [...(oauth.codes ?? []), ...(aadsts !== undefined ? [aadsts] : [])].some((c) =>
      UNKNOWN_TENANT_CODES.has(c),
    );
  if (tenantUnknown) {
    return new EntraError({
      ...detail,
      kind: "Auth",
      message: `sign-in failed: ${url.origin} does not know tenant '${facts.tenantId ?? ""}' (${description}); check ${facts.labels.tenantId}`,
    });
  }
  return new EntraError({ ...detail, kind: "Auth", message: `sign-in refused: ${description}` });
}

function trustAdvice(facts: SignInFacts, code: string, host: string): string {
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `the certificate does not name the host ${host}`;
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID")
    return "the server's certificate is outside its validity period";
  const emulator =
    "against the local emulator, the emulator's CA must be given: the ca.pem in its data directory (`keyfleet emulator` prints its path)";
  const source = facts.caSource;
  if (source === undefined)
    return `no CA file is configured in ${facts.labels.caCertPath}, so only the system's CAs are trusted; give the CA that signed the server's certificate there — ${emulator}`;
  if (source.kind === "file")
    return `the CA file ${source.path}, configured in ${facts.labels.caCertPath}, did not sign the server's certificate; give the right CA — ${emulator}`;
  return `the CA given in the options (caCertPem) did not sign the server's certificate — ${emulator}`;
}

function aadstsOf(description: string | undefined): number | undefined {
  const m = /^AADSTS(\d+)/.exec(description ?? "");
  return m ? Number(m[1]) : undefined;
}

function firstSentence(text: string | undefined): string | undefined {
  if (text === undefined || text === "") return undefined;
  // Entra appends "Trace ID: … Correlation ID: … Timestamp: …"; the ids travel in their own fields.
  return text.replace(/\s*Trace ID:[\s\S]*$/, "").trim();
}

function safeUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    return new URL("https://unknown.invalid/");
  }
}

/**
 * The Graph SDK keeps only the name and message of what the credential throws; the sign-in error is kept
 * here, by its message, so the boundary hands back the same typed error (bounded: the latest few).
 */
const signInFailures = new Map<string, EntraError>();

export function rememberSignInFailure(err: EntraError): EntraError {
  signInFailures.delete(err.message);
  signInFailures.set(err.message, err);
  if (signInFailures.size > 32) signInFailures.delete(signInFailures.keys().next().value as string);
  return err;
}
