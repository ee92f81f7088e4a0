// authenticatorConfig (CTAP 2.1 §6.11), setMinPINLength with forceChangePin: needs a token with the
// acfg permission. The station sets forceChangePin last, because the key refuses tokens afterwards.
import { type CborValue, encodeCanonical } from "../cbor.js";
import type { CallOptions } from "../ctaphid/device.js";
import type { PinToken } from "./clientPin.js";
import { type Ctap2, Ctap2Command } from "./ctap2.js";

export const ConfigSubcommand = {
  ENABLE_ENTERPRISE_ATTESTATION: 0x01,
  TOGGLE_ALWAYS_UV: 0x02,
  SET_MIN_PIN_LENGTH: 0x03,
  VENDOR_PROTOTYPE: 0xff,
} as const;

export interface SetMinPinLengthParams {
  newMinPINLength?: number;
  minPinLengthRPIDs?: string[];
  forceChangePin?: boolean;
}

export function setMinPinLengthSubParams(p: SetMinPinLengthParams): Map<number, CborValue | undefined> {
  return new Map<number, CborValue | undefined>([
    [0x01, p.newMinPINLength],
    [0x02, p.minPinLengthRPIDs],
    [0x03, p.forceChangePin],
  ]);
}

/** The message authenticated for authenticatorConfig: 32×0xff || 0x0d || subCommand || subCommandParams. */
export function configAuthMessage(
  subCommand: number,
  subParams?: ReadonlyMap<number, CborValue | undefined>,
): Uint8Array {
  const params = subParams === undefined ? new Uint8Array(0) : encodeCanonical(subParams);
  const out = new Uint8Array(34 + params.length);
  out.fill(0xff, 0, 32);
  out[32] = Ctap2Command.CONFIG;
  out[33] = subCommand;
  out.set(params, 34);
  return out;
}

export function encodeSetMinPinLength(
  p: SetMinPinLengthParams,
  auth: { pinUvAuthProtocol: number; pinUvAuthParam: Uint8Array },
): Map<number, CborValue | undefined> {
  return new Map<number, CborValue | undefined>([
    [0x01, ConfigSubcommand.SET_MIN_PIN_LENGTH],
    [0x02, setMinPinLengthSubParams(p)],
    [0x03, auth.pinUvAuthProtocol],
    [0x04, auth.pinUvAuthParam],
  ]);
}

export async function setMinPinLength(
  ctap: Ctap2,
  token: PinToken,
  p: SetMinPinLengthParams,
  opts?: CallOptions,
): Promise<void> {
  const pinUvAuthParam = token.authenticate(
    configAuthMessage(ConfigSubcommand.SET_MIN_PIN_LENGTH, setMinPinLengthSubParams(p)),
  );
  await ctap.send(
    Ctap2Command.CONFIG,
    encodeSetMinPinLength(p, { pinUvAuthProtocol: token.protocol.version, pinUvAuthParam }),
    opts,
  );
}

/** enableEnterpriseAttestation (CTAP 2.1 §6.11.1): needs a token with the acfg permission. */
export async function enableEnterpriseAttestation(
  ctap: Ctap2,
  token: PinToken,
  opts?: CallOptions,
): Promise<void> {
  const sub = ConfigSubcommand.ENABLE_ENTERPRISE_ATTESTATION;
  const pinUvAuthParam = token.authenticate(configAuthMessage(sub));
  await ctap.send(
    Ctap2Command.CONFIG,
    new Map<number, CborValue | undefined>([
      [0x01, sub],
      [0x03, token.protocol.version],
      [0x04, pinUvAuthParam],
    ]),
    opts,
  );
}
