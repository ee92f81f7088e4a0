// Entra's creationOptions (Graph webauthnCredentialCreationOptions, graph-fido2.md §2.2) read into a
// registration plan: clientDataJSON exactly as Entra's working clients send it, the CTAP
// makeCredential parameters, and the extension mapping (§3.4). Pure: no device, no clock.
import { createHash } from "node:crypto";
import type { AuthenticatorInfo } from "../ctap2/getInfo.js";
import type { CredentialDescriptor, MakeCredentialParams } from "../ctap2/makeCredential.js";
import { credentialIdCandidates, fromBase64Url } from "./base64url.js";
import { WebAuthnError } from "./errors.js";

export const ENTRA_ORIGIN = "https://login.microsoft.com";

const credProtectLevels: Record<string, 1 | 2 | 3> = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
};

export interface RegistrationPlan {
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  /** The challenge string exactly as Graph returned it. */
  challenge: string;
  clientDataJSON: Uint8Array;
  clientDataHash: Uint8Array;
  pubKeyCredParams: { alg: number; type: "public-key" }[];
  excludeList: CredentialDescriptor[];
  residentKey: boolean;
  userVerification: "required" | "preferred" | "discouraged";
  credProtect?: 1 | 2 | 3;
  enforceCredProtect: boolean;
  hmacSecret: boolean;
  timeoutMs?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function bad(message: string): never {
  throw new WebAuthnError("bad-options", `creationOptions: ${message}`);
}

function optionalString(o: Json, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") bad(`${where}.${key} is not a string`);
  return v;
}

/** The clientDataJSON bytes, byte for byte as Entra's working clients produce them (graph-fido2.md §3.2). */
export function clientDataJson(challenge: string, origin = ENTRA_ORIGIN): Uint8Array {
  const text = `{"type":"webauthn.create","challenge":${JSON.stringify(challenge)},"origin":${JSON.stringify(origin)},"crossOrigin":false}`;
  return new Uint8Array(Buffer.from(text, "utf8"));
}

/**
 * Reads Graph's creationOptions (the whole response, or just its publicKey member). Every malformed
 * field is a WebAuthnError("bad-options") naming it.
 */
export function planRegistration(creationOptions: unknown, opts: { origin?: string } = {}): RegistrationPlan {
  if (!isObject(creationOptions)) bad("not a JSON object");
  const pk = isObject(creationOptions.publicKey) ? creationOptions.publicKey : creationOptions;
  const challenge = pk.challenge;
  if (typeof challenge !== "string" || challenge.length === 0) bad("publicKey.challenge is missing");
  const rp = pk.rp;
  if (!isObject(rp) || typeof rp.id !== "string" || rp.id.length === 0) bad("publicKey.rp.id is missing");
  const user = pk.user;
  if (!isObject(user) || typeof user.id !== "string") bad("publicKey.user.id is missing");
  let userId: Uint8Array;
  try {
    userId = fromBase64Url(user.id);
  } catch {
    userId = credentialIdCandidates(user.id)[0] ?? bad("publicKey.user.id is not base64url");
  }
  if (userId.length === 0 || userId.length > 64) bad("publicKey.user.id must be 1 to 64 bytes");

  const params = pk.pubKeyCredParams;
  if (!Array.isArray(params) || params.length === 0) bad("publicKey.pubKeyCredParams is empty");
  const pubKeyCredParams: RegistrationPlan["pubKeyCredParams"] = [];
  for (const p of params) {
    if (!isObject(p) || typeof p.alg !== "number" || !Number.isInteger(p.alg))
      bad("a pubKeyCredParams entry has no integer alg");
    if (p.type === "public-key") pubKeyCredParams.push({ alg: p.alg, type: "public-key" });
  }
  if (pubKeyCredParams.length === 0) bad("no pubKeyCredParams of type public-key");

  const excludeList: CredentialDescriptor[] = [];
  const exclude = pk.excludeCredentials ?? [];
  if (!Array.isArray(exclude)) bad("publicKey.excludeCredentials is not an array");
  for (const [i, e] of exclude.entries()) {
    if (!isObject(e) || typeof e.id !== "string") bad(`excludeCredentials[${i}].id is missing`);
    if (e.type !== undefined && e.type !== "public-key") continue;
    const candidates = credentialIdCandidates(e.id);
    if (candidates.length === 0) bad(`excludeCredentials[${i}].id decodes in none of the known encodings`);
    for (const id of candidates) excludeList.push({ id, type: "public-key" });
  }

  const sel = isObject(pk.authenticatorSelection) ? pk.authenticatorSelection : {};
  const residentKey =
    sel.requireResidentKey === true || sel.residentKey === "required" || sel.residentKey === "preferred";
  const uv = sel.userVerification ?? "preferred";
  if (uv !== "required" && uv !== "preferred" && uv !== "discouraged")
    bad("authenticatorSelection.userVerification is unknown");

  const ext = isObject(pk.extensions) ? pk.extensions : {};
  let credProtect: 1 | 2 | 3 | undefined;
  const policy = optionalString(ext, "credentialProtectionPolicy", "extensions");
  if (policy !== undefined) {
    credProtect = credProtectLevels[policy] ?? bad(`unknown credentialProtectionPolicy '${policy}'`);
  }
  const timeout = pk.timeout;
  const clientData = clientDataJson(challenge, opts.origin);
  const plan: RegistrationPlan = {
    rp: { id: rp.id },
    user: { id: userId },
    challenge,
    clientDataJSON: clientData,
    clientDataHash: new Uint8Array(createHash("sha256").update(clientData).digest()),
    pubKeyCredParams,
    excludeList,
    residentKey,
    userVerification: uv,
    enforceCredProtect: ext.enforceCredentialProtectionPolicy === true,
    hmacSecret: ext.hmacCreateSecret === true,
  };
  const rpName = optionalString(rp, "name", "rp");
  if (rpName !== undefined) plan.rp.name = rpName;
  const userName = optionalString(user, "name", "user");
  if (userName !== undefined) plan.user.name = userName;
  const displayName = optionalString(user, "displayName", "user");
  if (displayName !== undefined) plan.user.displayName = displayName;
  if (credProtect !== undefined) plan.credProtect = credProtect;
  if (typeof timeout === "number" && timeout > 0) plan.timeoutMs = timeout;
  return plan;
}

/**
 * The makeCredential parameters for this key: checks what the key must support (algorithms, rk, an
 * enforced credProtect) and leaves out extensions it does not list.
 */
export function makeCredentialParams(
  plan: RegistrationPlan,
  info: AuthenticatorInfo,
  auth?: { pinUvAuthParam: Uint8Array; pinUvAuthProtocol: number },
  /** The exclude list after pre-flight (see registerCredential); defaults to the plan's. */
  excludeList: CredentialDescriptor[] = plan.excludeList,
): MakeCredentialParams {
  if (info.algorithms && !plan.pubKeyCredParams.some((p) => info.algorithms?.some((a) => a.alg === p.alg))) {
    throw new WebAuthnError("key-unsupported", "the key supports none of the requested algorithms");
  }
  if (plan.residentKey && info.options.rk !== true) {
    throw new WebAuthnError("key-unsupported", "the key cannot store discoverable credentials");
  }
  const extensions: MakeCredentialParams["extensions"] = {};
  if (plan.credProtect !== undefined) {
    if (info.extensions.includes("credProtect")) extensions.credProtect = plan.credProtect;
    else if (plan.enforceCredProtect)
      throw new WebAuthnError(
        "key-unsupported",
        "the key does not support credProtect, which Entra enforces",
      );
  }
  if (plan.hmacSecret && info.extensions.includes("hmac-secret")) extensions.hmacSecret = true;
  if (plan.userVerification === "required" && auth === undefined && info.options.uv !== true) {
    throw new WebAuthnError("pin-required", "user verification is required: the key needs a PIN");
  }
  const limit = info.maxCredentialCountInList;
  if (limit !== undefined && excludeList.length > limit) {
    throw new WebAuthnError(
      "key-unsupported",
      `the exclude list has ${excludeList.length} ids; this key takes ${limit}`,
    );
  }
  const params: MakeCredentialParams = {
    clientDataHash: plan.clientDataHash,
    rp: plan.rp,
    user: plan.user,
    pubKeyCredParams: plan.pubKeyCredParams,
    excludeList,
    extensions,
    options: {
      rk: plan.residentKey ? true : undefined,
      uv: auth === undefined && plan.userVerification === "required" ? true : undefined,
    },
  };
  if (auth) {
    params.pinUvAuthParam = auth.pinUvAuthParam;
    params.pinUvAuthProtocol = auth.pinUvAuthProtocol;
  }
  return params;
}
