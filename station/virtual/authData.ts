// authenticatorData (WebAuthn §6.1): rpIdHash ‖ flags ‖ signCount ‖ [attestedCredentialData] ‖ [extensions].
import { type CborValue, encodeCanonical } from "../cbor.js";

export const Flag = { UP: 0x01, UV: 0x04, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredential {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  cosePublicKey: Map<number, CborValue>;
}

export function buildAuthData(opts: {
  rpIdHash: Uint8Array;
  up: boolean;
  uv: boolean;
  signCount: number;
  attested?: AttestedCredential;
  extensions?: Map<string, CborValue>;
}): Uint8Array {
  const hasExtensions = opts.extensions !== undefined && opts.extensions.size > 0;
  const flags =
    (opts.up ? Flag.UP : 0) |
    (opts.uv ? Flag.UV : 0) |
    (opts.attested ? Flag.AT : 0) |
    (hasExtensions ? Flag.ED : 0);
  const parts: Uint8Array[] = [opts.rpIdHash, Uint8Array.of(flags), u32(opts.signCount)];
  if (opts.attested) {
    const { aaguid, credentialId, cosePublicKey } = opts.attested;
    parts.push(aaguid, Uint8Array.of(credentialId.length >> 8, credentialId.length & 0xff), credentialId);
    parts.push(encodeCanonical(cosePublicKey));
  }
  if (hasExtensions) parts.push(encodeCanonical(opts.extensions!));
  return concat(parts);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
