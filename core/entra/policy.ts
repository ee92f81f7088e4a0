// The tenant's FIDO2 authentication method policy, parsed from Graph's JSON: the older root settings
// (isAttestationEnforced, keyRestrictions) and the passkey profiles that replace them (2025 on).
import type { EntraClient } from "./client.js";

export interface KeyRestrictions {
  isEnforced: boolean;
  enforcementType: "allow" | "block" | string;
  /** Lower-case. */
  aaGuids: string[];
}

export interface PolicyTarget {
  targetType: "group" | "user" | string;
  /** A group or user object id, or "all_users". */
  id: string;
  isRegistrationRequired: boolean;
  /** Passkey profile ids this target may use; empty means the default profile. */
  allowedPasskeyProfiles: string[];
}

export interface PasskeyProfile {
  id: string;
  name: string;
  /** deviceBound, synced (Graph sends a comma-separated flags string). */
  passkeyTypes: string[];
  attestationEnforcement: "disabled" | "registrationOnly" | string;
  keyRestrictions: KeyRestrictions | undefined;
}

export interface Fido2Policy {
  state: string;
  isSelfServiceRegistrationAllowed: boolean;
  isAttestationEnforced: boolean;
  keyRestrictions: KeyRestrictions | undefined;
  includeTargets: PolicyTarget[];
  excludeTargets: PolicyTarget[];
  defaultPasskeyProfile: string | undefined;
  passkeyProfiles: PasskeyProfile[];
}

export const FIDO2_POLICY_PATH =
  "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

export async function readFido2Policy(entra: EntraClient): Promise<Fido2Policy> {
  return parseFido2Policy(await entra.get<unknown>(FIDO2_POLICY_PATH));
}

export function parseFido2Policy(raw: unknown): Fido2Policy {
  const r = obj(raw);
  return {
    state: typeof r.state === "string" ? r.state : "disabled",
    isSelfServiceRegistrationAllowed: r.isSelfServiceRegistrationAllowed === true,
    isAttestationEnforced: r.isAttestationEnforced === true,
    keyRestrictions: parseRestrictions(r.keyRestrictions),
    includeTargets: arr(r.includeTargets).map(parseTarget),
    excludeTargets: arr(r.excludeTargets).map(parseTarget),
    defaultPasskeyProfile: typeof r.defaultPasskeyProfile === "string" ? r.defaultPasskeyProfile : undefined,
    passkeyProfiles: arr(r.passkeyProfiles).map((p) => {
      const o = obj(p);
      return {
        id: String(o.id ?? ""),
        name: typeof o.name === "string" ? o.name : String(o.id ?? ""),
        passkeyTypes: flags(o.passkeyTypes),
        attestationEnforcement:
          typeof o.attestationEnforcement === "string" ? o.attestationEnforcement : "disabled",
        keyRestrictions: parseRestrictions(o.keyRestrictions),
      };
    }),
  };
}

function parseRestrictions(raw: unknown): KeyRestrictions | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const o = obj(raw);
  return {
    isEnforced: o.isEnforced === true,
    enforcementType: typeof o.enforcementType === "string" ? o.enforcementType : "block",
    aaGuids: arr(o.aaGuids)
      .filter((a): a is string => typeof a === "string")
      .map((a) => a.toLowerCase()),
  };
}

function parseTarget(raw: unknown): PolicyTarget {
  const o = obj(raw);
  return {
    targetType: typeof o.targetType === "string" ? o.targetType : "group",
    id: String(o.id ?? ""),
    isRegistrationRequired: o.isRegistrationRequired === true,
    allowedPasskeyProfiles: arr(o.allowedPasskeyProfiles).filter((p): p is string => typeof p === "string"),
  };
}

function flags(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.filter((f): f is string => typeof f === "string");
  if (typeof raw === "string") {
    return raw
      .split(",")
      .map((f) => f.trim())
      .filter((f) => f !== "");
  }
  return [];
}

function obj(raw: unknown): Record<string, unknown> {
  return raw !== null && typeof raw === "object" && !Array.isArray(raw)
    ? (raw as Record<string, unknown>)
    : {};
}

function arr(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [];
}
