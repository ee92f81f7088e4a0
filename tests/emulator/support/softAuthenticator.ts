// A test-only software authenticator, written independently of the emulator: it builds WebAuthn
// registration responses (authenticator data, `packed` attestation with a certificate chain or self
// attestation, or `none`) from Graph creationOptions, and can be told to misbehave for refusal tests.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign, webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Encoder } from "cbor-x";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const ecdsa = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface AttestationChain {
  rootPem: string;
  /** x5c: leaf first, then the intermediate (DER). */
  x5c: Buffer[];
  leafKey: KeyObject;
}

/** A batch attestation chain: root CA → intermediate CA → leaf ("Authenticator Attestation"). */
export async function createAttestationChain(name = "Test Forge Keys"): Promise<AttestationChain> {
  const gen = async () =>
    (await webcrypto.subtle.generateKey(ecdsa, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const [rootKeys, midKeys, leafKeys] = [await gen(), await gen(), await gen()];
  const notBefore = new Date(Date.now() - 24 * 3600_000);
  const notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600_000);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name} Root CA, O=${name}, C=US`,
    keys: rootKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const mid = await x509.X509CertificateGenerator.create({
    subject: `CN=${name} Intermediate CA, O=${name}, C=US`,
    issuer: root.subject,
    publicKey: midKeys.publicKey,
    signingKey: rootKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `C=US, O=${name}, OU=Authenticator Attestation, CN=${name} Batch`,
    issuer: mid.subject,
    publicKey: leafKeys.publicKey,
    signingKey: midKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ecdsa,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const { KeyObject } = await import("node:crypto");
  return {
    rootPem: root.toString("pem"),
    x5c: [Buffer.from(leaf.rawData), Buffer.from(mid.rawData)],
    leafKey: KeyObject.from(leafKeys.privateKey as unknown as Parameters<typeof KeyObject.from>[0]),
  };
}

export interface CreationOptionsJson {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: { type: string; alg: number }[];
  excludeCredentials?: { id: string; type: string; transports: string[] }[];
}

export interface MakeOptions {
  attestation: "packed-chain" | "packed-self" | "none";
  chain?: AttestationChain;
  aaguid?: string;
  displayName?: string;
  /** Defaults: https:// + rp.id, rp.id from the options, "webauthn.create". */
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  /** Authenticator flags byte; default UP|UV|AT (0x45). */
  flags?: number;
  /** Flip a bit of the attestation signature. */
  forgeSignature?: boolean;
  credentialId?: Buffer;
  /** Send clientDataJSON and attestationObject as standard base64 with padding (as one sample does). */
  standardBase64?: boolean;
}

export interface Registration {
  body: {
    displayName: string;
    publicKeyCredential: { id: string; response: { clientDataJSON: string; attestationObject: string } };
  };
  credentialId: Buffer;
  /** The method id Graph should answer: base64url without padding plus the padding count. */
  expectedMethodId: string;
}

function aaguidBytes(aaguid: string): Buffer {
  return Buffer.from(aaguid.replace(/-/g, ""), "hex");
}

export function makeRegistration(options: CreationOptionsJson, make: MakeOptions): Registration {
  const rpId = make.rpId ?? options.rp.id;
  const credentialId = make.credentialId ?? randomBytes(32);
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const cose = new Map<number, unknown>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x ?? "", "base64url")],
    [-3, Buffer.from(jwk.y ?? "", "base64url")],
  ]);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(0);
  const idLen = Buffer.alloc(2);
  idLen.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    createHash("sha256").update(rpId).digest(),
    Buffer.from([make.flags ?? 0x45]),
    counter,
    aaguidBytes(make.aaguid ?? "00000000-0000-0000-0000-000000000000"),
    idLen,
    credentialId,
    Buffer.from(cbor.encode(cose)),
  ]);
  const clientDataJSON = Buffer.from(
    JSON.stringify({
      type: make.type ?? "webauthn.create",
      challenge: make.challenge ?? options.challenge,
      origin: make.origin ?? `https://${rpId}`,
      crossOrigin: false,
    }),
  );
  const signed = Buffer.concat([authData, createHash("sha256").update(clientDataJSON).digest()]);
  let attStmt = new Map<string, unknown>();
  let fmt = "none";
  if (make.attestation !== "none") {
    fmt = "packed";
    const key = make.attestation === "packed-chain" ? make.chain?.leafKey : privateKey;
    if (!key) throw new Error("packed-chain needs a chain");
    const sig = sign("sha256", signed, key);
    if (make.forgeSignature) sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0x01;
    attStmt = new Map<string, unknown>([
      ["alg", -7],
      ["sig", sig],
    ]);
    if (make.attestation === "packed-chain") attStmt.set("x5c", make.chain?.x5c ?? []);
  }
  const attestationObject = Buffer.from(
    cbor.encode(
      new Map<string, unknown>([
        ["fmt", fmt],
        ["attStmt", attStmt],
        ["authData", authData],
      ]),
    ),
  );
  const enc = (b: Buffer) => (make.standardBase64 ? b.toString("base64") : b.toString("base64url"));
  const b64 = credentialId.toString("base64");
  const pad = b64.length - b64.replace(/=+$/, "").length;
  return {
    body: {
      displayName: make.displayName ?? "Test key",
      publicKeyCredential: {
        id: credentialId.toString("base64url"),
        response: { clientDataJSON: enc(clientDataJSON), attestationObject: enc(attestationObject) },
      },
    },
    credentialId,
    expectedMethodId: `${credentialId.toString("base64url")}${pad}`,
  };
}
