import { describe, expect, it } from "vitest";
import {
  ENTRA_SETTINGS,
  EntraConfigError,
  entraSettingsFromPulumi,
  loadEntraConfig,
  resolveEntraConfig,
} from "../../core/entra/config.js";

const SECRET = "s3cr3t-value-never-shown";

describe("Entra configuration", () => {
  it("should infer client-secret auth and the public cloud from the environment", () => {
    const config = loadEntraConfig(
      {},
      { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: SECRET },
    );
    expect(config.auth).toBe("client-secret");
    expect(config.authorityHost).toBe("https://login.microsoftonline.com");
    expect(config.graphUrl).toBe("https://graph.microsoft.com");
    expect(config.graphScope).toBe("https://graph.microsoft.com/.default");
    expect(config.disableInstanceDiscovery).toBe(false);
    expect(config.concurrency).toBe(4);
  });

  it("should pick national cloud hosts by name", () => {
    const base = { auth: "azure-cli" };
    expect(resolveEntraConfig({ ...base, cloud: "usgov" }).graphUrl).toBe("https://graph.microsoft.us");
    expect(resolveEntraConfig({ ...base, cloud: "china" }).authorityHost).toBe(
      "https://login.chinacloudapi.cn",
    );
    expect(resolveEntraConfig({ ...base, cloud: "usgov-dod" }).graphUrl).toBe(
      "https://dod-graph.microsoft.us",
    );
  });

  it("should turn instance discovery off for a custom authority and need both hosts", () => {
    const config = resolveEntraConfig({
      auth: "azure-cli",
      cloud: "custom",
      authorityHost: "https://127.0.0.1:8443/",
      graphUrl: "https://127.0.0.1:8443",
    });
    expect(config.disableInstanceDiscovery).toBe(true);
    expect(config.authorityHost).toBe("https://127.0.0.1:8443");
    expect(config.graphScope).toBe("https://graph.microsoft.com/.default");
    expect(() => resolveEntraConfig({ auth: "azure-cli", cloud: "custom" })).toThrow(/KEYFLEET_GRAPH_URL/);
  });

  it("should refuse http endpoints, unknown methods and out-of-range numbers, naming the setting", () => {
    expect(() => resolveEntraConfig({ auth: "azure-cli", graphUrl: "http://x" })).toThrow(/must use https/);
    expect(() => resolveEntraConfig({ auth: "password" })).toThrow(/KEYFLEET_ENTRA_AUTH/);
    expect(() => resolveEntraConfig({ auth: "azure-cli", challengeTimeoutMinutes: "4" })).toThrow(
      /5 to 43200/,
    );
    expect(() => resolveEntraConfig({ auth: "azure-cli", concurrency: "x" })).toThrow(EntraConfigError);
  });

  it("should say which settings a method needs, without echoing secret values", () => {
    let message = "";
    try {
      resolveEntraConfig({ auth: "client-secret", clientSecret: SECRET });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/AZURE_TENANT_ID.*AZURE_CLIENT_ID/);
    expect(message).not.toContain(SECRET);
    expect(() => loadEntraConfig({}, {})).toThrow(/no Entra credentials configured/);
  });

  it("should read the same settings from Pulumi config keys", () => {
    const values: Record<string, string> = {
      entraAuth: "workload-identity",
      entraTenantId: "t",
      entraClientId: "c",
      entraFederatedTokenFile: "/var/run/token",
    };
    const config = resolveEntraConfig(entraSettingsFromPulumi((k) => values[k]));
    expect(config.auth).toBe("workload-identity");
    expect(config.federatedTokenFile).toBe("/var/run/token");
  });

  it("should document every setting once, with an env var and a keyfleet: Pulumi key", () => {
    const envs = ENTRA_SETTINGS.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const s of ENTRA_SETTINGS) expect(s.pulumi.startsWith("keyfleet:entra")).toBe(true);
  });
});
