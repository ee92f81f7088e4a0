// The pure decisions of the KeyAssignment provider: input checks, whether a registered key still fits a
// profile, and how a change maps to Pulumi's diff (nothing / update in place / replace).
import { createHash } from "node:crypto";
import type { DiffResult } from "@pulumi/pulumi/dynamic/index.js";
import { isLostCredential, keyFits } from "../core/plan/fit.js";
import type { AssignmentInputs, StoredAssignment } from "./assignmentTypes.js";
import { unknownValue } from "./assignmentTypes.js";

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const aaguidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CheckFailure {
  property: string;
  reason: string;
}

const isUnknown = (v: unknown): boolean => v === unknownValue;

/** Validates the inputs the program sends; unknown (preview) values pass. */
export function checkAssignmentInputs(news: Partial<AssignmentInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const str = (k: keyof AssignmentInputs) => {
    const v = news[k];
    if (isUnknown(v)) return;
    if (typeof v !== "string" || v.length === 0)
      failures.push({ property: k, reason: `${k} must be a non-empty string` });
  };
  str("assignmentId");
  str("objectId");
  str("userPrincipalName");
  str("slot");
  if (
    typeof news.assignmentId === "string" &&
    typeof news.objectId === "string" &&
    typeof news.slot === "string" &&
    ![news.assignmentId, news.objectId, news.slot].some(isUnknown) &&
    news.assignmentId !== `${news.objectId}/${news.slot}`
  ) {
    failures.push({ property: "assignmentId", reason: "assignmentId must be '<objectId>/<slot>'" });
  }
  if (typeof news.adopt !== "boolean" && !isUnknown(news.adopt)) {
    failures.push({ property: "adopt", reason: "adopt must be a boolean" });
  }
  const lost = news.lostSince;
  if (!isUnknown(lost) && (typeof lost !== "string" || (lost !== "" && !dayPattern.test(lost)))) {
    failures.push({ property: "lostSince", reason: "lostSince must be YYYY-MM-DD, or empty when not lost" });
  }
  const a = news.adoptCriteria;
  if (
    !isUnknown(a) &&
    (typeof a !== "object" ||
      a === null ||
      !Array.isArray(a.aaguids) ||
      typeof a.displayNameContains !== "string" ||
      typeof a.createdBefore !== "string")
  ) {
    failures.push({
      property: "adoptCriteria",
      reason: "adoptCriteria must be {aaguids, displayNameContains, createdBefore}",
    });
  }
  const d = news.decision;
  if (d !== undefined && !isUnknown(d)) {
    const kinds = ["provision", "wait", "keep", "adopt", "replace", "hold"];
    if (
      typeof d !== "object" ||
      d === null ||
      !kinds.includes(d.kind) ||
      !Number.isInteger(d.generation) ||
      typeof d.methodId !== "string" ||
      !Array.isArray(d.cancelGenerations) ||
      !Array.isArray(d.revokeNow)
    ) {
      failures.push({
        property: "decision",
        reason: "decision must be {kind, generation, methodId, cancelGenerations, revokeNow, reason}",
      });
    }
  }
  const p = news.profile;
  if (isUnknown(p)) return failures;
  if (typeof p !== "object" || p === null) {
    failures.push({ property: "profile", reason: "profile is required" });
    return failures;
  }
  if (typeof p.name !== "string" || p.name === "")
    failures.push({ property: "profile", reason: "profile.name is required" });
  if (
    !Array.isArray(p.allowedAaguids) ||
    p.allowedAaguids.some((a) => typeof a !== "string" || !aaguidPattern.test(a))
  ) {
    failures.push({
      property: "profile",
      reason: "profile.allowedAaguids must be lower-case dashed AAGUIDs",
    });
  }
  if (!Array.isArray(p.allowedModels))
    failures.push({ property: "profile", reason: "profile.allowedModels must be a list" });
  if (![1, 2, 3].includes(p.credProtect))
    failures.push({ property: "profile", reason: "profile.credProtect must be 1, 2 or 3" });
  if (!Number.isInteger(p.pinLength) || p.pinLength < 4 || p.pinLength > 63) {
    failures.push({ property: "profile", reason: "profile.pinLength must be an integer from 4 to 63" });
  }
  if (typeof p.forceChangePin !== "boolean")
    failures.push({ property: "profile", reason: "profile.forceChangePin must be a boolean" });
  if (typeof p.displayName !== "string" || p.displayName.length === 0 || p.displayName.length > 30) {
    failures.push({
      property: "profile",
      reason: "profile.displayName must be 1–30 characters (Entra's limit)",
    });
  }
  return failures;
}

/** Whether the key on hand (as the state records it) still fits the profile: core's one judgement. */
export function keyFitsProfile(
  key: { aaguid: string; model: string; credProtect: number },
  profile: AssignmentInputs["profile"],
): boolean {
  return keyFits(
    { aaGuid: key.aaguid, model: key.model || null, credProtect: key.credProtect },
    { aaguids: profile.allowedAaguids, models: profile.allowedModels, credProtect: profile.credProtect },
  );
}

/** Whether a credential created at `createdDateTime` is the lost key of a slot lost on `lostSince`. */
export function lostCredential(createdDateTime: string, lostSince: string | undefined): boolean {
  if (!lostSince || isUnknown(lostSince)) return false;
  return isLostCredential(createdDateTime, lostSince);
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

/** The input fields outputs echo (read and delete need them) and diff compares as they are. */
const echoedKeys = ["assignmentId", "objectId", "userPrincipalName", "slot", "lostSince"] as const;

/**
 * The digest of the inputs diff compares but neither read nor delete needs: the profile and the adoption
 * criteria. Outputs carry it in their place (`compared`), which keeps a few hundred bytes per assignment out of
 * state: 128 bits of SHA-256 over their canonical JSON (a change read as none would take a collision).
 */
export function comparedDigest(
  i: Partial<Pick<AssignmentInputs, "profile" | "adopt" | "adoptCriteria">>,
): string {
  return createHash("sha256")
    .update(canonical([i.profile, i.adopt, i.adoptCriteria]))
    .digest("base64url")
    .slice(0, 22);
}

/** The digest a stored state was made for: its own, or (state written before it existed) its echoed inputs'. */
export const storedDigest = (s: StoredAssignment): string => s.compared ?? comparedDigest(s);

/**
 * Maps a change to Pulumi's diff. A new key is needed when the key on hand was reported lost (replaced
 * delete-first: the lost key is revoked at once) or no longer fits the profile (the replacement is created
 * before the old resource is deleted, and that delete defers the revocation until the replacement is active,
 * so nobody loses their last working key). Pending assignments, display-name, PIN or UPN changes, and any
 * other change of the lost mark update in place. An active assignment with retiring credentials is an update
 * too: the update carries out the deferred revocation.
 */
export function diffAssignment(stored: StoredAssignment, news: AssignmentInputs): DiffResult {
  // State written before lostSince existed reads as "not lost", so an upgrade changes nothing.
  const olds: StoredAssignment = { ...stored, lostSince: stored.lostSince ?? "" };
  if (olds.objectId !== news.objectId || olds.slot !== news.slot) {
    return {
      changes: true,
      replaces: ["objectId", "slot"].filter((k) => olds[k as "slot"] !== news[k as "slot"]),
      deleteBeforeReplace: false,
    };
  }
  // The key on hand was reported lost: a new key is needed, and the lost one must not stay registered until
  // the replacement is active (whoever holds it can sign in), so delete (and revoke) before create.
  if (olds.status === "active" && lostCredential(olds.registeredAt, news.lostSince)) {
    return { changes: true, replaces: ["lostSince"], deleteBeforeReplace: true };
  }
  const profileOrAdoption = storedDigest(olds) !== comparedDigest(news);
  const changed = profileOrAdoption || echoedKeys.some((k) => canonical(olds[k]) !== canonical(news[k]));
  const d = isUnknown(news.decision) ? undefined : news.decision;
  if (d?.kind === "hold") return { changes: false };
  if (d) {
    // The run's plan decided (core/plan decideKey): a replacement is created before the old key retires;
    // anything the plan asks to do now (revoke a retiring key, supersede a stale task, adopt) is an update.
    if (olds.status === "active" && d.kind === "replace") {
      return { changes: true, replaces: ["profile"], deleteBeforeReplace: false };
    }
    const work =
      d.revokeNow.length > 0 ||
      d.cancelGenerations.length > 0 ||
      (d.kind === "adopt" && olds.methodId !== d.methodId) ||
      (d.kind === "provision" && (olds.status === "active" || olds.generation !== d.generation));
    return { changes: changed || work };
  }
  if (
    olds.status === "active" &&
    profileOrAdoption &&
    !isUnknown(news.profile) &&
    !keyFitsProfile(
      { aaguid: olds.aaguid, model: olds.model, credProtect: olds.keyCredProtect },
      news.profile,
    )
  ) {
    return { changes: true, replaces: ["profile"], deleteBeforeReplace: false };
  }
  const pendingRevocation =
    olds.status === "active" && Array.isArray(olds.retiring) && olds.retiring.length > 0;
  return { changes: changed || pendingRevocation };
}
