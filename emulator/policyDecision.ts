// What the tenant's FIDO2 policy says about one registration: whether the user is in scope (include and
// exclude targets, transitively), and whether this credential passes attestation enforcement, AAGUID
// allow/block lists and passkey types — through passkey profiles when the tenant has them, else through the
// legacy root settings (both shapes exist until October 2027, reference §4.1 and §6.16).
import type { Directory } from "./directory.js";
import type { Fido2Policy, KeyRestrictions } from "./policyModel.js";

export interface CandidateCredential {
  aaguid: string;
  attested: boolean;
  passkeyType: "deviceBound" | "synced";
}

export function userInScope(policy: Fido2Policy, dir: Directory, userId: string): boolean {
  if (policy.excludeTargets.some((t) => dir.isTransitiveMember(userId, t.id))) return false;
  return policy.includeTargets.some((t) => dir.isTransitiveMember(userId, t.id));
}

function restrictionFailure(r: KeyRestrictions, aaguid: string): string | undefined {
  if (!r.isEnforced) return undefined;
  const listed = r.aaGuids.includes(aaguid.toLowerCase());
  if (r.enforcementType === "allow" && !listed)
    return `The authenticator AAGUID ${aaguid} is not in the allowed list of the tenant's key restrictions.`;
  if (r.enforcementType === "block" && listed)
    return `The authenticator AAGUID ${aaguid} is blocked by the tenant's key restrictions.`;
  return undefined;
}

/** undefined when the policy accepts the credential, else the reason it refuses. */
export function policyRefusal(
  policy: Fido2Policy,
  dir: Directory,
  userId: string,
  cred: CandidateCredential,
): string | undefined {
  const profiles = policy.passkeyProfiles ?? [];
  if (profiles.length === 0) {
    if (policy.isAttestationEnforced && !cred.attested) {
      return "Attestation is enforced by the tenant policy and the authenticator's attestation could not be verified.";
    }
    return restrictionFailure(policy.keyRestrictions, cred.aaguid);
  }
  const applicable = new Set<string>();
  for (const t of policy.includeTargets) {
    if (!dir.isTransitiveMember(userId, t.id)) continue;
    const allowed =
      t.allowedPasskeyProfiles ?? (policy.defaultPasskeyProfile ? [policy.defaultPasskeyProfile] : []);
    for (const p of allowed) applicable.add(p);
  }
  let firstReason: string | undefined;
  for (const profile of profiles) {
    if (!applicable.has(profile.id)) continue;
    const types = profile.passkeyTypes.split(",").map((t) => t.trim());
    let reason: string | undefined;
    if (!types.includes(cred.passkeyType)) {
      reason = `Passkey profile '${profile.name}' does not allow ${cred.passkeyType} passkeys.`;
    } else if (profile.attestationEnforcement === "registrationOnly" && !cred.attested) {
      reason = `Passkey profile '${profile.name}' enforces attestation and the authenticator's attestation could not be verified.`;
    } else {
      reason = restrictionFailure(profile.keyRestrictions, cred.aaguid);
    }
    if (!reason) return undefined;
    firstReason ??= reason;
  }
  return firstReason ?? "No passkey profile applies to this user.";
}
