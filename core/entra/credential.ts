// The one factory for the @azure/identity credential Keyfleet signs in with: pipelines (secret, certificate,
// workload identity federation, managed identity), stations (device code or browser sign-in) and developers
// (Azure CLI), in any national cloud or against a local endpoint with its own CA. Every credential comes
// wrapped: a failed sign-in names its real cause (classify.ts reads the wire exchanges recorded here), and a
// dropped connection or a 429/5xx on the sign-in endpoints is retried like a Graph read (retry.ts), one place
// for every caller, registrations included (no token, no POST: repeating sign-in is always safe).
import { readFileSync } from "node:fs";
import {
  type AccessToken,
  AzureCliCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  type DeviceCodeInfo,
  type GetTokenOptions,
  InteractiveBrowserCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
  WorkloadIdentityCredential,
} from "@azure/identity";
import {
  classifySignInFailure,
  rememberSignInFailure,
  type SignInExchange,
  type SignInFacts,
} from "./classify.js";
import { type EntraConfig, EntraConfigError, settingLabel } from "./config.js";
import { EntraError, parseRetryAfter } from "./errors.js";
import { type Clock, type RetryEvent, type RetryPolicy, systemClock, withRetry } from "./retry.js";

export interface CredentialHooks {
  /** Shows the operator where to sign in (device code); the default writes identity's message to stderr. */
  onDeviceCode?: (info: DeviceCodeInfo) => void;
  /** Overrides the config's attempts and deadline for sign-in, and sets the backoff base (tests). */
  retry?: Partial<RetryPolicy> | undefined;
  clock?: Clock | undefined;
  /** Called before each sign-in retry wait; never given a token. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

type PipelinePolicy = NonNullable<TokenCredentialOptions["additionalPolicies"]>[number]["policy"];

/** The CA bundle to trust for the authority and Graph, or undefined for the system's. */
export function trustedCaPem(config: EntraConfig): string | undefined {
  if (config.caCertPem !== undefined) return config.caCertPem;
  if (config.caCertPath === undefined) return undefined;
  try {
    return readFileSync(config.caCertPath, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new EntraConfigError(`KEYFLEET_ENTRA_CA_FILE: cannot read '${config.caCertPath}' (${reason})`);
  }
}

export function createCredential(config: EntraConfig, hooks: CredentialHooks = {}): TokenCredential {
  const recorder = new SignInRecorder();
  return new SignInCredential(
    () => identityCredential(config, hooks, recorder.policy),
    recorder,
    config,
    hooks,
  );
}

function identityCredential(
  config: EntraConfig,
  hooks: CredentialHooks,
  recorder: PipelinePolicy,
): TokenCredential {
  const ca = trustedCaPem(config);
  const common: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery,
    // Replaces the trusted CAs for identity's own HTTPS calls only; nothing process-wide changes.
    ...(ca !== undefined ? { tlsOptions: { ca } } : {}),
    // Sign-in is retried once, by SignInCredential under Keyfleet's policy, not also inside identity.
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [{ policy: recorder, position: "perRetry" }],
  };
  const tenantId = config.tenantId ?? "";
  const clientId = config.clientId ?? "";
  switch (config.auth) {
    case "client-secret":
      return new ClientSecretCredential(tenantId, clientId, config.clientSecret ?? "", common);
    case "client-certificate":
      return new ClientCertificateCredential(
        tenantId,
        clientId,
        {
          certificatePath: config.clientCertificatePath ?? "",
          ...(config.clientCertificatePassword
            ? { certificatePassword: config.clientCertificatePassword }
            : {}),
        },
        { ...common, sendCertificateChain: config.sendCertificateChain },
      );
    case "workload-identity":
      return new WorkloadIdentityCredential({
        ...common,
        tenantId,
        clientId,
        tokenFilePath: config.federatedTokenFile ?? "",
      });
    case "managed-identity":
      return config.managedIdentityClientId
        ? new ManagedIdentityCredential({ ...common, clientId: config.managedIdentityClientId })
        : new ManagedIdentityCredential(common);
    case "device-code":
      return new DeviceCodeCredential({
        ...common,
        tenantId,
        clientId,
        userPromptCallback: hooks.onDeviceCode ?? ((info) => process.stderr.write(`${info.message}\n`)),
      });
    case "interactive-browser":
      return new InteractiveBrowserCredential({ ...common, tenantId, clientId });
    case "azure-cli":
      return new AzureCliCredential(config.tenantId ? { tenantId: config.tenantId } : {});
  }
}

/** Keeps the latest sign-in exchanges (no bodies but Entra's error fields) for classify.ts to read. */
class SignInRecorder {
  private readonly exchanges: SignInExchange[] = [];
  private count = 0;

  readonly policy: PipelinePolicy = {
    name: "keyfleetSignInRecorder",
    sendRequest: async (request, next) => {
      const url = request.url.split("?")[0] ?? request.url;
      try {
        const response = await next(request);
        if (response.status >= 400) {
          this.add({
            method: request.method,
            url,
            status: response.status,
            oauth: oauthFields(response.bodyAsText ?? undefined),
            retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
          });
        } else {
          this.add({ method: request.method, url, status: response.status });
        }
        return response;
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        this.add({
          method: request.method,
          url,
          networkCode: typeof e.code === "string" ? e.code : "EUNKNOWN",
          networkMessage: typeof e.message === "string" ? e.message : undefined,
        });
        throw err;
      }
    },
  };

  /** A position to read from later: the exchanges of one getToken call. */
  mark(): number {
    return this.count;
  }

  since(mark: number): SignInExchange[] {
    const kept = this.count - this.exchanges.length;
    return this.exchanges.slice(Math.max(0, mark - kept));
  }

  private add(x: SignInExchange): void {
    this.exchanges.push(x);
    this.count++;
    if (this.exchanges.length > 16) this.exchanges.shift();
  }
}

function oauthFields(body: string | undefined): SignInExchange["oauth"] {
  if (body === undefined || !body.startsWith("{")) return undefined;
  try {
    const o = JSON.parse(body) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    return {
      error: str(o.error),
      description: str(o.error_description),
      codes: Array.isArray(o.error_codes)
        ? o.error_codes.filter((c): c is number => typeof c === "number")
        : undefined,
      traceId: str(o.trace_id),
      timestamp: str(o.timestamp),
    };
  } catch {
    return undefined;
  }
}

/** The credential every caller gets: identity's, with named failures and retried transient ones. */
class SignInCredential implements TokenCredential {
  private readonly facts: SignInFacts;
  private readonly policy: RetryPolicy;
  private inner: TokenCredential;
  private readonly tokens = new Map<
    string,
    { token: AccessToken } | { pending: Promise<AccessToken | null> }
  >();

  constructor(
    private readonly fresh: () => TokenCredential,
    private readonly recorder: SignInRecorder,
    config: EntraConfig,
    private readonly hooks: CredentialHooks,
  ) {
    this.facts = {
      tenantId: config.tenantId,
      authorityHost: config.authorityHost,
      caSource:
        config.caCertPem !== undefined
          ? { kind: "options" }
          : config.caCertPath !== undefined
            ? { kind: "file", path: config.caCertPath }
            : undefined,
      secrets: [config.clientSecret, config.clientCertificatePassword].filter(
        (s): s is string => typeof s === "string" && s !== "",
      ),
      labels: {
        tenantId: settingLabel("tenantId"),
        authorityHost: settingLabel("authorityHost"),
        caCertPath: settingLabel("caCertPath"),
      },
    };
    this.policy = {
      maxAttempts: config.maxAttempts,
      deadlineMs: config.deadlineMs,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      ...hooks.retry,
    };
    this.inner = fresh();
  }

  /**
   * One sign-in serves every request until the token nears its end: the Graph client asks for a token per
   * request, and an operator's device-code credential would otherwise prompt for each one whenever MSAL finds
   * nothing to refresh from (ceremonies in parallel each asked at once). Requests that arrive while a sign-in
   * is under way wait for it. A claims challenge (CAE) always signs in afresh.
   */
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    if (options?.claims) return this.signIn(scopes, options);
    const key = `${options?.tenantId ?? ""} ${[scopes].flat().sort().join(" ")}`;
    const held = this.tokens.get(key);
    if (held && "token" in held && Date.now() < renewAt(held.token)) return held.token;
    if (held && "pending" in held) return held.pending;
    const pending = this.signIn(scopes, options).then(
      (token) => {
        if (token) this.tokens.set(key, { token });
        else this.tokens.delete(key);
        return token;
      },
      (err: unknown) => {
        this.tokens.delete(key);
        throw err;
      },
    );
    this.tokens.set(key, { pending });
    return pending;
  }

  private async signIn(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    let last: EntraError | undefined;
    try {
      return await withRetry(
        async () => {
          const mark = this.recorder.mark();
          try {
            return await this.inner.getToken(scopes, options);
          } catch (err) {
            last = classifySignInFailure(err, this.recorder.since(mark), this.facts);
            // MSAL remembers a 429/5xx and refuses locally for up to 60 s: retry on a fresh client.
            if (last.transient) this.inner = this.fresh();
            throw last;
          }
        },
        { policy: this.policy, clock: this.hooks.clock ?? systemClock, onRetry: this.hooks.onRetry },
      );
    } catch (err) {
      if (!EntraError.isInstance(err) || last === undefined) throw err;
      // Retried as far as the policy allows: from here on it is a sign-in failure, which nobody repeats.
      const final =
        err.transient || err.kind === "Deadline"
          ? new EntraError({
              kind: "Auth",
              message: `${last.summary} — gave up after ${err.attempts} attempt(s)`,
              status: last.status,
              code: last.code,
              requestId: last.requestId,
              date: last.date,
              transport: last.transport,
              method: last.method,
              path: last.path,
              attempts: err.attempts,
            })
          : err;
      throw rememberSignInFailure(final);
    }
  }
}

/** Renew five minutes before the end (as MSAL does), or when Entra says to refresh, whichever is first. */
function renewAt(token: AccessToken): number {
  const end = token.expiresOnTimestamp - 5 * 60_000;
  return token.refreshAfterTimestamp !== undefined ? Math.min(end, token.refreshAfterTimestamp) : end;
}
