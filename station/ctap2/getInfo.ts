// authenticatorGetInfo (CTAP 2.1 §6.4): every field the station reads, typed; unknown keys are ignored
// as the spec requires, known keys of the wrong type are a CtapProtocolError.
import type { CborMap } from "../cbor.js";
import type { CallOptions } from "../ctaphid/device.js";
import { type Ctap2, Ctap2Command, encodeCommand } from "./ctap2.js";
import { CtapProtocolError } from "./errors.js";
import { ReplyFields } from "./replyFields.js";

export interface AuthenticatorInfo {
  versions: string[];
  extensions: string[];
  /** 16 bytes, lower-case hex with dashes (the AAGUID as Entra shows it). */
  aaguid: string;
  options: Record<string, boolean>;
  maxMsgSize?: number;
  pinUvAuthProtocols: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports?: string[];
  algorithms?: { alg: number; type: string }[];
  maxSerializedLargeBlobArray?: number;
  forcePINChange: boolean;
  minPINLength: number;
  firmwareVersion?: number;
  maxCredBlobLength?: number;
  maxRPIDsForSetMinPINLength?: number;
  preferredPlatformUvAttempts?: number;
  uvModality?: number;
  certifications?: Record<string, number>;
  remainingDiscoverableCredentials?: number;
  vendorPrototypeConfigCommands?: number[];
}

export function encodeGetInfo(): Uint8Array {
  return encodeCommand(Ctap2Command.GET_INFO);
}

export function parseGetInfo(reply: CborMap): AuthenticatorInfo {
  const f = new ReplyFields(reply, "getInfo");
  const aaguid = f.bytes(0x03, "aaguid");
  if (aaguid.length !== 16) throw new CtapProtocolError("getInfo aaguid is not 16 bytes");
  const versions = f.textArray(0x01, "versions", "optional");
  if (versions === undefined || versions.length === 0)
    throw new CtapProtocolError("getInfo lists no versions");
  const info: AuthenticatorInfo = {
    versions,
    extensions: f.textArray(0x02, "extensions", "optional") ?? [],
    aaguid: formatAaguid(aaguid),
    options: f.boolMap(0x04, "options", "optional") ?? {},
    pinUvAuthProtocols: f.uintArray(0x06, "pinUvAuthProtocols", "optional") ?? [],
    forcePINChange: f.bool(0x0c, "forcePINChange", "optional") ?? false,
    minPINLength: f.uint(0x0d, "minPINLength", "optional") ?? 4,
  };
  const optional: [keyof AuthenticatorInfo, number][] = [
    ["maxMsgSize", 0x05],
    ["maxCredentialCountInList", 0x07],
    ["maxCredentialIdLength", 0x08],
    ["maxSerializedLargeBlobArray", 0x0b],
    ["firmwareVersion", 0x0e],
    ["maxCredBlobLength", 0x0f],
    ["maxRPIDsForSetMinPINLength", 0x10],
    ["preferredPlatformUvAttempts", 0x11],
    ["uvModality", 0x12],
    ["remainingDiscoverableCredentials", 0x14],
  ];
  for (const [name, key] of optional) {
    const v = f.uint(key, name, "optional");
    if (v !== undefined) (info as unknown as Record<string, number>)[name] = v;
  }
  const transports = f.textArray(0x09, "transports", "optional");
  if (transports) info.transports = transports;
  const algorithms = f.array(0x0a, "algorithms", "optional");
  if (algorithms) {
    info.algorithms = algorithms.map((a, i) => {
      if (!(a instanceof Map)) throw new CtapProtocolError(`getInfo algorithms[${i}] is not a map`);
      const af = new ReplyFields(a, `getInfo algorithms[${i}]`);
      const alg = af.int("alg", "alg", "optional");
      if (alg === undefined) throw new CtapProtocolError(`getInfo algorithms[${i}] lacks alg`);
      return { alg, type: af.text("type", "type") };
    });
  }
  const certifications = f.map_(0x13, "certifications", "optional");
  if (certifications) {
    info.certifications = {};
    for (const [k, v] of certifications.map) {
      if (typeof k === "string" && typeof v === "number") info.certifications[k] = v;
    }
  }
  const vendor = f.uintArray(0x15, "vendorPrototypeConfigCommands", "optional");
  if (vendor) info.vendorPrototypeConfigCommands = vendor;
  return info;
}

export async function getInfo(ctap: Ctap2, opts?: CallOptions): Promise<AuthenticatorInfo> {
  const info = parseGetInfo(await ctap.sendExpectingMap(Ctap2Command.GET_INFO, undefined, opts));
  if (info.maxMsgSize !== undefined) ctap.maxMsgSize = info.maxMsgSize;
  return info;
}

export function formatAaguid(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Feature questions the station asks of getInfo, in one place. */
export const features = {
  isCtap21(info: AuthenticatorInfo): boolean {
    return info.versions.includes("FIDO_2_1");
  },
  pinSet(info: AuthenticatorInfo): boolean | undefined {
    return info.options.clientPin;
  },
  /** 2 when the key lists it, else 1 (CTAP 2.0 keys and keys that omit the field). */
  pinProtocol(info: AuthenticatorInfo): 1 | 2 {
    return info.pinUvAuthProtocols.includes(2) ? 2 : 1;
  },
  /** Whether the key issues permission-scoped tokens (subcommand 9) or only legacy getPinToken (5). */
  permissionTokens(info: AuthenticatorInfo): boolean {
    return info.options.pinUvAuthToken === true;
  },
  /** The credential management command byte, or undefined when the key has none. */
  credentialManagementCommand(info: AuthenticatorInfo): number | undefined {
    if (info.options.credMgmt === true) return Ctap2Command.CREDENTIAL_MANAGEMENT;
    if (info.options.credentialMgmtPreview === true) return Ctap2Command.CREDENTIAL_MANAGEMENT_PRE;
    return undefined;
  },
};
