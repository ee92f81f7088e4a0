// One registration ceremony against a key, from Entra's creationOptions to Graph's registration body
// (graph-fido2.md §2.3, §3): PIN token with the mc permission, exclude-list pre-flight when the list is
// longer or larger than the key accepts (maxCredentialCountInList, maxMsgSize), makeCredential, checks
// of the key's answer, and the body with base64url everywhere and the key's attestation bytes unchanged.
import { createHash } from "node:crypto";
import type { CborValue } from "../cbor.js";
import { ClientPin, Permission } from "../ctap2/clientPin.js";
import { type Ctap2, Ctap2Command, encodeCommand } from "../ctap2/ctap2.js";
import { CtapError, CtapStatus } from "../ctap2/errors.js";
import { encodeGetAssertion, type GetAssertionParams, getAssertion } from "../ctap2/getAssertion.js";
import { type AuthenticatorInfo, getInfo } from "../ctap2/getInfo.js";
import {
  attestationObject,
  type CredentialDescriptor,
  encodeMakeCredential,
  type MakeCredentialResult,
  makeCredential,
} from "../ctap2/makeCredential.js";
import type { CallOptions } from "../ctaphid/device.js";
import { type AuthenticatorData, parseAuthenticatorData } from "./authData.js";
import { toBase64Url } from "./base64url.js";
import { makeCredentialParams, planRegistration, type RegistrationPlan } from "./creationOptions.js";
import { WebAuthnError } from "./errors.js";

/** The body of POST /users/{id}/authentication/fido2Methods. */
export interface GraphRegistrationBody {
  displayName: string;
  publicKeyCredential: {
    id: string;
    response: { clientDataJSON: string; attestationObject: string };
  };
}

export const MAX_DISPLAY_NAME = 30;

export function registrationBody(
  plan: RegistrationPlan,
  result: MakeCredentialResult,
  displayName: string,
  credentialId: Uint8Array,
): GraphRegistrationBody {
  if (displayName.length === 0 || [...displayName].length > MAX_DISPLAY_NAME) {
    throw new WebAuthnError(
      "bad-options",
      `the key's display name must be 1 to ${MAX_DISPLAY_NAME} characters`,
    );
  }
  return {
    displayName,
    publicKeyCredential: {
      id: toBase64Url(credentialId),
      response: {
        clientDataJSON: toBase64Url(plan.clientDataJSON),
        attestationObject: toBase64Url(attestationObject(result)),
      },
    },
  };
}

export interface RegisterOpts {
  ctap: Ctap2;
  creationOptions: unknown;
  /** The key's PIN as UTF-8 bytes; the caller zeroes it. */
  pin: Uint8Array;
  displayName: string;
  /** getInfo from this session, when the caller already has it. */
  info?: AuthenticatorInfo;
  call?: CallOptions;
  /** Ask for enterprise attestation (the station as platform: 2, platform-managed) where the key has it. */
  enterpriseAttestation?: 1 | 2;
}

export interface RegistrationOutcome {
  body: GraphRegistrationBody;
  credentialId: Uint8Array;
  aaguid: string;
  fmt: string;
  authData: AuthenticatorData;
  plan: RegistrationPlan;
  /** The key answered epAtt: the attestation is its enterprise attestation. */
  enterpriseAttested?: boolean;
}

/** Bytes of a CTAP2 request for `params`, as Ctap2.send would measure it. */
function requestBytes(cmd: number, params: ReadonlyMap<number, CborValue | undefined>): number {
  return encodeCommand(cmd, params).length;
}

/**
 * Splits `list` into runs the key accepts in one getAssertion: at most maxCredentialCountInList ids
 * (when the key says) and at most maxMsgSize bytes of request. An id that cannot fit a request even alone
 * cannot belong to this key, and is left out.
 */
export function lookupChunks(
  ctap: Ctap2,
  plan: RegistrationPlan,
  info: AuthenticatorInfo,
  list: CredentialDescriptor[],
): CredentialDescriptor[][] {
  const countLimit = info.maxCredentialCountInList ?? Number.POSITIVE_INFINITY;
  const fits = (chunk: CredentialDescriptor[]): boolean =>
    requestBytes(Ctap2Command.GET_ASSERTION, encodeGetAssertion(lookupParams(plan, chunk))) <=
    ctap.maxMsgSize;
  const chunks: CredentialDescriptor[][] = [];
  let chunk: CredentialDescriptor[] = [];
  for (const d of list) {
    if (info.maxCredentialIdLength !== undefined && d.id.length > info.maxCredentialIdLength) continue;
    if (chunk.length < countLimit && fits([...chunk, d])) {
      chunk.push(d);
      continue;
    }
    if (chunk.length > 0) chunks.push(chunk);
    chunk = fits([d]) ? [d] : [];
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function lookupParams(plan: RegistrationPlan, allowList: CredentialDescriptor[]): GetAssertionParams {
  return { rpId: plan.rp.id, clientDataHash: plan.clientDataHash, allowList, options: { up: false } };
}

/**
 * Finds which excluded ids live on this key with silent getAssertions (up=false), in chunks the key
 * accepts, so a long exclude list still stops a second registration of the same key.
 */
async function preflightExcludes(
  ctap: Ctap2,
  plan: RegistrationPlan,
  info: AuthenticatorInfo,
  call?: CallOptions,
): Promise<CredentialDescriptor[]> {
  const found: CredentialDescriptor[] = [];
  for (const chunk of lookupChunks(ctap, plan, info, plan.excludeList)) {
    try {
      const r = await getAssertion(ctap, lookupParams(plan, chunk), call);
      found.push({ id: r.credentialId ?? chunk[0]!.id, type: "public-key" });
    } catch (e) {
      if (CtapError.isInstance(e) && e.status === CtapStatus.NO_CREDENTIALS) continue;
      throw e;
    }
  }
  return found;
}

/**
 * Whether makeCredential can carry the whole exclude list: within the key's list length and, with a
 * pinUvAuthParam of the protocol's size in place, within its maxMsgSize.
 */
function excludeListFits(
  ctap: Ctap2,
  plan: RegistrationPlan,
  info: AuthenticatorInfo,
  macLength: number,
): boolean {
  const limit = info.maxCredentialCountInList;
  if (limit !== undefined && plan.excludeList.length > limit) return false;
  const auth = { pinUvAuthParam: new Uint8Array(macLength), pinUvAuthProtocol: 1 };
  const params = makeCredentialParams(plan, info, auth, plan.excludeList);
  return requestBytes(Ctap2Command.MAKE_CREDENTIAL, encodeMakeCredential(params)) <= ctap.maxMsgSize;
}

export async function registerCredential(opts: RegisterOpts): Promise<RegistrationOutcome> {
  const { ctap, call } = opts;
  const plan = planRegistration(opts.creationOptions);
  const info = opts.info ?? (await getInfo(ctap, call));
  if (info.options.clientPin !== true) {
    throw new WebAuthnError("pin-required", "the key has no PIN set; set one before registering");
  }
  const pins = new ClientPin(ctap, info);
  const macLength = pins.protocol.version === 2 ? 32 : 16;
  const excludeList = excludeListFits(ctap, plan, info, macLength)
    ? plan.excludeList
    : await preflightExcludes(ctap, plan, info, call);
  const token = await pins.getToken(
    opts.pin,
    { permissions: Permission.MAKE_CREDENTIAL, rpId: plan.rp.id },
    call,
  );
  let result: MakeCredentialResult;
  try {
    const auth = {
      pinUvAuthParam: token.authenticate(plan.clientDataHash),
      pinUvAuthProtocol: token.protocol.version,
    };
    const params = makeCredentialParams(plan, info, auth, excludeList);
    if (opts.enterpriseAttestation !== undefined) params.enterpriseAttestation = opts.enterpriseAttestation;
    result = await makeCredential(ctap, params, call);
  } finally {
    token.dispose();
  }
  const authData = parseAuthenticatorData(result.authData);
  const expectedHash = createHash("sha256").update(plan.rp.id).digest();
  if (Buffer.compare(authData.rpIdHash, expectedHash) !== 0) {
    throw new WebAuthnError(
      "verification-failed",
      "the key signed for another relying party (rpIdHash differs)",
    );
  }
  const cred = authData.attestedCredential;
  if (!cred) throw new WebAuthnError("verification-failed", "the key returned no attested credential data");
  if (result.fmt !== "packed" && result.fmt !== "none") {
    throw new WebAuthnError(
      "key-unsupported",
      `attestation format '${result.fmt}' is not accepted by Entra (packed or none)`,
    );
  }
  return {
    body: registrationBody(plan, result, opts.displayName, cred.credentialId),
    credentialId: cred.credentialId,
    aaguid: cred.aaguid,
    fmt: result.fmt,
    authData,
    plan,
    ...(result.epAtt === true ? { enterpriseAttested: true } : {}),
  };
}
