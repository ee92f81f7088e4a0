// Credential key pairs: ES256 (P-256) generation, the COSE_Key form of the public key that goes into
// attestedCredentialData, and signing (ASN.1 DER ECDSA, as WebAuthn's ES256 signatures are).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { CborValue } from "../cbor.js";

/** COSE algorithm ES256. */
export const ES256 = -7;

export interface CredentialKey {
  privateKeyPkcs8: string;
  cosePublicKey: Map<number, CborValue>;
}

export function generateCredentialKey(): CredentialKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKeyPkcs8: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    cosePublicKey: cosePublicKeyOf(privateKey),
  };
}

/** Caches parsed keys: a credential signs many times, parsing PKCS#8 each time is waste. */
const parsed = new Map<string, KeyObject>();

function keyOf(privateKeyPkcs8: string): KeyObject {
  let key = parsed.get(privateKeyPkcs8);
  if (!key) {
    key = createPrivateKey({ key: Buffer.from(privateKeyPkcs8, "base64"), format: "der", type: "pkcs8" });
    if (parsed.size > 1024) parsed.clear();
    parsed.set(privateKeyPkcs8, key);
  }
  return key;
}

/** The COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}. */
export function cosePublicKey(privateKeyPkcs8: string): Map<number, CborValue> {
  return cosePublicKeyOf(keyOf(privateKeyPkcs8));
}

function cosePublicKeyOf(privateKey: KeyObject): Map<number, CborValue> {
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  return new Map<number, CborValue>([
    [1, 2],
    [3, ES256],
    [-1, 1],
    [-2, new Uint8Array(Buffer.from(jwk.x ?? "", "base64url"))],
    [-3, new Uint8Array(Buffer.from(jwk.y ?? "", "base64url"))],
  ]);
}

export function signWithCredential(privateKeyPkcs8: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign("sha256", data, keyOf(privateKeyPkcs8)));
}
