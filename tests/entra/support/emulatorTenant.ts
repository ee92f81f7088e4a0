// Starts the emulator for the Entra client's tests with extra app registrations (a certificate app and a
// federated-credential app), and builds core/entra configurations that point at it.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { parse } from "yaml";
import { type EntraConfig, type EntraSettings, resolveEntraConfig } from "../../../core/entra/index.js";
import {
  defaultTenantPath,
  type RunningEmulator,
  startEmulator,
  type TenantSeed,
} from "../../../emulator/index.js";
import { requireTool } from "../../support/tools.js";

export const ROLES = [
  "UserAuthenticationMethod.ReadWrite.All",
  "User.Read.All",
  "GroupMember.Read.All",
  "Policy.ReadWrite.AuthenticationMethod",
];

export const FEDERATED = {
  issuer: "https://ci.keyfleet.test",
  subject: "repo:keyfleet/keyfleet:ref:refs/heads/main",
};

export interface TestTenant {
  emu: RunningEmulator;
  dir: string;
  certApp: { clientId: string; pemPath: string };
  federatedApp: { clientId: string; tokenFile: string };
  config(settings?: EntraSettings): EntraConfig;
  stop(): Promise<void>;
}

export function defaultSeed(): TenantSeed {
  return parse(readFileSync(defaultTenantPath, "utf8")) as TenantSeed;
}

export async function startTestTenant(
  change: (seed: TenantSeed) => TenantSeed = (s) => s,
  synthetic?: number,
): Promise<TestTenant> {
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-entra-test-"));
  requireTool("openssl", "apt-get install -y openssl");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=keyfleet-test",
      "-days",
      "2",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  const certPem = readFileSync(join(dir, "cert.pem"), "utf8");
  const pemPath = join(dir, "client.pem");
  writeFileSync(pemPath, certPem + readFileSync(join(dir, "key.pem"), "utf8"));

  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certApp = { clientId: randomUUID(), pemPath };
  const federatedClientId = randomUUID();
  const seed = change(defaultSeed());
  seed.apps = [
    ...(seed.apps ?? []),
    { clientId: certApp.clientId, displayName: "keyfleet cert", certificates: [certPem], roles: ROLES },
    {
      clientId: federatedClientId,
      displayName: "keyfleet ci",
      roles: ROLES,
      federatedCredentials: [
        { ...FEDERATED, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() },
      ],
    },
  ];
  const tokenFile = join(dir, "federated-token");
  // What a CI runner writes: an OIDC token for Entra's token exchange audience.
  const ciToken = await new SignJWT({})
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(FEDERATED.issuer)
    .setSubject(FEDERATED.subject)
    .setAudience("api://AzureADTokenExchange")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);
  writeFileSync(tokenFile, ciToken);

  const emu = await startEmulator({ tenant: seed, ...(synthetic ? { synthetic } : {}) });
  return {
    emu,
    dir,
    certApp,
    federatedApp: { clientId: federatedClientId, tokenFile },
    config: (settings = {}) =>
      resolveEntraConfig({
        auth: "client-secret",
        cloud: "custom",
        authorityHost: emu.url,
        graphUrl: emu.url,
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        caCertPem: emu.caCertPem,
        ...settings,
      }),
    stop: async () => {
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
