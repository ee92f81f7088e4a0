// Builds the real @azure/identity credentials and @microsoft/microsoft-graph-client against a running
// emulator, trusting its CA in-process (identity: tlsOptions.ca; Graph client: an undici dispatcher).
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  type TokenCredential,
} from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { Agent } from "undici";

export interface EmulatorEndpoint {
  url: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caCertPem: string;
}

export const graphScope = "https://graph.microsoft.com/.default";

function common(emu: EmulatorEndpoint) {
  return { authorityHost: emu.url, disableInstanceDiscovery: true, tlsOptions: { ca: emu.caCertPem } };
}

export function secretCredential(
  emu: EmulatorEndpoint,
  secret = emu.clientSecret,
  clientId = emu.clientId,
): ClientSecretCredential {
  return new ClientSecretCredential(emu.tenantId, clientId, secret, common(emu));
}

export function certificateCredential(
  emu: EmulatorEndpoint,
  clientId: string,
  certificateAndKeyPem: string,
): ClientCertificateCredential {
  return new ClientCertificateCredential(
    emu.tenantId,
    clientId,
    { certificate: certificateAndKeyPem },
    common(emu),
  );
}

export function deviceCodeCredential(
  emu: EmulatorEndpoint,
  onPrompt?: (userCode: string) => void,
): DeviceCodeCredential {
  return new DeviceCodeCredential({
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    ...common(emu),
    userPromptCallback: (info) => onPrompt?.(info.userCode),
  });
}

export function graphClient(
  emu: EmulatorEndpoint,
  credential: TokenCredential,
  scopes = [graphScope],
): { client: Client; close: () => Promise<void> } {
  const dispatcher = new Agent({ connect: { ca: emu.caCertPem } });
  const client = Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes }),
    baseUrl: emu.url,
    customHosts: new Set(["127.0.0.1"]),
    fetchOptions: { dispatcher },
  });
  return { client, close: () => dispatcher.close() };
}
