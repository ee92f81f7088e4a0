// The CTAP2 message layer over any CtapDevice (CTAP 2.1 §6, §8): command byte plus canonical CBOR
// parameters out, status byte plus a strictly decoded map back. Checks maxMsgSize before sending.
import { CborError, type CborMap, type CborValue, decodeStrict, encodeCanonical } from "../cbor.js";
import type { CallOptions, CtapDevice } from "../ctaphid/device.js";
import { TransportError } from "../ctaphid/errors.js";
import { CtapHidCapability, CtapHidCommand } from "../ctaphid/packets.js";
import { CtapError, CtapProtocolError } from "./errors.js";

/** authenticator* command bytes (CTAP 2.1 §6). */
export const Ctap2Command = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  RESET: 0x07,
  GET_NEXT_ASSERTION: 0x08,
  CREDENTIAL_MANAGEMENT: 0x0a,
  SELECTION: 0x0b,
  CONFIG: 0x0d,
  /** authenticatorCredentialManagement on CTAP 2.1-PRE keys ("credentialMgmtPreview"). */
  CREDENTIAL_MANAGEMENT_PRE: 0x41,
} as const;

/** The default CTAP2 maximum message size before getInfo says otherwise (CTAP 2.1 §6.4). */
export const DEFAULT_MAX_MSG_SIZE = 1024;

/** Builds the bytes of one CTAP2 request: command byte, then the parameter map if any. */
export function encodeCommand(cmd: number, params?: ReadonlyMap<number, CborValue | undefined>): Uint8Array {
  const body = params === undefined ? new Uint8Array(0) : encodeCanonical(params);
  const out = new Uint8Array(1 + body.length);
  out[0] = cmd;
  out.set(body, 1);
  return out;
}

/**
 * Reads a CTAP2 reply: a zero status then nothing or one canonical CBOR map; a non-zero status is a
 * CtapError. Anything else is a CtapProtocolError.
 */
export function decodeReply(reply: Uint8Array): CborMap | undefined {
  if (reply.length === 0) throw new CtapProtocolError("empty CTAP2 reply (no status byte)");
  if (reply[0] !== 0) throw new CtapError(reply[0]!);
  if (reply.length === 1) return undefined;
  let value: ReturnType<typeof decodeStrict>;
  try {
    value = decodeStrict(reply.subarray(1));
  } catch (e) {
    if (CborError.isInstance(e))
      throw new CtapProtocolError(`the key's reply is not canonical CBOR: ${e.message}`, { cause: e });
    throw e;
  }
  if (!(value instanceof Map)) throw new CtapProtocolError("the key's reply is not a CBOR map");
  for (const k of value.keys()) {
    if (typeof k !== "number") throw new CtapProtocolError("the key's reply map has a non-integer key");
  }
  return value;
}

export class Ctap2 {
  /** Set from getInfo's maxMsgSize once known. */
  maxMsgSize = DEFAULT_MAX_MSG_SIZE;

  constructor(readonly device: CtapDevice) {
    if ((device.capabilities & CtapHidCapability.CBOR) === 0) {
      throw new TransportError("io", "the device does not speak CTAP2 (no CBOR capability)");
    }
  }

  /** Sends one command; resolves with the reply map (undefined for an empty success). */
  async send(
    cmd: number,
    params?: ReadonlyMap<number, CborValue | undefined>,
    opts?: CallOptions,
  ): Promise<CborMap | undefined> {
    const request = encodeCommand(cmd, params);
    if (request.length > this.maxMsgSize) {
      throw new TransportError(
        "too-large",
        `the request is ${request.length} bytes; this key accepts ${this.maxMsgSize}`,
      );
    }
    return decodeReply(await this.device.call(CtapHidCommand.CBOR, request, opts));
  }

  /** Sends a command whose success reply must be a map. */
  async sendExpectingMap(
    cmd: number,
    params?: ReadonlyMap<number, CborValue | undefined>,
    opts?: CallOptions,
  ): Promise<CborMap> {
    const reply = await this.send(cmd, params, opts);
    if (reply === undefined) throw new CtapProtocolError(`command 0x${cmd.toString(16)} returned no data`);
    return reply;
  }
}
