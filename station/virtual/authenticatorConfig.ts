// authenticatorConfig (CTAP 2.1 §6.11): setMinPINLength with forceChangePin. A longer minimum than the
// current PIN, or forceChangePin, sets forcePINChange: from then on the key refuses PIN tokens until the
// PIN is changed. The pinUvAuthParam signs 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams.
import { type CborValue, encodeCanonical } from "../cbor.js";
import { concat } from "./authData.js";
import type { VirtualAuthenticator } from "./authenticator.js";
import { Params } from "./params.js";
import { Permission } from "./pinUvToken.js";
import { fail, Status } from "./status.js";
import { checkToken, requestProtocol } from "./userVerification.js";

export const ConfigSubcommand = {
  EnableEnterpriseAttestation: 0x01,
  ToggleAlwaysUv: 0x02,
  SetMinPinLength: 0x03,
  VendorPrototype: 0xff,
} as const;

const K = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

export function authenticatorConfig(
  auth: VirtualAuthenticator,
  params: Params,
): Map<number, CborValue> | undefined {
  const sub = params.uint(K.subCommand);
  const subParamsRaw = params.optRawMap(K.subCommandParams);
  const pinUvAuthParam = params.optBytes(K.pinUvAuthParam);
  if (pinUvAuthParam !== undefined) {
    const protocol = requestProtocol(auth, params, K.pinUvAuthProtocol);
    const message = concat([
      new Uint8Array(32).fill(0xff),
      Uint8Array.of(0x0d, sub),
      subParamsRaw ? encodeCanonical(subParamsRaw) : new Uint8Array(0),
    ]);
    checkToken(auth, protocol, message, pinUvAuthParam, Permission.acfg, undefined);
  } else if (auth.pinIsSet) {
    fail(Status.PuatRequired, "a PIN is set: a pinUvAuthToken with the acfg permission is required");
  }

  if (sub === ConfigSubcommand.EnableEnterpriseAttestation) {
    if (!auth.state.enterprise)
      return fail(Status.InvalidSubcommand, "no enterprise attestation on this key");
    auth.state = { ...auth.state, enterprise: { ...auth.state.enterprise, enabled: true } };
    auth.persist();
    return undefined;
  }
  if (sub !== ConfigSubcommand.SetMinPinLength) return fail(Status.InvalidSubcommand);

  const p = Params.of(subParamsRaw);
  const current = auth.state.minPinLength;
  const requested = p.optUint(0x01) ?? current;
  const rpIds = p.optArray(0x02);
  const forceChangePin = p.optBool(0x03) ?? false;
  if (requested < current) fail(Status.PinPolicyViolation, "the minimum PIN length can only grow");
  if (requested > 63) fail(Status.PinPolicyViolation, "a PIN has at most 63 bytes");
  // maxRPIDsForSetMinPINLength is 0: this key offers no minPinLength extension to report to RPs.
  if (rpIds !== undefined && rpIds.length > 0)
    fail(Status.InvalidParameter, "minPinLengthRPIDs not supported");
  if (forceChangePin && !auth.pinIsSet) fail(Status.PinNotSet, "no PIN to force a change of");
  const pin = auth.state.pin;
  const tooShort = pin !== null && pin.codePoints < requested;
  auth.state = {
    ...auth.state,
    minPinLength: requested,
    forcePinChange: auth.state.forcePinChange || forceChangePin || tooShort,
  };
  auth.persist();
  return undefined;
}
