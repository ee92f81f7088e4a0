// PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7) as pure primitives shared by the client and the
// virtual authenticator: P-256 key agreement, the kdf, encrypt/decrypt, authenticate/verify, and the COSE
// form of the key-agreement key. Protocol 2 extends protocol 1 and overrides only the kdf, the cipher and
// the MAC length, as the spec defines it.
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  type ECDH,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import type { CborMap, CborValue } from "../cbor.js";
import { CtapProtocolError } from "./errors.js";

/** A P-256 public point, 32-byte big-endian coordinates. */
export interface EcPoint {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

/** COSE labels used by the key-agreement key (RFC 9053; CTAP 2.1 §6.5.6 getPublicKey()). */
const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3, EC2: 2, P256: 1, ECDH_ES_HKDF_256: -25 } as const;

/** An ephemeral P-256 key-agreement key pair; the private scalar can be injected for known-answer tests. */
export class KeyAgreementKey {
  private constructor(private readonly ecdh: ECDH) {}

  static generate(): KeyAgreementKey {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    return new KeyAgreementKey(ecdh);
  }

  /** Builds the key pair from a 32-byte private scalar (tests, or a persisted virtual key). */
  static fromPrivateKey(d: Uint8Array): KeyAgreementKey {
    if (d.length !== 32) throw new RangeError("a P-256 private key is 32 bytes");
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(Buffer.from(d));
    return new KeyAgreementKey(ecdh);
  }

  get publicPoint(): EcPoint {
    const p = this.ecdh.getPublicKey();
    return { x: Uint8Array.from(p.subarray(1, 33)), y: Uint8Array.from(p.subarray(33, 65)) };
  }

  /** The public key as the COSE_Key CTAP sends: {1: 2, 3: -25, -1: 1, -2: x, -3: y}. */
  toCose(): Map<number, CborValue> {
    return encodeCoseKeyAgreement(this.publicPoint);
  }

  /** ECDH with a peer's point: returns Z, the x-coordinate of the shared point (32 bytes). */
  sharedX(peer: EcPoint): Uint8Array {
    try {
      return Uint8Array.from(this.ecdh.computeSecret(Buffer.concat([Buffer.of(4), peer.x, peer.y])));
    } catch (cause) {
      throw new CtapProtocolError("the key-agreement public key is not a point on P-256", { cause });
    }
  }
}

export function encodeCoseKeyAgreement(point: EcPoint): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [COSE.kty, COSE.EC2],
    [COSE.alg, COSE.ECDH_ES_HKDF_256],
    [COSE.crv, COSE.P256],
    [COSE.x, point.x],
    [COSE.y, point.y],
  ]);
}

/** Reads a key-agreement COSE_Key; anything but an EC2 P-256 key with 32-byte coordinates is refused. */
export function decodeCoseKeyAgreement(value: unknown): EcPoint {
  if (!(value instanceof Map)) throw new CtapProtocolError("keyAgreement is not a COSE key map");
  const m = value as CborMap;
  const x = m.get(COSE.x);
  const y = m.get(COSE.y);
  if (m.get(COSE.kty) !== COSE.EC2 || m.get(COSE.crv) !== COSE.P256) {
    throw new CtapProtocolError("keyAgreement is not an EC2 P-256 key");
  }
  const alg = m.get(COSE.alg);
  if (alg !== undefined && typeof alg !== "number")
    throw new CtapProtocolError("keyAgreement alg is not an integer");
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new CtapProtocolError("keyAgreement coordinates are not 32-byte strings");
  }
  return { x, y };
}

export interface PinProtocolOpts {
  /** Source of fresh key-agreement keys (injected by known-answer tests). */
  newKeyAgreementKey?: () => KeyAgreementKey;
  /** Source of IVs for protocol 2 (injected by known-answer tests). */
  randomBytes?: (n: number) => Uint8Array;
}

/** The result of encapsulate(): what the platform sends (keyAgreement) and what it keeps (sharedSecret). */
export interface Encapsulation {
  keyAgreement: Map<number, CborValue>;
  sharedSecret: Uint8Array;
}

/** PIN/UV auth protocol one (CTAP 2.1 §6.5.6). */
export class PinUvAuthProtocolOne {
  readonly version: 1 | 2 = 1;
  protected readonly newKey: () => KeyAgreementKey;
  protected readonly random: (n: number) => Uint8Array;

  constructor({ newKeyAgreementKey, randomBytes: rnd }: PinProtocolOpts = {}) {
    this.newKey = newKeyAgreementKey ?? KeyAgreementKey.generate;
    this.random = rnd ?? ((n) => Uint8Array.from(randomBytes(n)));
  }

  /** kdf(Z) = SHA-256(Z). */
  kdf(z: Uint8Array): Uint8Array {
    return Uint8Array.from(createHash("sha256").update(z).digest());
  }

  /** Platform side: a fresh key pair, ECDH with the authenticator's key, then kdf. */
  encapsulate(peer: EcPoint): Encapsulation {
    const own = this.newKey();
    const z = own.sharedX(peer);
    const sharedSecret = this.kdf(z);
    z.fill(0);
    return { keyAgreement: own.toCose(), sharedSecret };
  }

  /** Authenticator side: ECDH of its key-agreement key with the platform's, then kdf. */
  decapsulate(own: KeyAgreementKey, peer: EcPoint): Uint8Array {
    const z = own.sharedX(peer);
    const secret = this.kdf(z);
    z.fill(0);
    return secret;
  }

  /** AES-256-CBC with a zero IV, no padding; plaintext must be whole blocks. */
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return aesCbc(true, key, new Uint8Array(16), plaintext);
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length % 16 !== 0)
      throw new CtapProtocolError("ciphertext is not a whole number of blocks");
    return aesCbc(false, key, new Uint8Array(16), ciphertext);
  }

  /** First 16 bytes of HMAC-SHA-256(key, message). */
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return Uint8Array.from(createHmac("sha256", key).update(message).digest().subarray(0, 16));
  }

  /** Constant-time check of a pinUvAuthParam. */
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const expected = this.authenticate(key, message);
    return signature.length === expected.length && timingSafeEqual(expected, signature);
  }
}

const zeroSalt = new Uint8Array(32);

/** PIN/UV auth protocol two (CTAP 2.1 §6.5.7): HKDF keys, random IV, full-length HMAC. */
export class PinUvAuthProtocolTwo extends PinUvAuthProtocolOne {
  override readonly version = 2;

  /** kdf(Z) = HKDF(Z, "CTAP2 HMAC key") || HKDF(Z, "CTAP2 AES key"), salt 32 zero bytes, 32 bytes each. */
  override kdf(z: Uint8Array): Uint8Array {
    const hmacKey = new Uint8Array(hkdfSync("sha256", z, zeroSalt, "CTAP2 HMAC key", 32));
    const aesKey = new Uint8Array(hkdfSync("sha256", z, zeroSalt, "CTAP2 AES key", 32));
    const out = new Uint8Array(64);
    out.set(hmacKey, 0);
    out.set(aesKey, 32);
    hmacKey.fill(0);
    aesKey.fill(0);
    return out;
  }

  /** Uses the AES half of a 64-byte shared secret; returns IV || ciphertext. */
  override encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const iv = this.random(16);
    const ct = aesCbc(true, aesPart(key), iv, plaintext);
    const out = new Uint8Array(16 + ct.length);
    out.set(iv, 0);
    out.set(ct, 16);
    return out;
  }

  override decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length < 16 || ciphertext.length % 16 !== 0) {
      throw new CtapProtocolError("ciphertext is not an IV followed by whole blocks");
    }
    return aesCbc(false, aesPart(key), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  }

  /** Full HMAC-SHA-256 with the first 32 bytes of the key (the HMAC half of a shared secret, or a token). */
  override authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return Uint8Array.from(createHmac("sha256", key.subarray(0, 32)).update(message).digest());
  }
}

export type PinUvAuthProtocol = PinUvAuthProtocolOne;

/** The protocol object for a protocol number from getInfo's pinUvAuthProtocols. */
export function pinProtocolFor(version: number, opts?: PinProtocolOpts): PinUvAuthProtocol {
  if (version === 2) return new PinUvAuthProtocolTwo(opts);
  if (version === 1) return new PinUvAuthProtocolOne(opts);
  throw new RangeError(`PIN/UV auth protocol ${version} is not supported`);
}

function aesPart(key: Uint8Array): Uint8Array {
  // Protocol 2 encrypts only with the 64-byte shared secret, whose second half is the AES key.
  if (key.length !== 64) throw new RangeError("protocol 2 encrypts with the 64-byte shared secret");
  return key.subarray(32);
}

function aesCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("AES-256 needs a 32-byte key");
  if (data.length % 16 !== 0) throw new RangeError("AES-CBC without padding needs whole 16-byte blocks");
  const c = encrypt ? createCipheriv("aes-256-cbc", key, iv) : createDecipheriv("aes-256-cbc", key, iv);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return Uint8Array.from(out);
}

/** Code points in UTF-8 bytes, counted without decoding (a string copy of a PIN cannot be zeroed). */
function codePoints(utf8: Uint8Array): number {
  let n = 0;
  for (const b of utf8) if ((b & 0xc0) !== 0x80) n++;
  return n;
}

/**
 * PIN rules (CTAP 2.1 §6.5.5.5): UTF-8 bytes, at least minLength code points, at most 63 bytes, and no
 * zero byte (the key reads the padded PIN up to its first zero).
 */
export function checkPinPolicy(pin: Uint8Array, minLength = 4): void {
  if (codePoints(pin) < minLength) throw new RangeError(`the PIN must have at least ${minLength} characters`);
  if (pin.length > 63) throw new RangeError("the PIN must be at most 63 bytes in UTF-8");
  if (pin.includes(0)) throw new RangeError("the PIN must not contain a zero byte");
}

/** The new PIN as setPIN/changePIN encrypt it: the UTF-8 bytes, zero-padded to 64. Zero it after use. */
export function padPin(pin: Uint8Array): Uint8Array {
  if (pin.length > 63) throw new RangeError("the PIN must be at most 63 bytes in UTF-8");
  const out = new Uint8Array(64);
  out.set(pin);
  return out;
}

/** LEFT(SHA-256(pin), 16): what getPinToken and changePIN encrypt as pinHashEnc. Zero it after use. */
export function pinHash(pin: Uint8Array): Uint8Array {
  const h = createHash("sha256").update(pin).digest();
  const out = Uint8Array.from(h.subarray(0, 16));
  h.fill(0);
  return out;
}
