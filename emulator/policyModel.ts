// The FIDO2 authentication method policy (fido2AuthenticationMethodConfiguration) as Graph shapes it:
// legacy root settings and the newer passkey profiles, the default, and how a PATCH body is checked.

export interface KeyRestrictions {
  isEnforced: boolean;
  enforcementType: "allow" | "block";
  aaGuids: string[];
}
export interface PolicyTarget {
  targetType: "group";
  id: string;
  isRegistrationRequired?: boolean;
  allowedPasskeyProfiles?: string[];
}
export interface PasskeyProfile {
  id: string;
  name: string;
  /** Flags enum serialized as "deviceBound,synced". */
  passkeyTypes: string;
  attestationEnforcement: "disabled" | "registrationOnly";
  keyRestrictions: KeyRestrictions;
}
export interface Fido2Policy {
  id: "Fido2";
  state: "enabled" | "disabled";
  isSelfServiceRegistrationAllowed: boolean;
  isAttestationEnforced: boolean;
  keyRestrictions: KeyRestrictions;
  includeTargets: PolicyTarget[];
  excludeTargets: { targetType: "group"; id: string }[];
  defaultPasskeyProfile?: string;
  passkeyProfiles?: PasskeyProfile[];
}

export function defaultFido2Policy(): Fido2Policy {
  return {
    id: "Fido2",
    state: "enabled",
    isSelfServiceRegistrationAllowed: true,
    isAttestationEnforced: false,
    keyRestrictions: { isEnforced: false, enforcementType: "block", aaGuids: [] },
    includeTargets: [{ targetType: "group", id: "all_users", isRegistrationRequired: false }],
    excludeTargets: [],
  };
}

export class PolicyShapeError extends Error {
  readonly brand = "keyfleet.emulator.PolicyShapeError";
  static isInstance(e: unknown): e is PolicyShapeError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.emulator.PolicyShapeError"
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkRestrictions(v: unknown, where: string): KeyRestrictions {
  if (!isRecord(v)) throw new PolicyShapeError(`${where} must be an object`);
  const { isEnforced, enforcementType, aaGuids } = v;
  if (typeof isEnforced !== "boolean") throw new PolicyShapeError(`${where}.isEnforced must be a boolean`);
  if (enforcementType !== "allow" && enforcementType !== "block") {
    throw new PolicyShapeError(`${where}.enforcementType must be 'allow' or 'block'`);
  }
  if (!Array.isArray(aaGuids) || aaGuids.some((a) => typeof a !== "string" || !guid.test(a))) {
    throw new PolicyShapeError(`${where}.aaGuids must be a list of GUIDs`);
  }
  return { isEnforced, enforcementType, aaGuids: (aaGuids as string[]).map((a) => a.toLowerCase()) };
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const writable = new Set([
  "@odata.type",
  "id",
  "state",
  "isSelfServiceRegistrationAllowed",
  "isAttestationEnforced",
  "keyRestrictions",
  "includeTargets",
  "excludeTargets",
  "defaultPasskeyProfile",
  "passkeyProfiles",
]);

/** Applies a PATCH body to a policy, returning the new policy; throws PolicyShapeError on a bad body. */
export function patchFido2Policy(current: Fido2Policy, body: unknown): Fido2Policy {
  if (!isRecord(body)) throw new PolicyShapeError("the request body must be a JSON object");
  const next: Fido2Policy = structuredClone(current);
  for (const [key, value] of Object.entries(body)) {
    if (!writable.has(key))
      throw new PolicyShapeError(
        `property '${key}' does not exist on fido2AuthenticationMethodConfiguration`,
      );
    switch (key) {
      case "state":
        if (value !== "enabled" && value !== "disabled")
          throw new PolicyShapeError("state must be 'enabled' or 'disabled'");
        next.state = value;
        break;
      case "isSelfServiceRegistrationAllowed":
      case "isAttestationEnforced":
        if (typeof value !== "boolean") throw new PolicyShapeError(`${key} must be a boolean`);
        next[key] = value;
        break;
      case "keyRestrictions":
        next.keyRestrictions = checkRestrictions(value, key);
        break;
      case "includeTargets":
        if (!Array.isArray(value)) throw new PolicyShapeError("includeTargets must be a list");
        next.includeTargets = value.map((t, i) => {
          if (!isRecord(t) || typeof t.id !== "string")
            throw new PolicyShapeError(`includeTargets[${i}].id is required`);
          const allowed = t.allowedPasskeyProfiles;
          if (
            allowed !== undefined &&
            (!Array.isArray(allowed) || allowed.some((p) => typeof p !== "string"))
          ) {
            throw new PolicyShapeError(`includeTargets[${i}].allowedPasskeyProfiles must be a list of ids`);
          }
          return {
            targetType: "group",
            id: t.id,
            isRegistrationRequired: t.isRegistrationRequired === true,
            ...(allowed ? { allowedPasskeyProfiles: allowed as string[] } : {}),
          };
        });
        break;
      case "excludeTargets":
        if (!Array.isArray(value)) throw new PolicyShapeError("excludeTargets must be a list");
        next.excludeTargets = value.map((t, i) => {
          if (!isRecord(t) || typeof t.id !== "string")
            throw new PolicyShapeError(`excludeTargets[${i}].id is required`);
          return { targetType: "group", id: t.id };
        });
        break;
      case "defaultPasskeyProfile":
        if (typeof value !== "string") throw new PolicyShapeError("defaultPasskeyProfile must be a string");
        next.defaultPasskeyProfile = value;
        break;
      case "passkeyProfiles":
        if (!Array.isArray(value)) throw new PolicyShapeError("passkeyProfiles must be a list");
        next.passkeyProfiles = value.map((p, i) => {
          const where = `passkeyProfiles[${i}]`;
          if (!isRecord(p) || typeof p.id !== "string" || typeof p.name !== "string") {
            throw new PolicyShapeError(`${where} needs id and name`);
          }
          const types = typeof p.passkeyTypes === "string" ? p.passkeyTypes : "deviceBound,synced";
          if (types.split(",").some((t) => !["deviceBound", "synced"].includes(t.trim()))) {
            throw new PolicyShapeError(`${where}.passkeyTypes must name deviceBound and/or synced`);
          }
          const enforcement = p.attestationEnforcement ?? "disabled";
          if (enforcement !== "disabled" && enforcement !== "registrationOnly") {
            throw new PolicyShapeError(
              `${where}.attestationEnforcement must be 'disabled' or 'registrationOnly'`,
            );
          }
          return {
            id: p.id,
            name: p.name,
            passkeyTypes: types,
            attestationEnforcement: enforcement,
            keyRestrictions: p.keyRestrictions
              ? checkRestrictions(p.keyRestrictions, `${where}.keyRestrictions`)
              : { isEnforced: false, enforcementType: "block", aaGuids: [] },
          };
        });
        break;
      default:
        break;
    }
  }
  if (next.passkeyProfiles && next.passkeyProfiles.length > 0) {
    const ids = new Set(next.passkeyProfiles.map((p) => p.id));
    if (next.defaultPasskeyProfile && !ids.has(next.defaultPasskeyProfile)) {
      throw new PolicyShapeError("defaultPasskeyProfile must name one of passkeyProfiles");
    }
    for (const t of next.includeTargets) {
      for (const p of t.allowedPasskeyProfiles ?? []) {
        if (!ids.has(p))
          throw new PolicyShapeError(`includeTargets '${t.id}' allows unknown passkey profile ${p}`);
      }
    }
  }
  return next;
}

export function seedFido2Policy(partial: Partial<Fido2Policy> | undefined): Fido2Policy {
  if (!partial) return defaultFido2Policy();
  return patchFido2Policy(defaultFido2Policy(), partial);
}
