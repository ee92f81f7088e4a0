// The virtual key's attestation material: a generated root CA and a batch certificate that meets the
// packed attestation rules (WebAuthn §8.2.1: version 3; subject C, O, OU "Authenticator Attestation", CN;
// basic constraints CA false; the AAGUID in extension 1.3.6.1.4.1.45724.1.1.4, not critical), and the
// packed attestation statement signed with the batch key. The root is exported as PEM so a relying party
// (the Graph emulator) can trust it.
// @peculiar/x509 resolves to its CommonJS build, whose tsyringe needs the Reflect metadata polyfill loaded
// first (it arrives with @simplewebauthn/server).
import "reflect-metadata";
import { createPrivateKey, type KeyObject, sign, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/** The WebCrypto object in the shape @peculiar/x509 declares (Node's webcrypto, typed without DOM lib). */
const crypto = webcrypto as unknown as NonNullable<
  Parameters<typeof x509.X509CertificateGenerator.create>[1]
>;
type KeyPair = webcrypto.CryptoKeyPair;
const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
/** FIDO's id-fido-gen-ce-aaguid extension. */
export const AAGUID_EXTENSION_OID = "1.3.6.1.4.1.45724.1.1.4";
/** COSE algorithm of the batch key (ES256). */
export const ATTESTATION_ALG = -7;

/** What persists: the root (so the batch can be re-issued for a new AAGUID) and the batch. */
export interface AttestationMaterial {
  rootCertificatePem: string;
  rootKeyPkcs8: string;
  batchCertificatePem: string;
  batchKeyPkcs8: string;
  /** The AAGUID the batch certificate carries, as 32 hex digits. */
  aaguidHex: string;
}

export interface AttestationIdentity {
  aaguid: Uint8Array;
  model: string;
}

/** Creates a fresh root CA and a batch certificate for the given AAGUID and model. */
export async function generateAttestation(identity: AttestationIdentity): Promise<AttestationMaterial> {
  const rootKeys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as KeyPair;
  const now = Date.now();
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `C=US, O=Keyfleet, OU=Authenticator Attestation, CN=${escapeRdn(identity.model)} Root CA`,
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 20 * 365 * 86_400_000),
      keys: rootKeys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const rootKeyPkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", rootKeys.privateKey)).toString(
    "base64",
  );
  return issueBatch({ rootCertificatePem: root.toString("pem"), rootKeyPkcs8 }, identity);
}

/** Issues a new batch certificate under an existing root (used when the configured AAGUID changes). */
export async function issueBatch(
  root: Pick<AttestationMaterial, "rootCertificatePem" | "rootKeyPkcs8">,
  identity: AttestationIdentity,
): Promise<AttestationMaterial> {
  const leaf = await issueLeaf(root, identity);
  return {
    ...root,
    batchCertificatePem: leaf.certificatePem,
    batchKeyPkcs8: leaf.keyPkcs8,
    aaguidHex: Buffer.from(identity.aaguid).toString("hex"),
  };
}

/**
 * This one key's enterprise attestation (CTAP 2.1 §7.1): a certificate of its own, under the same root,
 * whose subject carries the device's serial number (X.520 serialNumber, 2.5.4.5), as an organisation's
 * inventory knows it. Never sent unless the platform asks for enterprise attestation.
 */
export interface EnterpriseAttestation {
  serial: string;
  certificatePem: string;
  keyPkcs8: string;
  /** RP IDs for vendor-facilitated enterprise attestation (value 1); platform-managed (2) serves any. */
  rpIds: string[];
}

export async function issueEnterprise(
  root: Pick<AttestationMaterial, "rootCertificatePem" | "rootKeyPkcs8">,
  identity: AttestationIdentity,
  serial: string,
  rpIds: readonly string[] = [],
): Promise<EnterpriseAttestation> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(serial)) throw new Error(`'${serial}' is not a serial number`);
  const leaf = await issueLeaf(root, identity, serial);
  return { serial, ...leaf, rpIds: [...rpIds] };
}

/** A packed-rules attestation leaf under the root; with a serial, that serial in its subject. */
async function issueLeaf(
  root: Pick<AttestationMaterial, "rootCertificatePem" | "rootKeyPkcs8">,
  identity: AttestationIdentity,
  serial?: string,
): Promise<{ certificatePem: string; keyPkcs8: string }> {
  if (identity.aaguid.length !== 16) throw new Error("an AAGUID is 16 bytes");
  const rootCert = new x509.X509Certificate(root.rootCertificatePem);
  const rootKey = await crypto.subtle.importKey(
    "pkcs8",
    Buffer.from(root.rootKeyPkcs8, "base64"),
    EC,
    false,
    ["sign"],
  );
  const leafKeys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as KeyPair;
  const now = Date.now();
  // The extension's value is an OCTET STRING wrapping the 16 AAGUID bytes.
  const aaguidValue = Uint8Array.of(0x04, 0x10, ...identity.aaguid);
  const subject = `C=US, O=Keyfleet, OU=Authenticator Attestation, CN=${escapeRdn(identity.model)}`;
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: serial === undefined ? subject : `${subject}, ${SERIAL_NUMBER_OID}=${serial}`,
      issuer: rootCert.subject,
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 15 * 365 * 86_400_000),
      publicKey: leafKeys.publicKey,
      signingKey: rootKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.Extension(AAGUID_EXTENSION_OID, false, aaguidValue),
        await x509.AuthorityKeyIdentifierExtension.create(rootCert.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    certificatePem: leaf.toString("pem"),
    keyPkcs8: Buffer.from(await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey)).toString("base64"),
  };
}

/** X.520 serialNumber: the device serial in an enterprise attestation certificate's subject. */
export const SERIAL_NUMBER_OID = "2.5.4.5";

/** Signs with the batch key: the packed attestation statement's `sig` over authData ‖ clientDataHash. */
export class Attester {
  private readonly key: KeyObject;
  readonly batchCertificateDer: Uint8Array;
  private readonly enterprise: { key: KeyObject; der: Uint8Array } | undefined;

  constructor(material: AttestationMaterial, enterprise?: EnterpriseAttestation) {
    this.key = privateKey(material.batchKeyPkcs8);
    this.batchCertificateDer = new Uint8Array(new x509.X509Certificate(material.batchCertificatePem).rawData);
    if (enterprise)
      this.enterprise = {
        key: privateKey(enterprise.keyPkcs8),
        der: new Uint8Array(new x509.X509Certificate(enterprise.certificatePem).rawData),
      };
  }

  /**
   * The packed attestation statement `{alg, sig, x5c}` (WebAuthn §8.2), with an ASN.1 DER signature; by
   * the key's own enterprise certificate when `enterprise` (the caller has checked it may be given).
   */
  packedStatement(
    authData: Uint8Array,
    clientDataHash: Uint8Array,
    enterprise = false,
  ): Map<string, number | Uint8Array | Uint8Array[]> {
    const by =
      enterprise && this.enterprise ? this.enterprise : { key: this.key, der: this.batchCertificateDer };
    const sig = sign("sha256", Buffer.concat([authData, clientDataHash]), by.key);
    return new Map<string, number | Uint8Array | Uint8Array[]>([
      ["alg", ATTESTATION_ALG],
      ["sig", new Uint8Array(sig)],
      ["x5c", [by.der]],
    ]);
  }
}

function privateKey(pkcs8: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8, "base64"), format: "der", type: "pkcs8" });
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString("hex");
}

/** Keeps a configured model name from breaking the distinguished-name syntax. */
function escapeRdn(value: string): string {
  return value.replace(/[,+="\\<>;]/g, " ").trim() || "Keyfleet Virtual Key";
}
