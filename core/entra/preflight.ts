// Preflight: before any work is raised, what in the tenant's FIDO2 policy would make Entra refuse the
// registrations the spec asks for. A pure function over the policy, Keyfleet's key profiles, the people
// and the members of the groups the policy targets; preflightReader.ts gathers those facts.
import type { Fido2Policy, KeyRestrictions, PasskeyProfile } from "./policy.js";

export interface PreflightPerson {
  id: string;
  userPrincipalName: string;
}

/** What Keyfleet's key profile (from the spec) would register. */
export interface PreflightKeyProfile {
  name: string;
  /** AAGUIDs the profile allows (lower-case); empty means any key. */
  aaguids: readonly string[];
  /** True when the profile accepts keys without attestation (e.g. `none` format, virtual keys). */
  allowsUnattested: boolean;
  /** Object ids of the people given this profile; undefined means every person. */
  people?: readonly string[] | undefined;
}

export interface PreflightInput {
  policy: Fido2Policy;
  keyProfiles: readonly PreflightKeyProfile[];
  people: readonly PreflightPerson[];
  /** Group id → object ids of its transitive user members, for every group the policy targets. */
  groupMembers: ReadonlyMap<string, ReadonlySet<string>>;
}

export type PreflightCode =
  | "policy-disabled"
  | "self-service-disabled"
  | "person-not-targeted"
  | "person-excluded"
  | "aaguid-refused"
  | "profile-unrestricted"
  | "attestation-unattested"
  | "device-bound-refused";

export interface PreflightFinding {
  code: PreflightCode;
  severity: "error" | "warning";
  message: string;
  keyProfile?: string;
  aaguid?: string;
  passkeyProfile?: string;
  /** The people concerned (UPNs), at most SAMPLE of them; `peopleCount` has the total. */
  people?: string[];
  peopleCount?: number;
}

export interface PreflightReport {
  /** No finding of severity "error". */
  ok: boolean;
  findings: PreflightFinding[];
}

const SAMPLE = 20;
const ALL_USERS = "all_users";

export function preflight(input: PreflightInput): PreflightReport {
  const { policy } = input;
  const findings: PreflightFinding[] = [];
  if (policy.state !== "enabled") {
    findings.push({
      code: "policy-disabled",
      severity: "error",
      message: "the FIDO2 (passkey) authentication method is disabled in this tenant",
    });
  }
  if (!policy.isSelfServiceRegistrationAllowed) {
    findings.push({
      code: "self-service-disabled",
      severity: "error",
      message:
        "'Allow self-service set-up' is off: Entra refuses provisioning through the FIDO2 API until it is on",
    });
  }

  const memberOf = (targetId: string, personId: string) =>
    targetId === ALL_USERS ||
    targetId === personId ||
    input.groupMembers.get(targetId)?.has(personId) === true;

  const notTargeted: PreflightPerson[] = [];
  const excluded: PreflightPerson[] = [];
  // People grouped by the set of passkey profiles that apply to them (usually a handful of sets).
  const byProfiles = new Map<string, { profiles: PasskeyProfile[]; people: PreflightPerson[] }>();
  for (const person of input.people) {
    if (policy.excludeTargets.some((t) => memberOf(t.id, person.id))) {
      excluded.push(person);
      continue;
    }
    const targets = policy.includeTargets.filter((t) => memberOf(t.id, person.id));
    if (targets.length === 0) {
      notTargeted.push(person);
      continue;
    }
    const profiles = applicableProfiles(
      policy,
      targets.flatMap((t) => t.allowedPasskeyProfiles),
    );
    const key = profiles.map((p) => p.id).join(",");
    const entry = byProfiles.get(key) ?? { profiles, people: [] };
    entry.people.push(person);
    byProfiles.set(key, entry);
  }
  if (excluded.length > 0) {
    findings.push(
      peopleFinding("person-excluded", excluded, "excluded from the FIDO2 policy (excludeTargets)"),
    );
  }
  if (notTargeted.length > 0) {
    findings.push(
      peopleFinding("person-not-targeted", notTargeted, "outside the FIDO2 policy's include targets"),
    );
  }

  for (const { profiles, people } of byProfiles.values()) {
    const restrictions = profiles.length > 0 ? profiles : [rootProfile(policy)];
    const deviceBound = restrictions.filter(
      (p) => p.passkeyTypes.length === 0 || p.passkeyTypes.includes("deviceBound"),
    );
    if (deviceBound.length === 0) {
      findings.push({
        ...peopleFinding(
          "device-bound-refused",
          people,
          "allowed only passkey profiles that refuse device-bound passkeys (security keys)",
        ),
        passkeyProfile: restrictions.map((p) => p.name).join(", "),
      });
      continue;
    }
    for (const profile of input.keyProfiles) {
      const concerned =
        profile.people === undefined ? people : people.filter((p) => profile.people?.includes(p.id));
      if (concerned.length === 0) continue;
      findings.push(...checkKeyProfile(profile, deviceBound, concerned));
    }
  }
  return { ok: !findings.some((f) => f.severity === "error"), findings };
}

function checkKeyProfile(
  profile: PreflightKeyProfile,
  passkeyProfiles: readonly PasskeyProfile[],
  people: readonly PreflightPerson[],
): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  const names = passkeyProfiles.map((p) => p.name).join(", ");
  if (profile.aaguids.length === 0) {
    if (
      passkeyProfiles.every(
        (p) => p.keyRestrictions?.isEnforced === true && p.keyRestrictions.enforcementType === "allow",
      )
    ) {
      out.push({
        ...peopleFinding(
          "profile-unrestricted",
          people,
          `key profile '${profile.name}' allows any key, but Entra accepts only listed AAGUIDs`,
        ),
        severity: "warning",
        keyProfile: profile.name,
        passkeyProfile: names,
      });
    }
  }
  for (const aaguid of profile.aaguids.map((a) => a.toLowerCase())) {
    if (!passkeyProfiles.some((p) => restrictionAllows(p.keyRestrictions, aaguid))) {
      out.push({
        ...peopleFinding(
          "aaguid-refused",
          people,
          `key profile '${profile.name}' allows AAGUID ${aaguid}, which the key restrictions (${names}) refuse`,
        ),
        keyProfile: profile.name,
        aaguid,
        passkeyProfile: names,
      });
    }
  }
  if (profile.allowsUnattested && passkeyProfiles.every((p) => p.attestationEnforcement !== "disabled")) {
    out.push({
      ...peopleFinding(
        "attestation-unattested",
        people,
        `key profile '${profile.name}' allows unattested keys, but Entra enforces attestation (${names})`,
      ),
      keyProfile: profile.name,
      passkeyProfile: names,
    });
  }
  return out;
}

export function restrictionAllows(restrictions: KeyRestrictions | undefined, aaguid: string): boolean {
  if (restrictions === undefined || !restrictions.isEnforced) return true;
  const listed = restrictions.aaGuids.includes(aaguid.toLowerCase());
  return restrictions.enforcementType === "allow" ? listed : !listed;
}

/** The passkey profiles a person may use: those their targets name, or the default profile. */
function applicableProfiles(policy: Fido2Policy, allowed: readonly string[]): PasskeyProfile[] {
  if (policy.passkeyProfiles.length === 0) return [];
  const wanted = new Set(allowed.length > 0 ? allowed : [policy.defaultPasskeyProfile ?? ""]);
  const found = policy.passkeyProfiles.filter((p) => wanted.has(p.id));
  // A target naming no known profile falls back to the default (or the first) rather than to nothing.
  if (found.length > 0) return found;
  const fallback =
    policy.passkeyProfiles.find((p) => p.id === policy.defaultPasskeyProfile) ?? policy.passkeyProfiles[0];
  return fallback ? [fallback] : [];
}

/** The pre-profile policy (root keyRestrictions and isAttestationEnforced) seen as one profile. */
function rootProfile(policy: Fido2Policy): PasskeyProfile {
  return {
    id: "policy",
    name: "policy",
    passkeyTypes: [],
    attestationEnforcement: policy.isAttestationEnforced ? "registrationOnly" : "disabled",
    keyRestrictions: policy.keyRestrictions,
  };
}

function peopleFinding(
  code: PreflightCode,
  people: readonly PreflightPerson[],
  what: string,
): PreflightFinding {
  const n = people.length;
  return {
    code,
    severity: "error",
    message: `${what}: ${n} ${n === 1 ? "person" : "people"}`,
    people: people.slice(0, SAMPLE).map((p) => p.userPrincipalName || p.id),
    peopleCount: n,
  };
}
