// Registering a passkey on a person's behalf: the one POST that must never be repeated blindly. Graph
// may commit a registration and then lose the answer (timeout, dropped connection, 5xx). So the POST is
// sent once; after an ambiguous failure the person's methods are listed and our own registration is
// recognised by its credential id (recorded by the caller before the POST) or by the nonce in its
// display name. Only when it is not there is the POST sent again. A clear refusal (4xx) is never repeated.
import type { EntraClient } from "./client.js";
import { credentialIdMatches, decodeCredentialIdCandidates } from "./credentialId.js";
import { EntraError } from "./errors.js";
import { listFido2Methods } from "./fido2Methods.js";
import { type Fido2Method, parseFido2Method } from "./model.js";
import { backoffDelay } from "./retry.js";

/** Graph's body for POST …/fido2Methods: the attestation from the key, passed through unchanged. */
export interface PublicKeyCredentialPayload {
  id: string;
  response: { clientDataJSON: string; attestationObject: string };
  clientExtensionResults?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface RegistrationRequest {
  /** Object id (preferred) or UPN. */
  userId: string;
  /** At most 30 characters (Entra's UI limit); should contain `nonce`. */
  displayName: string;
  /** A short random marker the caller put in displayName and recorded before the POST. */
  nonce?: string | undefined;
  /** The credential id the caller recorded before the POST: raw bytes, or any of the three encodings. */
  credentialId: Uint8Array | string;
  publicKeyCredential: PublicKeyCredentialPayload;
}

export interface RegistrationResult {
  method: Fido2Method;
  /** True when the POST's answer was lost and the registration was found by listing. */
  recovered: boolean;
  /** POSTs sent. */
  posts: number;
}

export interface RegistrationHooks {
  /** Called after an ambiguous failure, before the person's methods are listed. */
  onAmbiguous?: (error: EntraError, post: number) => void;
}

export async function registerFido2Method(
  entra: EntraClient,
  request: RegistrationRequest,
  hooks: RegistrationHooks = {},
): Promise<RegistrationResult> {
  if (request.displayName.length > 30) {
    throw new RangeError(`displayName is ${request.displayName.length} characters; Entra keeps at most 30`);
  }
  if (request.nonce !== undefined && !request.displayName.includes(request.nonce)) {
    throw new RangeError("displayName must contain the nonce that identifies this registration");
  }
  const isOurs = ownRegistrationMatcher(request.credentialId, request.nonce);
  const path = `/users/${encodeURIComponent(request.userId)}/authentication/fido2Methods`;
  const body = { displayName: request.displayName, publicKeyCredential: request.publicKeyCredential };
  const deadlineAt = entra.clock.now() + entra.policy.deadlineMs;

  for (let post = 1; ; post++) {
    try {
      const created = parseFido2Method(await entra.postOnce<unknown>(path, body));
      if (created === undefined) {
        throw new EntraError({
          kind: "Other",
          message: "Graph accepted the key but returned no method id",
          method: "POST",
          path,
        });
      }
      return { method: created, recovered: false, posts: post };
    } catch (err) {
      if (!EntraError.isInstance(err)) throw err;
      err.attempts = post;
      const ambiguous = err.kind === "Unavailable" || err.kind === "Throttled";
      // A refusal after an earlier ambiguous attempt may be Graph refusing a duplicate of what it committed.
      if (!ambiguous && !(post > 1 && (err.kind === "Conflict" || err.kind === "BadRequest"))) throw err;
      if (ambiguous) hooks.onAmbiguous?.(err, post);
      const own = (await listFido2Methods(entra, request.userId)).find(isOurs);
      if (own !== undefined) return { method: own, recovered: true, posts: post };
      if (!ambiguous || post >= entra.policy.maxAttempts) throw err;
      const delay = backoffDelay(post, entra.policy, entra.clock.random, err.retryAfterMs);
      if (entra.clock.now() + delay > deadlineAt) throw err;
      entra.noteRetry(err.kind === "Throttled");
      await entra.clock.sleep(delay);
    }
  }
}

/** Recognises our own registration among a person's methods (exported for the station's own checks). */
export function ownRegistrationMatcher(
  credentialId: Uint8Array | string,
  nonce: string | undefined,
): (method: Fido2Method) => boolean {
  const readings =
    typeof credentialId === "string"
      ? decodeCredentialIdCandidates(credentialId).map((c) => c.bytes)
      : [credentialId];
  return (method) =>
    readings.some((bytes) => credentialIdMatches(method.id, bytes)) ||
    (nonce !== undefined && nonce !== "" && (method.displayName ?? "").includes(nonce));
}
