// How Keyfleet reaches Entra: one documented set of settings, read from environment variables, from Pulumi
// config (same meaning, keys in the `keyfleet:` namespace) or from an options object, and checked once.
import { CLOUDS, type CloudName, isCloudName } from "./clouds.js";

export type AuthMethod =
  | "client-secret"
  | "client-certificate"
  | "workload-identity"
  | "managed-identity"
  | "device-code"
  | "interactive-browser"
  | "azure-cli";

const AUTH_METHODS: readonly AuthMethod[] = [
  "client-secret",
  "client-certificate",
  "workload-identity",
  "managed-identity",
  "device-code",
  "interactive-browser",
  "azure-cli",
];

/** The raw settings, as strings or typed values, before checking. Every field is optional. */
export interface EntraSettings {
  auth?: string | undefined;
  tenantId?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  clientCertificatePath?: string | undefined;
  clientCertificatePassword?: string | undefined;
  sendCertificateChain?: string | boolean | undefined;
  federatedTokenFile?: string | undefined;
  managedIdentityClientId?: string | undefined;
  cloud?: string | undefined;
  authorityHost?: string | undefined;
  graphUrl?: string | undefined;
  graphScope?: string | undefined;
  caCertPath?: string | undefined;
  caCertPem?: string | undefined;
  challengeTimeoutMinutes?: string | number | undefined;
  concurrency?: string | number | undefined;
  deadlineSeconds?: string | number | undefined;
  maxAttempts?: string | number | undefined;
  requestTimeoutSeconds?: string | number | undefined;
}

export interface SettingDoc {
  setting: keyof EntraSettings;
  env: string;
  pulumi: string;
  secret: boolean;
  meaning: string;
}

/** The one table of settings: the loader reads it and core/entra/README.md documents it. */
export const ENTRA_SETTINGS: readonly SettingDoc[] = [
  {
    setting: "auth",
    env: "KEYFLEET_ENTRA_AUTH",
    pulumi: "keyfleet:entraAuth",
    secret: false,
    meaning:
      "client-secret, client-certificate, workload-identity, managed-identity, device-code, interactive-browser or azure-cli; inferred from the secret, certificate or token file when absent",
  },
  {
    setting: "tenantId",
    env: "AZURE_TENANT_ID",
    pulumi: "keyfleet:entraTenantId",
    secret: false,
    meaning: "directory (tenant) id or domain",
  },
  {
    setting: "clientId",
    env: "AZURE_CLIENT_ID",
    pulumi: "keyfleet:entraClientId",
    secret: false,
    meaning: "application (client) id of the app registration",
  },
  {
    setting: "clientSecret",
    env: "AZURE_CLIENT_SECRET",
    pulumi: "keyfleet:entraClientSecret",
    secret: true,
    meaning: "client secret (client-secret)",
  },
  {
    setting: "clientCertificatePath",
    env: "AZURE_CLIENT_CERTIFICATE_PATH",
    pulumi: "keyfleet:entraClientCertificatePath",
    secret: false,
    meaning: "PEM file holding the certificate and its private key (client-certificate)",
  },
  {
    setting: "clientCertificatePassword",
    env: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    pulumi: "keyfleet:entraClientCertificatePassword",
    secret: true,
    meaning: "password of an encrypted private key (client-certificate)",
  },
  {
    setting: "sendCertificateChain",
    env: "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
    pulumi: "keyfleet:entraSendCertificateChain",
    secret: false,
    meaning: "true to send the x5c chain (subject name/issuer auth)",
  },
  {
    setting: "federatedTokenFile",
    env: "AZURE_FEDERATED_TOKEN_FILE",
    pulumi: "keyfleet:entraFederatedTokenFile",
    secret: false,
    meaning: "file holding the CI's OIDC token, re-read on every token request (workload-identity)",
  },
  {
    setting: "managedIdentityClientId",
    env: "KEYFLEET_MANAGED_IDENTITY_CLIENT_ID",
    pulumi: "keyfleet:entraManagedIdentityClientId",
    secret: false,
    meaning: "client id of a user-assigned managed identity; absent for system-assigned (managed-identity)",
  },
  {
    setting: "cloud",
    env: "KEYFLEET_ENTRA_CLOUD",
    pulumi: "keyfleet:entraCloud",
    secret: false,
    meaning:
      "public (default), usgov, usgov-dod, china or custom (then authorityHost and graphUrl are required)",
  },
  {
    setting: "authorityHost",
    env: "AZURE_AUTHORITY_HOST",
    pulumi: "keyfleet:entraAuthorityHost",
    secret: false,
    meaning: "sign-in host (https); overrides the cloud's; instance discovery is off for non-Microsoft hosts",
  },
  {
    setting: "graphUrl",
    env: "KEYFLEET_GRAPH_URL",
    pulumi: "keyfleet:entraGraphUrl",
    secret: false,
    meaning: "Graph root without version (https); overrides the cloud's",
  },
  {
    setting: "graphScope",
    env: "KEYFLEET_GRAPH_SCOPE",
    pulumi: "keyfleet:entraGraphScope",
    secret: false,
    meaning:
      "token scope; default `<graphUrl>/.default` (custom cloud: `https://graph.microsoft.com/.default`)",
  },
  {
    setting: "caCertPath",
    env: "KEYFLEET_ENTRA_CA_FILE",
    pulumi: "keyfleet:entraCaFile",
    secret: false,
    meaning:
      "PEM CA bundle trusted (instead of the system CAs) for the authority and Graph: local or private endpoints",
  },
  {
    setting: "challengeTimeoutMinutes",
    env: "KEYFLEET_CHALLENGE_TIMEOUT_MINUTES",
    pulumi: "keyfleet:entraChallengeTimeoutMinutes",
    secret: false,
    meaning:
      "5–43200: fetch creationOptions from beta with this challenge lifetime; absent: v1.0 (fixed 5 min)",
  },
  {
    setting: "concurrency",
    env: "KEYFLEET_GRAPH_CONCURRENCY",
    pulumi: "keyfleet:entraConcurrency",
    secret: false,
    meaning: "Graph requests in flight at once for bulk reads (default 4)",
  },
  {
    setting: "deadlineSeconds",
    env: "KEYFLEET_GRAPH_DEADLINE_SECONDS",
    pulumi: "keyfleet:entraDeadlineSeconds",
    secret: false,
    meaning: "overall time one operation may spend retrying (default 120)",
  },
  {
    setting: "maxAttempts",
    env: "KEYFLEET_GRAPH_MAX_ATTEMPTS",
    pulumi: "keyfleet:entraMaxAttempts",
    secret: false,
    meaning: "attempts per request, first included (default 6)",
  },
  {
    setting: "requestTimeoutSeconds",
    env: "KEYFLEET_GRAPH_REQUEST_TIMEOUT_SECONDS",
    pulumi: "keyfleet:entraRequestTimeoutSeconds",
    secret: false,
    meaning: "time one HTTP request may take before it counts as dropped (default 60)",
  },
];

/** The checked configuration every other module takes. */
export interface EntraConfig {
  auth: AuthMethod;
  tenantId: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientCertificatePath: string | undefined;
  clientCertificatePassword: string | undefined;
  sendCertificateChain: boolean;
  federatedTokenFile: string | undefined;
  managedIdentityClientId: string | undefined;
  cloud: CloudName;
  authorityHost: string;
  graphUrl: string;
  graphScope: string;
  /** True when the authority is not a Microsoft host (MSAL must not ask login.microsoftonline.com about it). */
  disableInstanceDiscovery: boolean;
  caCertPem: string | undefined;
  caCertPath: string | undefined;
  challengeTimeoutMinutes: number | undefined;
  concurrency: number;
  deadlineMs: number;
  maxAttempts: number;
  requestTimeoutMs: number;
}

export class EntraConfigError extends Error {
  readonly brand = "keyfleet.EntraConfigError";
  static isInstance(e: unknown): e is EntraConfigError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.EntraConfigError"
    );
  }
}

/** Reads the settings from environment variables (names in ENTRA_SETTINGS). */
export function entraSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EntraSettings {
  const out: Record<string, string> = {};
  for (const doc of ENTRA_SETTINGS) {
    const value = env[doc.env];
    if (value !== undefined && value !== "") out[doc.setting] = value;
  }
  return out as EntraSettings;
}

/**
 * Reads the settings through a Pulumi-config-like getter (`new pulumi.Config("keyfleet").get`), keyed by the
 * part after `keyfleet:`; core does not import Pulumi.
 */
export function entraSettingsFromPulumi(get: (key: string) => string | undefined): EntraSettings {
  const out: Record<string, string> = {};
  for (const doc of ENTRA_SETTINGS) {
    const value = get(doc.pulumi.slice("keyfleet:".length));
    if (value !== undefined && value !== "") out[doc.setting] = value;
  }
  return out as EntraSettings;
}

const MICROSOFT_AUTHORITY_HOSTS = new Set(
  Object.values(CLOUDS).map((c) => new URL(c.authorityHost).host.toLowerCase()),
);

/** Checks the settings and fills defaults; a missing or bad setting is an EntraConfigError naming it. */
export function resolveEntraConfig(settings: EntraSettings): EntraConfig {
  const cloudName = settings.cloud ?? "public";
  if (!isCloudName(cloudName)) {
    throw new EntraConfigError(
      `${envOf("cloud")}: unknown cloud '${cloudName}' (public, usgov, usgov-dod, china, custom)`,
    );
  }
  let authorityHost: string | undefined = settings.authorityHost;
  let graphUrl: string | undefined = settings.graphUrl;
  if (cloudName !== "custom") {
    authorityHost ??= CLOUDS[cloudName].authorityHost;
    graphUrl ??= CLOUDS[cloudName].graphUrl;
  }
  if (authorityHost === undefined || graphUrl === undefined) {
    throw new EntraConfigError(
      `cloud 'custom' needs ${envOf("authorityHost")} and ${envOf("graphUrl")} (both https URLs)`,
    );
  }
  authorityHost = httpsRoot("authorityHost", authorityHost);
  graphUrl = httpsRoot("graphUrl", graphUrl);

  const auth = resolveAuth(settings);
  const config: EntraConfig = {
    auth,
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    clientCertificatePath: settings.clientCertificatePath,
    clientCertificatePassword: settings.clientCertificatePassword,
    sendCertificateChain: parseBool("sendCertificateChain", settings.sendCertificateChain, false),
    federatedTokenFile: settings.federatedTokenFile,
    managedIdentityClientId: settings.managedIdentityClientId,
    cloud: cloudName,
    authorityHost,
    graphUrl,
    // A private or local endpoint stands in for Graph, so it takes Graph's own resource by default.
    graphScope:
      settings.graphScope ?? `${cloudName === "custom" ? CLOUDS.public.graphUrl : graphUrl}/.default`,
    disableInstanceDiscovery: !MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).host.toLowerCase()),
    caCertPem: settings.caCertPem,
    caCertPath: settings.caCertPath,
    challengeTimeoutMinutes: optionalInt(
      "challengeTimeoutMinutes",
      settings.challengeTimeoutMinutes,
      5,
      43_200,
    ),
    concurrency: optionalInt("concurrency", settings.concurrency, 1, 64) ?? 4,
    deadlineMs: (optionalInt("deadlineSeconds", settings.deadlineSeconds, 1, 86_400) ?? 120) * 1000,
    maxAttempts: optionalInt("maxAttempts", settings.maxAttempts, 1, 20) ?? 6,
    requestTimeoutMs:
      (optionalInt("requestTimeoutSeconds", settings.requestTimeoutSeconds, 1, 3600) ?? 60) * 1000,
  };
  requireFor(config);
  return config;
}

/** Environment first, then the options object on top: the usual way a command builds its config. */
export function loadEntraConfig(
  options: EntraSettings = {},
  env: NodeJS.ProcessEnv = process.env,
): EntraConfig {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return resolveEntraConfig({ ...entraSettingsFromEnv(env), ...defined });
}

function resolveAuth(settings: EntraSettings): AuthMethod {
  if (settings.auth !== undefined) {
    const wanted = settings.auth as AuthMethod;
    if (!AUTH_METHODS.includes(wanted)) {
      throw new EntraConfigError(
        `${envOf("auth")}: unknown method '${settings.auth}' (${AUTH_METHODS.join(", ")})`,
      );
    }
    return wanted;
  }
  if (settings.clientSecret) return "client-secret";
  if (settings.clientCertificatePath) return "client-certificate";
  if (settings.federatedTokenFile) return "workload-identity";
  throw new EntraConfigError(
    `no Entra credentials configured: set ${envOf("auth")} (${AUTH_METHODS.join(", ")}), or ${envOf("clientSecret")}, ${envOf("clientCertificatePath")} or ${envOf("federatedTokenFile")} with ${envOf("tenantId")} and ${envOf("clientId")}`,
  );
}

const NEEDS: Record<AuthMethod, (keyof EntraSettings)[]> = {
  "client-secret": ["tenantId", "clientId", "clientSecret"],
  "client-certificate": ["tenantId", "clientId", "clientCertificatePath"],
  "workload-identity": ["tenantId", "clientId", "federatedTokenFile"],
  "managed-identity": [],
  "device-code": ["tenantId", "clientId"],
  "interactive-browser": ["tenantId", "clientId"],
  "azure-cli": [],
};

function requireFor(config: EntraConfig): void {
  const missing = NEEDS[config.auth].filter((key) => {
    const value = (config as unknown as Record<string, unknown>)[key];
    return value === undefined || value === "";
  });
  if (missing.length > 0) {
    throw new EntraConfigError(`auth '${config.auth}' needs ${missing.map(envOf).join(", ")}`);
  }
}

/** How a setting is named to the user: `ENV_NAME (keyfleet:pulumiKey)`, for error messages. */
export function settingLabel(setting: keyof EntraSettings): string {
  return envOf(setting);
}

function envOf(setting: keyof EntraSettings): string {
  const doc = ENTRA_SETTINGS.find((d) => d.setting === setting);
  return doc ? `${doc.env} (${doc.pulumi})` : setting;
}

function httpsRoot(setting: keyof EntraSettings, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EntraConfigError(`${envOf(setting)}: '${value}' is not a URL`);
  }
  if (url.protocol !== "https:") throw new EntraConfigError(`${envOf(setting)}: '${value}' must use https`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function parseBool(
  setting: keyof EntraSettings,
  value: string | boolean | undefined,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new EntraConfigError(`${envOf(setting)}: '${value}' is not true or false`);
}

function optionalInt(
  setting: keyof EntraSettings,
  value: string | number | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new EntraConfigError(`${envOf(setting)}: '${value}' must be a whole number from ${min} to ${max}`);
  }
  return n;
}
