// What Graph tells us, parsed at the edge into plain frozen-shape data (the rest of Keyfleet never sees
// Graph's JSON). Unknown fields are dropped; missing optional ones stay undefined.

export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName: string | undefined;
  accountEnabled: boolean | undefined;
}

export type AttestationLevel = "attested" | "notAttested" | string;

export interface Fido2Method {
  /** Graph's method id: the credential id in UrlTokenEncode form (credentialId.ts). */
  id: string;
  displayName: string | undefined;
  aaGuid: string | undefined;
  model: string | undefined;
  createdDateTime: string | undefined;
  attestationLevel: AttestationLevel | undefined;
  attestationCertificates: string[];
  /** beta (and newer v1.0): deviceBound or synced. */
  passkeyType: string | undefined;
}

export const USER_SELECT = "id,userPrincipalName,displayName,accountEnabled";

export function parseUser(raw: unknown): DirectoryUser | undefined {
  const r = raw as Record<string, unknown> | null;
  if (r === null || typeof r !== "object" || typeof r.id !== "string") return undefined;
  return {
    id: r.id,
    userPrincipalName: typeof r.userPrincipalName === "string" ? r.userPrincipalName : "",
    displayName: str(r.displayName),
    accountEnabled: typeof r.accountEnabled === "boolean" ? r.accountEnabled : undefined,
  };
}

export function parseFido2Method(raw: unknown): Fido2Method | undefined {
  const r = raw as Record<string, unknown> | null;
  if (r === null || typeof r !== "object" || typeof r.id !== "string") return undefined;
  return {
    id: r.id,
    displayName: str(r.displayName),
    aaGuid: str(r.aaGuid)?.toLowerCase(),
    model: str(r.model),
    createdDateTime: str(r.createdDateTime) ?? str(r.creationDateTime),
    attestationLevel: str(r.attestationLevel),
    attestationCertificates: Array.isArray(r.attestationCertificates)
      ? r.attestationCertificates.filter((c): c is string => typeof c === "string")
      : [],
    passkeyType: str(r.passkeyType),
  };
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
