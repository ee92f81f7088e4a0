// authenticatorMakeCredential (CTAP 2.1 §6.1) on the authenticator side: ES256 credentials with random
// ids and stored keys, discoverable credentials kept per (RP, user), excludeList, the credProtect and
// hmac-secret extensions, user verification through a pinUvAuthToken with the mc permission, user presence
// through the presence mode, and packed attestation signed with the batch key.
import { randomBytes } from "node:crypto";
import type { CborValue } from "../cbor.js";
import { buildAuthData } from "./authData.js";
import { sha256, type VirtualAuthenticator } from "./authenticator.js";
import { ES256, generateCredentialKey } from "./credentialKeys.js";
import type { CborRequestContext } from "./ctaphidDevice.js";
import { MAX_CREDENTIAL_ID_LENGTH, MAX_CREDENTIALS_IN_LIST } from "./getInfo.js";
import { credentialDescriptorId, Params } from "./params.js";
import { Permission } from "./pinUvToken.js";
import type { StoredCredential } from "./state.js";
import { fail, Status } from "./status.js";
import { answerEmptyPinUvAuthParam, checkToken, requestProtocol } from "./userVerification.js";

const K = {
  clientDataHash: 0x01,
  rp: 0x02,
  user: 0x03,
  pubKeyCredParams: 0x04,
  excludeList: 0x05,
  extensions: 0x06,
  options: 0x07,
  pinUvAuthParam: 0x08,
  pinUvAuthProtocol: 0x09,
  enterpriseAttestation: 0x0a,
} as const;

/** user.name and displayName are kept to 64 bytes, as keys with little storage do; never an error. */
const MAX_USER_FIELD_BYTES = 64;

export async function makeCredential(
  auth: VirtualAuthenticator,
  params: Params,
  ctx: CborRequestContext,
): Promise<Map<number, CborValue>> {
  const clientDataHash = params.bytes(K.clientDataHash);
  const rp = params.requiredMap(K.rp);
  const rpId = rp.text("id");
  const rpName = rp.optText("name");
  const user = params.requiredMap(K.user);
  const userId = user.bytes("id");
  if (userId.length > 64) fail(Status.InvalidLength, "user.id is longer than 64 bytes");
  const userName = truncateUtf8(user.optText("name"));
  const userDisplayName = truncateUtf8(user.optText("displayName"));
  const algorithms = params.array(K.pubKeyCredParams);
  const pinUvAuthParam = params.optBytes(K.pinUvAuthParam);
  const enterprise = enterpriseRequested(auth, params.optUint(K.enterpriseAttestation), rpId);

  if (pinUvAuthParam !== undefined && pinUvAuthParam.length === 0) await answerEmptyPinUvAuthParam(auth, ctx);
  const protocol =
    pinUvAuthParam !== undefined ? requestProtocol(auth, params, K.pinUvAuthProtocol) : undefined;

  let es256 = false;
  for (const entry of algorithms) {
    const p = Params.of(entry);
    const type = p.text("type");
    const alg = p.optInt("alg");
    if (alg === undefined) fail(Status.MissingParameter, "pubKeyCredParams entry without alg");
    if (type === "public-key" && alg === ES256) es256 = true;
  }
  if (!es256) fail(Status.UnsupportedAlgorithm, "only ES256 is supported");

  const options = params.optMap(K.options) ?? Params.of(undefined);
  const rk = options.optBool("rk") ?? false;
  if (options.optBool("up") === false)
    fail(Status.InvalidOption, "up=false is not allowed in makeCredential");
  if (options.optBool("uv") === true && pinUvAuthParam === undefined) {
    fail(Status.InvalidOption, "this key has no built-in user verification");
  }

  let uv = false;
  if (protocol && pinUvAuthParam) {
    checkToken(auth, protocol, clientDataHash, pinUvAuthParam, Permission.mc, { rpId, bind: true });
    uv = true;
  } else if (auth.pinIsSet) {
    // makeCredUvNotRqd is false: a key with a PIN makes no credential without it.
    fail(Status.PuatRequired, "a PIN is set: a pinUvAuthToken is required");
  }

  const excludeList = params.optArray(K.excludeList) ?? [];
  if (excludeList.length > MAX_CREDENTIALS_IN_LIST) fail(Status.LimitExceeded, "excludeList is too long");
  for (const entry of excludeList) {
    const id = credentialDescriptorId(entry);
    if (!id || id.length > MAX_CREDENTIAL_ID_LENGTH) continue;
    const idText = Buffer.from(id).toString("base64url");
    const found = auth.state.credentials.find((c) => c.id === idText && c.rpId === rpId);
    // A userVerificationRequired credential stays invisible to a request without UV.
    if (found && (found.credProtect !== 3 || uv)) {
      await auth.collectUserPresence(ctx);
      fail(Status.CredentialExcluded);
    }
  }

  const extensions = params.optMap(K.extensions);
  let credProtect: 1 | 2 | 3 = 1;
  let credProtectAsked = false;
  const requestedProtect = extensions?.optUint("credProtect");
  if (requestedProtect !== undefined) {
    if (requestedProtect < 1 || requestedProtect > 3)
      fail(Status.InvalidParameter, "credProtect is 1, 2 or 3");
    credProtect = requestedProtect as 1 | 2 | 3;
    credProtectAsked = true;
  }
  const hmacSecret = extensions?.optBool("hmac-secret") === true;

  if (rk && auth.discoverable().length >= auth.maxDiscoverableCredentials) {
    const replaces = auth
      .discoverable(rpId)
      .some((c) => c.userId === Buffer.from(userId).toString("base64url"));
    if (!replaces) fail(Status.KeyStoreFull);
  }

  await auth.collectUserPresence(ctx);
  if (uv) auth.token.clearPermissionsExceptLbw();

  const key = generateCredentialKey();
  const credentialId = new Uint8Array(randomBytes(32));
  const userIdText = Buffer.from(userId).toString("base64url");
  const record: StoredCredential = {
    id: Buffer.from(credentialId).toString("base64url"),
    rpId,
    ...(rpName !== undefined ? { rpName } : {}),
    userId: userIdText,
    ...(userName !== undefined ? { userName } : {}),
    ...(userDisplayName !== undefined ? { userDisplayName } : {}),
    privateKeyPkcs8: key.privateKeyPkcs8,
    credProtect,
    ...(hmacSecret
      ? {
          credRandomWithUv: randomBytes(32).toString("base64"),
          credRandomWithoutUv: randomBytes(32).toString("base64"),
        }
      : {}),
    discoverable: rk,
    signCount: 0,
    createdAt: auth.nextCreatedAt(),
  };
  // A new discoverable credential for the same account replaces the old one (CTAP 2.1 §6.1.2 step 17).
  const kept = auth.state.credentials.filter(
    (c) => !(rk && c.discoverable && c.rpId === rpId && c.userId === userIdText),
  );
  auth.state = { ...auth.state, credentials: [...kept, record] };
  auth.persist();

  const extensionOutputs = new Map<string, CborValue>();
  if (credProtectAsked) extensionOutputs.set("credProtect", credProtect);
  if (hmacSecret) extensionOutputs.set("hmac-secret", true);
  const authData = buildAuthData({
    rpIdHash: sha256(rpId),
    up: true,
    uv,
    signCount: 0,
    attested: { aaguid: auth.aaguid, credentialId, cosePublicKey: key.cosePublicKey },
    extensions: extensionOutputs,
  });
  const reply = new Map<number, CborValue>([
    [0x01, "packed"],
    [0x02, authData],
    [0x03, auth.attester.packedStatement(authData, clientDataHash, enterprise)],
  ]);
  if (enterprise) reply.set(0x04, true);
  return reply;
}

/**
 * enterpriseAttestation (CTAP 2.1 §6.1.2 step 9): refused on a key without it or with it disabled; 1
 * (vendor-facilitated) is given only to the RP IDs configured in the key, 2 (platform-managed) to any.
 */
function enterpriseRequested(auth: VirtualAuthenticator, value: number | undefined, rpId: string): boolean {
  if (value === undefined) return false;
  const ea = auth.state.enterprise;
  if (!ea?.enabled) fail(Status.InvalidParameter, "enterprise attestation is not enabled");
  if (value !== 1 && value !== 2) fail(Status.InvalidOption, "enterpriseAttestation is 1 or 2");
  return value === 2 || ea.rpIds.includes(rpId);
}

function truncateUtf8(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let out = "";
  let bytes = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > MAX_USER_FIELD_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}
