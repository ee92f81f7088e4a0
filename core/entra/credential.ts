// The one factory for the @azure/identity credential Keyfleet signs in with: pipelines (secret, certificate,
// workload identity federation, managed identity), stations (device code or browser sign-in) and developers
// (Azure CLI), in any national cloud or against a local endpoint with its own CA.
import { readFileSync } from "node:fs";
import {
  AzureCliCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  type DeviceCodeInfo,
  InteractiveBrowserCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { type EntraConfig, EntraConfigError } from "./config.js";

export interface CredentialHooks {
  /** Shows the operator where to sign in (device code); the default writes identity's message to stderr. */
  onDeviceCode?: (info: DeviceCodeInfo) => void;
}

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
  const ca = trustedCaPem(config);
  const common: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery,
    // Replaces the trusted CAs for identity's own HTTPS calls only; nothing process-wide changes.
    ...(ca !== undefined ? { tlsOptions: { ca } } : {}),
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
