// Ed25519 signing keys (node:crypto): generation, PEM files, key ids, and detached signatures over
// canonical JSON. Tasks are signed by the pipeline's key; records by the key of whoever wrote them.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { canonicalJson } from "./canonicalJson.js";

/** A detached signature as stored next to a task or record. */
export interface Signature {
  alg: "Ed25519";
  /** First 16 bytes (hex) of SHA-256 over the raw 32-byte public key. */
  keyId: string;
  /** base64url signature over the canonical JSON of the signed fields. */
  value: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export class SigningKeyError extends Error {
  readonly brand = "keyfleet.SigningKeyError";
  static isInstance(e: unknown): e is SigningKeyError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.SigningKeyError"
    );
  }
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string")
    throw new SigningKeyError("not an Ed25519 public key");
  return createHash("sha256").update(Buffer.from(jwk.x, "base64url")).digest("hex").slice(0, 32);
}

/** The raw public key, base64url, for embedding in a record so its signature can be checked alone. */
export function rawPublicKey(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new SigningKeyError("not an Ed25519 public key");
  return jwk.x;
}

export function publicKeyFromRaw(raw: string): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw }, format: "jwk" });
}

export function signingKeyFromPem(pem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new SigningKeyError("the private key file is not a PEM Ed25519 key");
  }
  if (privateKey.asymmetricKeyType !== "ed25519") throw new SigningKeyError("the private key is not Ed25519");
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export function publicKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new SigningKeyError("the public key file is not a PEM Ed25519 key");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new SigningKeyError("the public key is not Ed25519");
  return key;
}

export function privateKeyPem(key: SigningKey): string {
  return key.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: "pem", type: "spki" }).toString();
}

export function signCanonical(key: SigningKey, value: unknown): Signature {
  const bytes = Buffer.from(canonicalJson(value), "utf8");
  return { alg: "Ed25519", keyId: key.keyId, value: sign(null, bytes, key.privateKey).toString("base64url") };
}

/** True when `signature` is a valid signature over `value` by one of `trusted` (matched by key id). */
export function verifyCanonical(trusted: readonly KeyObject[], value: unknown, signature: unknown): boolean {
  if (!isSignature(signature)) return false;
  const key = trusted.find((k) => keyIdOf(k) === signature.keyId);
  if (!key) return false;
  const bytes = Buffer.from(canonicalJson(value), "utf8");
  try {
    return verify(null, bytes, key, Buffer.from(signature.value, "base64url"));
  } catch {
    return false;
  }
}

function isSignature(s: unknown): s is Signature {
  if (typeof s !== "object" || s === null) return false;
  const o = s as Record<string, unknown>;
  return o.alg === "Ed25519" && typeof o.keyId === "string" && typeof o.value === "string";
}
