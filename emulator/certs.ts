// The emulator's own certificate authority and loopback server certificate, made on first start in the
// data directory and reused after, so clients can trust one CA file across restarts.

import { webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

type CryptoKeyPair = webcrypto.CryptoKeyPair;

import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface ServerCertificates {
  caCertPath: string;
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const ecdsa = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

/** Loads the CA and server certificate from dataDir, generating them when any file is missing. */
export async function ensureCertificates(dataDir: string): Promise<ServerCertificates> {
  mkdirSync(dataDir, { recursive: true });
  const caCertPath = join(dataDir, "ca.pem");
  const serverCertPath = join(dataDir, "server.pem");
  const serverKeyPath = join(dataDir, "server-key.pem");
  if (existsSync(caCertPath) && existsSync(serverCertPath) && existsSync(serverKeyPath)) {
    return {
      caCertPath,
      caCertPem: readFileSync(caCertPath, "utf8"),
      serverCertPem: readFileSync(serverCertPath, "utf8"),
      serverKeyPem: readFileSync(serverKeyPath, "utf8"),
    };
  }
  const subtle = webcrypto.subtle;
  const caKeys = (await subtle.generateKey(ecdsa, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000);
  const notAfter = new Date(now + 10 * 365 * 24 * 60 * 60 * 1000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=Keyfleet Entra Emulator Local CA, O=Keyfleet",
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = (await subtle.generateKey(ecdsa, true, ["sign", "verify"])) as CryptoKeyPair;
  const server = await x509.X509CertificateGenerator.create({
    subject: "CN=127.0.0.1",
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter: new Date(now + 2 * 365 * 24 * 60 * 60 * 1000),
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "dns", value: "localhost" },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caCertPem = ca.toString("pem");
  const serverCertPem = server.toString("pem");
  const serverKeyPem = toPem(await subtle.exportKey("pkcs8", serverKeys.privateKey), "PRIVATE KEY");
  writeFileSync(serverKeyPath, serverKeyPem, { mode: 0o600 });
  writeFileSync(serverCertPath, serverCertPem);
  // The CA's private key is never written: a fresh CA is made if the server certificate is lost.
  writeFileSync(caCertPath, caCertPem);
  return { caCertPath, caCertPem, serverCertPem, serverKeyPem };
}
