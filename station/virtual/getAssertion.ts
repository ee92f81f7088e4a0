// authenticatorGetAssertion and authenticatorGetNextAssertion (CTAP 2.1 §6.2, §6.3): credentials found
// through the allowList or, without one, the RP's discoverable credentials (newest first); credProtect
// hides level-3 credentials without UV and level-2 ones from discovery without UV; hmac-secret answers
// with HMAC outputs of the credential's CredRandom encrypted to the platform.
import { createHmac } from "node:crypto";
import type { CborValue } from "../cbor.js";
import { decodeCoseKeyAgreement } from "../ctap2/pinProtocol.js";
import { buildAuthData, concat } from "./authData.js";
import { sha256, type VirtualAuthenticator } from "./authenticator.js";
import { signWithCredential } from "./credentialKeys.js";
import type { CborRequestContext } from "./ctaphidDevice.js";
import { MAX_CREDENTIAL_ID_LENGTH, MAX_CREDENTIALS_IN_LIST } from "./getInfo.js";
import { credentialDescriptorId, Params } from "./params.js";
import { Permission } from "./pinUvToken.js";
import type { StoredCredential } from "./state.js";
import { fail, Status } from "./status.js";
import { answerEmptyPinUvAuthParam, checkToken, requestProtocol } from "./userVerification.js";

const K = {
  rpId: 0x01,
  clientDataHash: 0x02,
  allowList: 0x03,
  extensions: 0x04,
  options: 0x05,
  pinUvAuthParam: 0x06,
  pinUvAuthProtocol: 0x07,
} as const;

/** getNextAssertion serves the remaining credentials for this long (the spec's 30-second timer). */
const NEXT_ASSERTION_WINDOW_MS = 30_000;

export interface PendingAssertions {
  remaining: StoredCredential[];
  sign: (credential: StoredCredential, total: number | undefined) => Map<number, CborValue>;
  expiresAt: number;
}

export async function getAssertion(
  auth: VirtualAuthenticator,
  params: Params,
  ctx: CborRequestContext,
): Promise<Map<number, CborValue>> {
  auth.pendingAssertions = undefined;
  const rpId = params.text(K.rpId);
  const clientDataHash = params.bytes(K.clientDataHash);
  const pinUvAuthParam = params.optBytes(K.pinUvAuthParam);
  if (pinUvAuthParam !== undefined && pinUvAuthParam.length === 0) await answerEmptyPinUvAuthParam(auth, ctx);
  const protocol =
    pinUvAuthParam !== undefined ? requestProtocol(auth, params, K.pinUvAuthProtocol) : undefined;

  const options = params.optMap(K.options) ?? Params.of(undefined);
  if (options.has("rk")) fail(Status.UnsupportedOption, "rk is not an option of getAssertion");
  const up = options.optBool("up") ?? true;
  if (options.optBool("uv") === true && pinUvAuthParam === undefined) {
    fail(Status.InvalidOption, "this key has no built-in user verification");
  }

  let uv = false;
  if (protocol && pinUvAuthParam) {
    checkToken(auth, protocol, clientDataHash, pinUvAuthParam, Permission.ga, { rpId, bind: true });
    uv = true;
  }

  const allowList = params.optArray(K.allowList);
  let found: StoredCredential[];
  if (allowList && allowList.length > 0) {
    if (allowList.length > MAX_CREDENTIALS_IN_LIST) fail(Status.LimitExceeded, "allowList is too long");
    const ids = new Set<string>();
    for (const entry of allowList) {
      const id = credentialDescriptorId(entry);
      if (id && id.length <= MAX_CREDENTIAL_ID_LENGTH) ids.add(Buffer.from(id).toString("base64url"));
    }
    found = auth.state.credentials.filter(
      (c) => c.rpId === rpId && ids.has(c.id) && (c.credProtect !== 3 || uv),
    );
  } else {
    found = auth.discoverable(rpId).filter((c) => c.credProtect === 1 || uv);
  }
  if (found.length === 0) fail(Status.NoCredentials);

  const extensions = params.optMap(K.extensions);
  const hmacInput = extensions?.optMap("hmac-secret");
  const hmac = hmacInput ? prepareHmacSecret(auth, hmacInput) : undefined;

  if (up) {
    await auth.collectUserPresence(ctx);
    if (uv) auth.token.clearPermissionsExceptLbw();
  }

  const discovery = !allowList || allowList.length === 0;
  const sign = (credential: StoredCredential, total: number | undefined): Map<number, CborValue> => {
    credential.signCount++;
    auth.persist();
    const extensionOutputs = new Map<string, CborValue>();
    if (hmac && credential.credRandomWithUv && credential.credRandomWithoutUv) {
      extensionOutputs.set("hmac-secret", hmac(credential, uv));
    }
    const authData = buildAuthData({
      rpIdHash: sha256(rpId),
      up,
      uv,
      signCount: credential.signCount,
      extensions: extensionOutputs,
    });
    const signature = signWithCredential(credential.privateKeyPkcs8, concat([authData, clientDataHash]));
    const reply = new Map<number, CborValue>([
      [
        0x01,
        new Map<string, CborValue>([
          ["id", new Uint8Array(Buffer.from(credential.id, "base64url"))],
          ["type", "public-key"],
        ]),
      ],
      [0x02, authData],
      [0x03, signature],
    ]);
    if (credential.discoverable) reply.set(0x04, userEntity(credential, uv && discovery));
    if (total !== undefined) reply.set(0x05, total);
    return reply;
  };

  const [first, ...rest] = found;
  if (discovery && rest.length > 0) {
    auth.pendingAssertions = { remaining: rest, sign, expiresAt: auth.now() + NEXT_ASSERTION_WINDOW_MS };
    return sign(first!, found.length);
  }
  return sign(first!, undefined);
}

export function getNextAssertion(auth: VirtualAuthenticator): Map<number, CborValue> {
  const pending = auth.pendingAssertions;
  if (!pending || pending.remaining.length === 0 || auth.now() > pending.expiresAt) {
    auth.pendingAssertions = undefined;
    return fail(Status.NotAllowed, "no assertions are pending");
  }
  const next = pending.remaining.shift()!;
  pending.expiresAt = auth.now() + NEXT_ASSERTION_WINDOW_MS;
  return pending.sign(next, undefined);
}

/** The user entity: the id always; name and displayName only after user verification. */
function userEntity(c: StoredCredential, identifying: boolean): Map<string, CborValue> {
  const user = new Map<string, CborValue>([["id", new Uint8Array(Buffer.from(c.userId, "base64url"))]]);
  if (identifying) {
    if (c.userName !== undefined) user.set("name", c.userName);
    if (c.userDisplayName !== undefined) user.set("displayName", c.userDisplayName);
  }
  return user;
}

/**
 * hmac-secret input {1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: pinUvAuthProtocol (default 1)}: the
 * shared secret from the key's key-agreement key, saltAuth checked, one or two 32-byte salts decrypted.
 */
function prepareHmacSecret(
  auth: VirtualAuthenticator,
  input: Params,
): (credential: StoredCredential, uv: boolean) => Uint8Array {
  const protocol = auth.protocol(input.optUint(4) ?? 1);
  const peerRaw = input.raw(1);
  if (peerRaw === undefined) fail(Status.MissingParameter, "hmac-secret keyAgreement is missing");
  const saltEnc = input.bytes(2);
  const saltAuth = input.bytes(3);
  let shared: Uint8Array;
  try {
    shared = protocol.decapsulate(auth.keyAgreementKey, decodeCoseKeyAgreement(peerRaw));
  } catch {
    return fail(Status.InvalidParameter, "hmac-secret keyAgreement is not a P-256 COSE key");
  }
  if (!protocol.verify(shared, saltEnc, saltAuth)) fail(Status.PinAuthInvalid, "saltAuth");
  let salts: Uint8Array;
  try {
    salts = protocol.decrypt(shared, saltEnc);
  } catch {
    return fail(Status.InvalidLength, "saltEnc does not decrypt");
  }
  if (salts.length !== 32 && salts.length !== 64) fail(Status.InvalidLength, "one or two 32-byte salts");
  return (credential, uv) => {
    const credRandom = Buffer.from(
      (uv ? credential.credRandomWithUv : credential.credRandomWithoutUv)!,
      "base64",
    );
    const outputs: Uint8Array[] = [];
    for (let at = 0; at < salts.length; at += 32) {
      outputs.push(
        createHmac("sha256", credRandom)
          .update(salts.subarray(at, at + 32))
          .digest(),
      );
    }
    return protocol.encrypt(shared, concat(outputs));
  };
}
