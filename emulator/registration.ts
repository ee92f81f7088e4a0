// Registration of a FIDO2 method (POST …/fido2Methods), verified for real: the body's shape, the tenant
// policy (enabled, self-service set-up allowed, user in scope), the challenge (issued by this tenant for
// this user, unexpired, unused), clientDataJSON, the attestation (`packed` or `none` only, checked by
// @simplewebauthn/server: rp id hash, UP and UV flags, algorithm, signature), the attestation chain against
// the tenant's trust anchors, key restrictions and passkey profiles, and duplicates.
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { verifyRegistrationResponse } from "@simplewebauthn/server";
import { decodeAttestationObject } from "@simplewebauthn/server/helpers";
import { readChallenge } from "./challenges.js";
import { type EmulatorContext, now } from "./context.js";
import type { DirUser } from "./directory.js";
import { type GraphRequest, type GraphResponse, graphError } from "./graphHttp.js";
import { decodeLenientBase64, urlTokenEncode } from "./methodId.js";
import { policyRefusal, userInScope } from "./policyDecision.js";
import type { StoredMethod } from "./stateStore.js";

export const rpId = "login.microsoft.com";
/** Every successful public sample used the first; the v1.0 doc example uses the second. */
export const acceptedOrigins = ["https://login.microsoft.com", "https://login.microsoftonline.com"];
export const supportedAlgorithms = [-7, -257];
const displayNameLimit = 30;

const missingEntity =
  "The request is missing a fido2AuthenticationMethod entity with a displayName and publicKeyCredential in the request body. All other properties will be ignored.";

type Outcome = { ok: true; method: StoredMethod } | { ok: false; response: GraphResponse };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export async function registerFido2Method(
  ctx: EmulatorContext,
  req: GraphRequest,
  user: DirUser,
): Promise<Outcome> {
  const bad = (message: string, status = 400, code = "badRequest"): Outcome => ({
    ok: false,
    response: graphError(req, status, code, message),
  });
  const body = req.body;
  // Observed (I-941): a body carrying @odata.type was refused with this message.
  if (
    !isRecord(body) ||
    typeof body.displayName !== "string" ||
    !isRecord(body.publicKeyCredential) ||
    "@odata.type" in body
  ) {
    return bad(missingEntity);
  }
  const displayName = body.displayName;
  if (displayName.trim().length === 0 || displayName.length > displayNameLimit) {
    return bad(`The displayName must be between 1 and ${displayNameLimit} characters.`);
  }

  const state = ctx.store.read();
  const policy = state.policy;
  if (policy.state !== "enabled")
    return bad("The FIDO2 authentication method is disabled in the tenant's authentication methods policy.");
  if (!policy.isSelfServiceRegistrationAllowed) {
    return bad(
      "FIDO2 provisioning requires 'Allow self-service setup' to be enabled in the FIDO2 authentication method policy.",
    );
  }
  if (!userInScope(policy, ctx.directory, user.id)) {
    return bad("error_user_group_restriction_policy_failure: User or group restriction policy failed.");
  }

  const pkc = body.publicKeyCredential;
  const response = isRecord(pkc.response) ? pkc.response : undefined;
  const credId = decodeLenientBase64(pkc.id);
  const clientDataBytes = decodeLenientBase64(response?.clientDataJSON);
  const attObjBytes = decodeLenientBase64(response?.attestationObject);
  if (!credId || !clientDataBytes || !attObjBytes) {
    return bad(
      "The publicKeyCredential must carry id, response.clientDataJSON and response.attestationObject, base64url-encoded.",
    );
  }

  let clientData: Record<string, unknown>;
  try {
    const parsed = JSON.parse(clientDataBytes.toString("utf8")) as unknown;
    if (!isRecord(parsed)) throw new Error("not an object");
    clientData = parsed;
  } catch {
    return bad("clientDataJSON is not valid JSON.");
  }
  if (clientData.type !== "webauthn.create") return bad("clientDataJSON.type must be 'webauthn.create'.");
  const challenge = typeof clientData.challenge === "string" ? clientData.challenge : "";
  const claims = readChallenge(ctx.identity.challengeKey, challenge);
  if (!claims || claims.tid !== ctx.tenantId) return bad("The challenge was not issued by this tenant.");
  if (claims.uid !== user.id) return bad("The challenge was issued for a different user.");
  if (now(ctx) > claims.exp)
    return bad("The challenge has expired. Request new creationOptions and register again.");
  if (state.usedChallenges[claims.nonce] !== undefined) return bad("The challenge has already been used.");

  let fmt: string;
  let x5c: Uint8Array[] = [];
  try {
    const att = decodeAttestationObject(new Uint8Array(attObjBytes));
    fmt = att.get("fmt");
    x5c = att.get("attStmt").get("x5c") ?? [];
  } catch {
    return bad("attestationObject is not valid CBOR.");
  }
  if (fmt !== "packed" && fmt !== "none") {
    return bad(`Attestation format '${fmt}' is not supported; only 'packed' or 'none' are.`);
  }

  const b64u = (b: Buffer) => b.toString("base64url");
  let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    info = await verifyRegistrationResponse({
      response: {
        id: b64u(credId),
        rawId: b64u(credId),
        type: "public-key",
        response: { clientDataJSON: b64u(clientDataBytes), attestationObject: b64u(attObjBytes) },
        clientExtensionResults: {},
      },
      expectedChallenge: challenge,
      expectedOrigin: acceptedOrigins,
      expectedRPID: rpId,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: supportedAlgorithms,
    });
  } catch (err) {
    return bad(`The attestation could not be verified: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!info.verified) return bad("The attestation could not be verified: the signature is not valid.");
  const reg = info.registrationInfo;
  const authCredId = Buffer.from(reg.credential.id, "base64url");
  if (!authCredId.equals(credId))
    return bad("publicKeyCredential.id does not match the credential id in the authenticator data.");

  const anchors = [...ctx.seedTrustAnchors, ...state.trustAnchors, ...rootsAt(ctx.trustRootsPath)];
  const attested = x5c.length > 0 && chainsToAnchor(x5c, anchors, now(ctx));
  const passkeyType = reg.credentialDeviceType === "multiDevice" ? "synced" : "deviceBound";
  const aaguid = reg.aaguid.toLowerCase();
  const refusal = policyRefusal(policy, ctx.directory, user.id, { aaguid, attested, passkeyType });
  if (refusal) return bad(refusal);

  const method: StoredMethod = {
    id: urlTokenEncode(credId),
    displayName,
    createdDateTime: `${new Date(now(ctx)).toISOString().slice(0, 19)}Z`,
    aaGuid: aaguid,
    model: ctx.models.get(aaguid) ?? null,
    attestationCertificates: x5c.map((c) => createHash("sha1").update(c).digest("hex")),
    attestationLevel: attested ? "attested" : "notAttested",
    passkeyType,
    credentialId: b64u(credId),
    publicKey: Buffer.from(reg.credential.publicKey).toString("base64url"),
    signCount: reg.credential.counter,
    fmt,
  };
  // Re-checked under the store's lock: another process may have spent the challenge or stored the key.
  return ctx.store.mutate((s): Outcome => {
    if (s.usedChallenges[claims.nonce] !== undefined) return bad("The challenge has already been used.");
    for (const list of Object.values(s.methods)) {
      if (list.some((m) => m.credentialId === method.credentialId)) {
        return bad("A FIDO2 method with this credential id is already registered.", 409, "conflict");
      }
    }
    const t = now(ctx);
    for (const [nonce, exp] of Object.entries(s.usedChallenges)) if (exp < t) delete s.usedChallenges[nonce];
    s.usedChallenges[claims.nonce] = claims.exp;
    s.methods[user.id] = [...(s.methods[user.id] ?? []), method];
    return { ok: true, method };
  });
}

/** The certificates in a PEM file (a bundle may hold many) or in every `*.pem` of a folder; none if absent. */
export function rootsAt(path: string | undefined): string[] {
  if (!path || !existsSync(path)) return [];
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith(".pem"))
        .map((f) => join(path, f))
    : [path];
  return files.flatMap(
    (f) =>
      readFileSync(f, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [],
  );
}

/** True when the x5c chain (leaf first) ends, through valid signatures, in one of the anchors. */
export function chainsToAnchor(x5c: Uint8Array[], anchorPems: string[], atMs: number): boolean {
  let certs: X509Certificate[];
  let anchors: X509Certificate[];
  try {
    certs = x5c.map((c) => new X509Certificate(Buffer.from(c)));
    anchors = anchorPems.map((p) => new X509Certificate(p));
  } catch {
    return false;
  }
  const within = (c: X509Certificate) => Date.parse(c.validFrom) <= atMs && atMs <= Date.parse(c.validTo);
  let current = certs[0];
  const pool = certs.slice(1);
  for (let depth = 0; current && depth < 8; depth++) {
    if (!within(current)) return false;
    const cert: X509Certificate = current;
    const anchor = anchors.find((a) => cert.checkIssued(a) && cert.verify(a.publicKey));
    if (anchor) return within(anchor);
    current = pool.find((p) => cert.checkIssued(p) && cert.verify(p.publicKey) && p.ca);
  }
  return false;
}
