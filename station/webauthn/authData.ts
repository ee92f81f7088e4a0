// Authenticator data (WebAuthn §6.1): rpIdHash, flags, signCount, attested credential data and
// extensions, parsed strictly so the key test and the station can read the AAGUID and public key.
import { CborError, type CborMap, decodeStrict, decodeStrictPrefix } from "../cbor.js";
import { CtapProtocolError } from "../ctap2/errors.js";
import { formatAaguid } from "../ctap2/getInfo.js";

export const AuthDataFlag = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredential {
  /** Dashed lower-case hex. */
  aaguid: string;
  credentialId: Uint8Array;
  publicKey: CborMap;
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attestedCredential?: AttestedCredential;
  extensions?: CborMap;
}

function cbor(bytes: Uint8Array, what: string): { value: CborMap; length: number } {
  try {
    const { value, length } = decodeStrictPrefix(bytes);
    if (!(value instanceof Map)) throw new CtapProtocolError(`authenticator data ${what} is not a CBOR map`);
    return { value, length };
  } catch (e) {
    if (CborError.isInstance(e))
      throw new CtapProtocolError(`authenticator data ${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (bytes.length < 37) throw new CtapProtocolError("authenticator data is shorter than 37 bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[32]!;
  const out: AuthenticatorData = { rpIdHash: bytes.slice(0, 32), flags, signCount: view.getUint32(33) };
  let at = 37;
  if (flags & AuthDataFlag.AT) {
    if (bytes.length < at + 18) throw new CtapProtocolError("attested credential data is truncated");
    const aaguid = formatAaguid(bytes.subarray(at, at + 16));
    const idLength = view.getUint16(at + 16);
    at += 18;
    if (idLength > 1023 || bytes.length < at + idLength)
      throw new CtapProtocolError("credential id length is invalid");
    const credentialId = bytes.slice(at, at + idLength);
    at += idLength;
    const key = cbor(bytes.subarray(at), "credential public key");
    at += key.length;
    out.attestedCredential = { aaguid, credentialId, publicKey: key.value };
  }
  if (flags & AuthDataFlag.ED) {
    try {
      const ext = decodeStrict(bytes.subarray(at));
      if (!(ext instanceof Map)) throw new CtapProtocolError("authenticator data extensions are not a map");
      out.extensions = ext;
    } catch (e) {
      if (CborError.isInstance(e))
        throw new CtapProtocolError(`authenticator data extensions: ${e.message}`, { cause: e });
      throw e;
    }
    at = bytes.length;
  }
  if (at !== bytes.length)
    throw new CtapProtocolError(`${bytes.length - at} trailing bytes in authenticator data`);
  return out;
}
