// Checks shared by makeCredential, getAssertion, credentialManagement and authenticatorConfig: the
// pinUvAuthProtocol/pinUvAuthParam pair, the token's permission, and its permissions RP ID binding
// (CTAP 2.1 §6.1.2 steps 2 and 11, §6.2.2, §6.8, §6.11).
import type { PinUvAuthProtocol } from "../ctap2/pinProtocol.js";
import type { VirtualAuthenticator } from "./authenticator.js";
import type { CborRequestContext } from "./ctaphidDevice.js";
import type { Params } from "./params.js";
import { fail, Status } from "./status.js";

/** The protocol named by a request that carries pinUvAuthParam (missing: MISSING_PARAMETER). */
export function requestProtocol(
  auth: VirtualAuthenticator,
  params: Params,
  protocolKey: number,
): PinUvAuthProtocol {
  const version = params.optUint(protocolKey);
  if (version === undefined) fail(Status.MissingParameter, "pinUvAuthProtocol is missing");
  return auth.protocol(version);
}

/**
 * A zero-length pinUvAuthParam is how CTAP 2.0 platforms ask "touch to pick this key": wait for the
 * touch, then say whether a PIN is set (PIN_NOT_SET) or not usable this way (PIN_INVALID).
 */
export async function answerEmptyPinUvAuthParam(
  auth: VirtualAuthenticator,
  ctx: CborRequestContext,
): Promise<never> {
  await auth.collectUserPresence(ctx);
  return fail(auth.pinIsSet ? Status.PinInvalid : Status.PinNotSet);
}

/**
 * verify(pinUvAuthToken, message, pinUvAuthParam), then the permission, then the RP ID binding: a token
 * bound to another RP is refused; an unbound token becomes bound to `rpId` when `bind` is set.
 */
export function checkToken(
  auth: VirtualAuthenticator,
  protocol: PinUvAuthProtocol,
  message: Uint8Array,
  pinUvAuthParam: Uint8Array,
  permission: number,
  rp: { rpId: string; bind: boolean } | undefined,
): void {
  if (!auth.token.verify(protocol, message, pinUvAuthParam)) fail(Status.PinAuthInvalid, "pinUvAuthParam");
  if (!auth.token.has(permission)) fail(Status.PinAuthInvalid, "the token lacks the permission");
  if (rp) {
    if (auth.token.rpId !== undefined && auth.token.rpId !== rp.rpId) {
      fail(Status.PinAuthInvalid, "the token is bound to another RP");
    }
    if (auth.token.rpId === undefined && rp.bind) auth.token.rpId = rp.rpId;
  }
}
