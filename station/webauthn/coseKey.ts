// COSE credential public keys (RFC 9053) to node:crypto keys, and assertion signature checks with them:
// ES256 (EC2 P-256) and EdDSA (OKP Ed25519), the algorithms security keys offer for Entra.
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import type { CborMap } from "../cbor.js";
import { CtapProtocolError } from "../ctap2/errors.js";

export const CoseAlg = { ES256: -7, EdDSA: -8, RS256: -257 } as const;

export function coseKeyAlg(key: CborMap): number {
  const alg = key.get(3);
  if (typeof alg !== "number") throw new CtapProtocolError("credential public key has no alg");
  return alg;
}

export function coseToKeyObject(key: CborMap): KeyObject {
  const kty = key.get(1);
  const x = key.get(-2);
  if (kty === 2 && key.get(-1) === 1) {
    const y = key.get(-3);
    if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
      throw new CtapProtocolError("EC2 credential key coordinates are not 32 bytes");
    }
    return createPublicKey({
      key: {
        kty: "EC",
        crv: "P-256",
        x: Buffer.from(x).toString("base64url"),
        y: Buffer.from(y).toString("base64url"),
      },
      format: "jwk",
    });
  }
  if (kty === 1 && key.get(-1) === 6 && x instanceof Uint8Array && x.length === 32) {
    return createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(x).toString("base64url") },
      format: "jwk",
    });
  }
  throw new CtapProtocolError(`unsupported credential key type ${String(kty)}`);
}

/** Verifies an assertion signature over authenticatorData || clientDataHash. */
export function verifyAssertionSignature(
  key: CborMap,
  authData: Uint8Array,
  clientDataHash: Uint8Array,
  signature: Uint8Array,
): boolean {
  const data = Buffer.concat([authData, clientDataHash]);
  const alg = coseKeyAlg(key);
  const pub = coseToKeyObject(key);
  if (alg === CoseAlg.ES256) return verify("sha256", data, pub, signature);
  if (alg === CoseAlg.EdDSA) return verify(null, data, pub, signature);
  throw new CtapProtocolError(`unsupported signature algorithm ${alg}`);
}
