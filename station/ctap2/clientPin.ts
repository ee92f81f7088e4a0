// authenticatorClientPIN (CTAP 2.1 §6.5): pure request builders and reply parsers for each subcommand,
// and ClientPin, which runs them with the protocol and token method the key's getInfo calls for
// (protocol 2 when listed, else 1; permission tokens on CTAP 2.1 keys, getPinToken on 2.0 keys).
// PINs are UTF-8 bytes (a Buffer the caller zeroes), never strings; the padded PINs, PIN hashes and
// shared secrets derived here are zeroed as soon as they have been used.
import type { CborMap, CborValue } from "../cbor.js";
import type { CallOptions } from "../ctaphid/device.js";
import { type Ctap2, Ctap2Command } from "./ctap2.js";
import { CtapProtocolError } from "./errors.js";
import { type AuthenticatorInfo, features } from "./getInfo.js";
import {
  checkPinPolicy,
  decodeCoseKeyAgreement,
  type EcPoint,
  type PinProtocolOpts,
  type PinUvAuthProtocol,
  padPin,
  pinHash,
  pinProtocolFor,
} from "./pinProtocol.js";
import { ReplyFields } from "./replyFields.js";

export const PinSubcommand = {
  GET_PIN_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  SET_PIN: 0x03,
  CHANGE_PIN: 0x04,
  GET_PIN_TOKEN: 0x05,
  GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS: 0x06,
  GET_UV_RETRIES: 0x07,
  GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: 0x09,
} as const;

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7). */
export const Permission = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  CREDENTIAL_MANAGEMENT: 0x04,
  BIO_ENROLLMENT: 0x08,
  LARGE_BLOB_WRITE: 0x10,
  AUTHENTICATOR_CONFIG: 0x20,
} as const;

/** Request parameter keys of authenticatorClientPIN. */
const P = {
  protocol: 1,
  subCommand: 2,
  keyAgreement: 3,
  pinUvAuthParam: 4,
  newPinEnc: 5,
  pinHashEnc: 6,
  permissions: 9,
  rpId: 10,
};

type Params = Map<number, CborValue | undefined>;

export function encodeGetPinRetries(protocol: number): Params {
  return new Map([
    [P.protocol, protocol],
    [P.subCommand, PinSubcommand.GET_PIN_RETRIES],
  ]);
}

export function encodeGetKeyAgreement(protocol: number): Params {
  return new Map([
    [P.protocol, protocol],
    [P.subCommand, PinSubcommand.GET_KEY_AGREEMENT],
  ]);
}

export function encodeSetPin(a: {
  protocol: number;
  keyAgreement: Map<number, CborValue>;
  newPinEnc: Uint8Array;
  pinUvAuthParam: Uint8Array;
}): Params {
  return new Map<number, CborValue>([
    [P.protocol, a.protocol],
    [P.subCommand, PinSubcommand.SET_PIN],
    [P.keyAgreement, a.keyAgreement],
    [P.pinUvAuthParam, a.pinUvAuthParam],
    [P.newPinEnc, a.newPinEnc],
  ]);
}

export function encodeChangePin(a: {
  protocol: number;
  keyAgreement: Map<number, CborValue>;
  newPinEnc: Uint8Array;
  pinHashEnc: Uint8Array;
  pinUvAuthParam: Uint8Array;
}): Params {
  return new Map<number, CborValue>([
    [P.protocol, a.protocol],
    [P.subCommand, PinSubcommand.CHANGE_PIN],
    [P.keyAgreement, a.keyAgreement],
    [P.pinUvAuthParam, a.pinUvAuthParam],
    [P.newPinEnc, a.newPinEnc],
    [P.pinHashEnc, a.pinHashEnc],
  ]);
}

export function encodeGetPinToken(a: {
  protocol: number;
  keyAgreement: Map<number, CborValue>;
  pinHashEnc: Uint8Array;
}): Params {
  return new Map<number, CborValue>([
    [P.protocol, a.protocol],
    [P.subCommand, PinSubcommand.GET_PIN_TOKEN],
    [P.keyAgreement, a.keyAgreement],
    [P.pinHashEnc, a.pinHashEnc],
  ]);
}

export function encodeGetPinUvAuthTokenUsingPinWithPermissions(a: {
  protocol: number;
  keyAgreement: Map<number, CborValue>;
  pinHashEnc: Uint8Array;
  permissions: number;
  rpId?: string;
}): Params {
  return new Map<number, CborValue | undefined>([
    [P.protocol, a.protocol],
    [P.subCommand, PinSubcommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS],
    [P.keyAgreement, a.keyAgreement],
    [P.pinHashEnc, a.pinHashEnc],
    [P.permissions, a.permissions],
    [P.rpId, a.rpId],
  ]);
}

export interface PinRetries {
  retries: number;
  /** True when the key needs a power cycle before it accepts another PIN attempt. */
  powerCycleState?: boolean;
}

export function parsePinRetries(reply: CborMap): PinRetries {
  const f = new ReplyFields(reply, "clientPIN getPINRetries");
  const out: PinRetries = { retries: f.uint(0x03, "pinRetries") };
  const pc = f.bool(0x04, "powerCycleState", "optional");
  if (pc !== undefined) out.powerCycleState = pc;
  return out;
}

export function parseKeyAgreement(reply: CborMap): EcPoint {
  const v = reply.get(0x01);
  if (v === undefined) throw new CtapProtocolError("clientPIN getKeyAgreement reply lacks keyAgreement (1)");
  return decodeCoseKeyAgreement(v);
}

export function parsePinTokenReply(reply: CborMap): Uint8Array {
  return new ReplyFields(reply, "clientPIN token").bytes(0x02, "pinUvAuthToken");
}

/** A decrypted pinUvAuthToken and the protocol it belongs to. Call dispose() when done with it. */
export class PinToken {
  constructor(
    readonly protocol: PinUvAuthProtocol,
    private readonly token: Uint8Array,
  ) {}

  /** pinUvAuthParam over `message` (clientDataHash for makeCredential/getAssertion). */
  authenticate(message: Uint8Array): Uint8Array {
    return this.protocol.authenticate(this.token, message);
  }

  dispose(): void {
    this.token.fill(0);
  }
}

export interface TokenRequest {
  /** Permission bits (ignored by CTAP 2.0 keys, which only know getPinToken). */
  permissions: number;
  rpId?: string;
}

export class ClientPin {
  readonly protocol: PinUvAuthProtocol;

  constructor(
    private readonly ctap: Ctap2,
    private readonly info: AuthenticatorInfo,
    opts: PinProtocolOpts & { protocol?: 1 | 2 } = {},
  ) {
    this.protocol = pinProtocolFor(opts.protocol ?? features.pinProtocol(info), opts);
  }

  private send(params: Params, opts?: CallOptions): Promise<CborMap | undefined> {
    return this.ctap.send(Ctap2Command.CLIENT_PIN, params, opts);
  }

  async getRetries(opts?: CallOptions): Promise<PinRetries> {
    const reply = await this.send(encodeGetPinRetries(this.protocol.version), opts);
    if (reply === undefined) throw new CtapProtocolError("clientPIN getPINRetries returned no data");
    return parsePinRetries(reply);
  }

  /** getKeyAgreement and encapsulate: the platform key to send and the shared secret to keep. */
  async keyAgreement(
    opts?: CallOptions,
  ): Promise<{ keyAgreement: Map<number, CborValue>; sharedSecret: Uint8Array }> {
    const reply = await this.send(encodeGetKeyAgreement(this.protocol.version), opts);
    if (reply === undefined) throw new CtapProtocolError("clientPIN getKeyAgreement returned no data");
    return this.protocol.encapsulate(parseKeyAgreement(reply));
  }

  async setPin(pin: Uint8Array, opts?: CallOptions): Promise<void> {
    checkPinPolicy(pin, this.info.minPINLength);
    const { keyAgreement, sharedSecret } = await this.keyAgreement(opts);
    const padded = padPin(pin);
    try {
      const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
      const pinUvAuthParam = this.protocol.authenticate(sharedSecret, newPinEnc);
      await this.send(
        encodeSetPin({ protocol: this.protocol.version, keyAgreement, newPinEnc, pinUvAuthParam }),
        opts,
      );
    } finally {
      padded.fill(0);
      sharedSecret.fill(0);
    }
  }

  async changePin(currentPin: Uint8Array, newPin: Uint8Array, opts?: CallOptions): Promise<void> {
    checkPinPolicy(newPin, this.info.minPINLength);
    const { keyAgreement, sharedSecret } = await this.keyAgreement(opts);
    const padded = padPin(newPin);
    const hash = pinHash(currentPin);
    try {
      const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
      const pinHashEnc = this.protocol.encrypt(sharedSecret, hash);
      const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
      message.set(newPinEnc);
      message.set(pinHashEnc, newPinEnc.length);
      const pinUvAuthParam = this.protocol.authenticate(sharedSecret, message);
      await this.send(
        encodeChangePin({
          protocol: this.protocol.version,
          keyAgreement,
          newPinEnc,
          pinHashEnc,
          pinUvAuthParam,
        }),
        opts,
      );
    } finally {
      padded.fill(0);
      hash.fill(0);
      sharedSecret.fill(0);
    }
  }

  /**
   * A PIN token: getPinUvAuthTokenUsingPinWithPermissions on keys that advertise pinUvAuthToken,
   * getPinToken otherwise (CTAP 2.0 and 2.1-PRE keys).
   */
  async getToken(pin: Uint8Array, request: TokenRequest, opts?: CallOptions): Promise<PinToken> {
    const { keyAgreement, sharedSecret } = await this.keyAgreement(opts);
    const hash = pinHash(pin);
    try {
      const pinHashEnc = this.protocol.encrypt(sharedSecret, hash);
      const protocol = this.protocol.version;
      const params = features.permissionTokens(this.info)
        ? encodeGetPinUvAuthTokenUsingPinWithPermissions({ protocol, keyAgreement, pinHashEnc, ...request })
        : encodeGetPinToken({ protocol, keyAgreement, pinHashEnc });
      const reply = await this.send(params, opts);
      if (reply === undefined) throw new CtapProtocolError("clientPIN token request returned no data");
      const token = this.protocol.decrypt(sharedSecret, parsePinTokenReply(reply));
      const okLength =
        this.protocol.version === 2 ? token.length === 32 : token.length === 16 || token.length === 32;
      if (!okLength) throw new CtapProtocolError(`the key returned a PIN token of ${token.length} bytes`);
      return new PinToken(this.protocol, token);
    } finally {
      hash.fill(0);
      sharedSecret.fill(0);
    }
  }
}
