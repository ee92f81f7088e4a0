// Shared set-up for the emulator contract tests: a tenant seed extended with test apps (no permissions, a
// certificate app, a federated app), raw HTTPS calls that trust the emulator's CA, and a registered key.
import "reflect-metadata";
import { generateKeyPairSync, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { exportSPKI, generateKeyPair, type CryptoKey as KeyLike, SignJWT } from "jose";
import { Agent, fetch } from "undici";
import { loadTenantSeed, type TenantSeed } from "../../../emulator/index.js";

export const people = {
  ada: "ada.lindqvist@northwindforge.example",
  ben: "ben.adeyemi@northwindforge.example",
  jonas: "jonas.berg@northwindforge.example",
  grace: "grace.oduya@northwindforge.example",
  mira: "mira.kovac@northwindforge.example",
  sam: "sam.okafor@northwindforge.example",
};
export const groups = {
  engineering: "ea721d0a-bf67-5aae-bc84-6a2be743ccfd",
  allStaff: "d397b649-2c1c-5ac0-8b47-8f0e52a76139",
  pilot: "c1760e28-99a6-5388-be75-5ca89af53540",
};
export const apps = {
  noPermissions: { clientId: "0b0b0b0b-0000-4000-8000-000000000001", secret: "no-permissions-secret" },
  readOnly: { clientId: "0b0b0b0b-0000-4000-8000-000000000002", secret: "read-only-secret" },
  certificate: { clientId: "0b0b0b0b-0000-4000-8000-000000000003" },
  federated: { clientId: "0b0b0b0b-0000-4000-8000-000000000004" },
};
export const federation = {
  issuer: "https://ci.northwindforge.example",
  subject: "repo:northwindforge/keyfleet:ref:refs/heads/main",
};

export interface TestKeys {
  /** Certificate + private key PEM for ClientCertificateCredential. */
  certificateAndKeyPem: string;
  certificatePem: string;
  /** Signs federated assertions as the CI issuer. */
  federatedKey: KeyLike;
  federatedPublicPem: string;
}

export async function makeTestKeys(): Promise<TestKeys> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const rsa = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const keys = (await webcrypto.subtle.generateKey(rsa, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=keyfleet-pipeline",
    keys,
    signingAlgorithm: rsa,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END PRIVATE KEY-----\n`;
  const fed = await generateKeyPair("ES256");
  return {
    certificateAndKeyPem: `${cert.toString("pem")}\n${keyPem}`,
    certificatePem: cert.toString("pem"),
    federatedKey: fed.privateKey,
    federatedPublicPem: await exportSPKI(fed.publicKey),
  };
}

export async function testTenant(keys: TestKeys, extra: Partial<TenantSeed> = {}): Promise<TenantSeed> {
  const seed = loadTenantSeed(undefined);
  const spki = keys.federatedPublicPem;
  return {
    ...seed,
    apps: [
      {
        clientId: apps.noPermissions.clientId,
        secret: apps.noPermissions.secret,
        displayName: "No permissions",
      },
      {
        clientId: apps.readOnly.clientId,
        secret: apps.readOnly.secret,
        roles: ["UserAuthMethod-Passkey.Read.All", "User.Read.All", "Policy.Read.AuthenticationMethod"],
      },
      {
        clientId: apps.certificate.clientId,
        certificates: [keys.certificatePem],
        roles: ["UserAuthenticationMethod.ReadWrite.All", "User.Read.All"],
      },
      {
        clientId: apps.federated.clientId,
        roles: ["User.Read.All"],
        federatedCredentials: [
          { issuer: federation.issuer, subject: federation.subject, publicKeyPem: spki },
        ],
      },
    ],
    ...extra,
  };
}

export async function federatedAssertion(keys: TestKeys, subject = federation.subject): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer(federation.issuer)
    .setSubject(subject)
    .setAudience("api://AzureADTokenExchange")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(keys.federatedKey);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A plain HTTPS call (no SDK) for checking exact statuses, headers and bodies. */
export function rawClient(emu: { url: string; caCertPem: string }) {
  const dispatcher = new Agent({ connect: { ca: emu.caCertPem } });
  const call = async (
    method: string,
    path: string,
    opts: {
      token?: string;
      body?: unknown;
      headers?: Record<string, string>;
      form?: Record<string, string>;
    } = {},
  ): Promise<RawResponse> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(`${emu.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      dispatcher,
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed, text };
  };
  return { call, close: () => dispatcher.close() };
}

/** Graph's error envelope, checked field by field. */
export function expectGraphError(r: RawResponse, status: number, code: string): { message: string } {
  const err = (r.body as { error?: { code?: string; message?: string; innerError?: Record<string, string> } })
    .error;
  if (r.status !== status || err?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${r.status} ${r.text}`);
  }
  const inner = err.innerError ?? {};
  if (!inner["request-id"] || !inner.date || !inner["client-request-id"])
    throw new Error(`innerError incomplete: ${r.text}`);
  return { message: err.message ?? "" };
}

export { generateKeyPairSync };
