// authenticatorClientPIN (CTAP 2.1 §6.5.5) on the authenticator side: getRetries, getKeyAgreement,
// setPIN, changePIN, getPinToken (legacy) and getPinUvAuthTokenUsingPinWithPermissions. Every wrong PIN
// costs one of 8 retries; three wrong in a row block PIN use until a power cycle; none left blocks the
// PIN until reset. While forcePINChange is set, tokens are refused until changePIN.
import { timingSafeEqual } from "node:crypto";
import type { CborValue } from "../cbor.js";
import { decodeCoseKeyAgreement, KeyAgreementKey, type PinUvAuthProtocol } from "../ctap2/pinProtocol.js";
import { sha256, type VirtualAuthenticator } from "./authenticator.js";
import type { Params } from "./params.js";
import { Permission, SUPPORTED_PERMISSIONS } from "./pinUvToken.js";
import { MAX_PIN_RETRIES } from "./state.js";
import { fail, Status } from "./status.js";

export const PinSubcommand = {
  GetRetries: 0x01,
  GetKeyAgreement: 0x02,
  SetPin: 0x03,
  ChangePin: 0x04,
  GetPinToken: 0x05,
  GetPinUvAuthTokenUsingUvWithPermissions: 0x06,
  GetUvRetries: 0x07,
  GetPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

/** Request parameter keys. */
const P = {
  protocol: 0x01,
  subCommand: 0x02,
  keyAgreement: 0x03,
  pinUvAuthParam: 0x04,
  newPinEnc: 0x05,
  pinHashEnc: 0x06,
  permissions: 0x09,
  rpId: 0x0a,
} as const;

const CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE = 3;

export function clientPin(auth: VirtualAuthenticator, params: Params): Map<number, CborValue> | undefined {
  const sub = params.uint(P.subCommand);
  switch (sub) {
    case PinSubcommand.GetRetries:
      return new Map<number, CborValue>([
        [0x03, auth.state.pinRetries],
        [0x04, auth.consecutivePinFailures >= CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE],
      ]);
    case PinSubcommand.GetKeyAgreement:
      auth.protocol(params.uint(P.protocol));
      return new Map<number, CborValue>([[0x01, auth.keyAgreementKey.toCose()]]);
    case PinSubcommand.SetPin:
      setPin(auth, params);
      return undefined;
    case PinSubcommand.ChangePin:
      changePin(auth, params);
      return undefined;
    case PinSubcommand.GetPinToken:
      return getPinToken(auth, params, false);
    case PinSubcommand.GetPinUvAuthTokenUsingPinWithPermissions:
      if (auth.ctapVersion === "2.0") return fail(Status.InvalidSubcommand);
      return getPinToken(auth, params, true);
    case PinSubcommand.GetPinUvAuthTokenUsingUvWithPermissions:
    case PinSubcommand.GetUvRetries:
      // No built-in user verification on this key.
      return fail(Status.InvalidSubcommand);
    default:
      return fail(Status.InvalidSubcommand);
  }
}

/** ECDH with the platform's key and kdf; a key that is not a P-256 point is a bad parameter. */
function sharedSecret(auth: VirtualAuthenticator, protocol: PinUvAuthProtocol, params: Params): Uint8Array {
  const raw = params.raw(P.keyAgreement);
  if (raw === undefined) fail(Status.MissingParameter, "keyAgreement is missing");
  try {
    return protocol.decapsulate(auth.keyAgreementKey, decodeCoseKeyAgreement(raw));
  } catch {
    return fail(Status.InvalidParameter, "keyAgreement is not a P-256 COSE key");
  }
}

function setPin(auth: VirtualAuthenticator, params: Params): void {
  const protocol = auth.protocol(params.uint(P.protocol));
  if (!params.has(P.keyAgreement)) fail(Status.MissingParameter);
  const newPinEnc = params.bytes(P.newPinEnc);
  const pinUvAuthParam = params.bytes(P.pinUvAuthParam);
  if (auth.pinIsSet) fail(Status.NotAllowed, "a PIN is already set; use changePIN");
  const shared = sharedSecret(auth, protocol, params);
  if (!protocol.verify(shared, newPinEnc, pinUvAuthParam)) fail(Status.PinAuthInvalid);
  const pin = decryptNewPin(auth, protocol, shared, newPinEnc);
  auth.state = {
    ...auth.state,
    pin: { hash: Buffer.from(pin.hash).toString("base64"), codePoints: pin.codePoints },
    pinRetries: MAX_PIN_RETRIES,
    forcePinChange: false,
  };
  auth.persist();
}

function changePin(auth: VirtualAuthenticator, params: Params): void {
  const protocol = auth.protocol(params.uint(P.protocol));
  if (!params.has(P.keyAgreement)) fail(Status.MissingParameter);
  const pinHashEnc = params.bytes(P.pinHashEnc);
  const newPinEnc = params.bytes(P.newPinEnc);
  const pinUvAuthParam = params.bytes(P.pinUvAuthParam);
  if (!auth.pinIsSet) fail(Status.PinNotSet);
  checkNotBlocked(auth);
  const shared = sharedSecret(auth, protocol, params);
  const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
  message.set(newPinEnc, 0);
  message.set(pinHashEnc, newPinEnc.length);
  if (!protocol.verify(shared, message, pinUvAuthParam)) fail(Status.PinAuthInvalid);
  verifyPinHash(auth, protocol, shared, pinHashEnc);
  const pin = decryptNewPin(auth, protocol, shared, newPinEnc);
  const current = Buffer.from(auth.state.pin!.hash, "base64");
  if (auth.state.forcePinChange && timingSafeEqual(current, pin.hash)) {
    fail(Status.PinPolicyViolation, "the new PIN must differ from the one it replaces");
  }
  auth.state = {
    ...auth.state,
    pin: { hash: Buffer.from(pin.hash).toString("base64"), codePoints: pin.codePoints },
    forcePinChange: false,
  };
  auth.token.reset();
  auth.persist();
}

function getPinToken(
  auth: VirtualAuthenticator,
  params: Params,
  withPermissions: boolean,
): Map<number, CborValue> {
  const protocol = auth.protocol(params.uint(P.protocol));
  if (!params.has(P.keyAgreement)) fail(Status.MissingParameter);
  const pinHashEnc = params.bytes(P.pinHashEnc);
  let permissions = Permission.mc | Permission.ga;
  let rpId: string | undefined;
  if (withPermissions) {
    permissions = params.uint(P.permissions);
    rpId = params.optText(P.rpId);
    if (permissions === 0) fail(Status.InvalidParameter, "no permissions asked for");
    if ((permissions & ~SUPPORTED_PERMISSIONS) !== 0) fail(Status.UnauthorizedPermission);
  } else if (params.has(P.permissions) || params.has(P.rpId)) {
    fail(Status.InvalidParameter, "getPinToken takes no permissions");
  }
  if (!auth.pinIsSet) fail(Status.PinNotSet);
  checkNotBlocked(auth);
  const shared = sharedSecret(auth, protocol, params);
  verifyPinHash(auth, protocol, shared, pinHashEnc);
  if (auth.state.forcePinChange) fail(Status.PinPolicyViolation, "the PIN must be changed first");
  auth.token.reset();
  auth.token.begin(permissions, rpId);
  return new Map<number, CborValue>([[0x02, protocol.encrypt(shared, auth.token.value)]]);
}

function checkNotBlocked(auth: VirtualAuthenticator): void {
  if (auth.state.pinRetries === 0) fail(Status.PinBlocked);
  if (auth.consecutivePinFailures >= CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE) fail(Status.PinAuthBlocked);
}

/** Costs one retry before comparing, as the spec orders it, so a crash mid-check cannot refund it. */
function verifyPinHash(
  auth: VirtualAuthenticator,
  protocol: PinUvAuthProtocol,
  shared: Uint8Array,
  pinHashEnc: Uint8Array,
): void {
  auth.state = { ...auth.state, pinRetries: auth.state.pinRetries - 1 };
  auth.persist();
  let given: Uint8Array | undefined;
  try {
    given = protocol.decrypt(shared, pinHashEnc);
  } catch {
    given = undefined;
  }
  const stored = Buffer.from(auth.state.pin!.hash, "base64");
  if (given === undefined || given.length !== 16 || !timingSafeEqual(given, stored)) {
    auth.keyAgreementKey = KeyAgreementKey.generate();
    auth.consecutivePinFailures++;
    if (auth.state.pinRetries === 0) fail(Status.PinBlocked);
    if (auth.consecutivePinFailures >= CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE) fail(Status.PinAuthBlocked);
    fail(Status.PinInvalid);
  }
  auth.consecutivePinFailures = 0;
  auth.state = { ...auth.state, pinRetries: MAX_PIN_RETRIES };
  auth.persist();
}

/** Decrypts newPinEnc and applies the PIN policy: 64 padded bytes, minPINLength code points, ≤ 63 bytes. */
function decryptNewPin(
  auth: VirtualAuthenticator,
  protocol: PinUvAuthProtocol,
  shared: Uint8Array,
  newPinEnc: Uint8Array,
): { hash: Uint8Array; codePoints: number } {
  let padded: Uint8Array;
  try {
    padded = protocol.decrypt(shared, newPinEnc);
  } catch {
    return fail(Status.PinPolicyViolation, "newPinEnc does not decrypt");
  }
  try {
    if (padded.length !== 64) fail(Status.PinPolicyViolation, "the padded PIN is not 64 bytes");
    const end = padded.indexOf(0);
    if (end === -1) fail(Status.PinPolicyViolation, "the PIN is longer than 63 bytes");
    const pinBytes = padded.subarray(0, end);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(pinBytes);
    } catch {
      return fail(Status.PinPolicyViolation, "the PIN is not UTF-8");
    }
    const codePoints = [...text].length;
    if (codePoints < auth.state.minPinLength) fail(Status.PinPolicyViolation, "the PIN is too short");
    return { hash: sha256(pinBytes).subarray(0, 16), codePoints };
  } finally {
    padded.fill(0);
  }
}
