// Recognising the station's own registration in Entra — by credential id first, by the display-name nonce
// second (core/entra's matcher) — and the task result built from the method Graph lists.
import type { EntraClient } from "../../core/entra/client.js";
import { listFido2Methods } from "../../core/entra/fido2Methods.js";
import type { Fido2Method } from "../../core/entra/model.js";
import { ownRegistrationMatcher } from "../../core/entra/registration.js";
import type { TaskResult } from "../../core/tasks/model.js";
import { toBase64Url } from "../webauthn/base64url.js";

export async function findOwnRegistration(
  entra: EntraClient,
  userId: string,
  credentialId: Uint8Array | string,
  nonce: string | undefined,
): Promise<Fido2Method | undefined> {
  const methods = await listFido2Methods(entra, userId);
  const byId = ownRegistrationMatcher(credentialId, undefined);
  return methods.find(byId) ?? methods.find(ownRegistrationMatcher(new Uint8Array(0), nonce));
}

export function methodResult(
  method: Fido2Method,
  credentialId: Uint8Array | string,
  aaguid?: string,
): Extract<TaskResult, { kind: "registered" }> {
  const r: Extract<TaskResult, { kind: "registered" }> = {
    kind: "registered",
    methodId: method.id,
    aaGuid: (aaguid ?? method.aaGuid ?? "").toLowerCase(),
    credentialId: typeof credentialId === "string" ? credentialId : toBase64Url(credentialId),
    registeredAt: method.createdDateTime ?? new Date().toISOString(),
  };
  if (method.model) r.model = method.model;
  return r;
}
