// The judgements about one credential that the plan, the providers and drift all make: does it fit a key
// profile, is it the lost key of a slot, may an `adopt` slot take it over. Each is made here only, so a pull
// request's plan, `pulumi preview` and `pulumi up` cannot disagree about a key.

/** What a fit is judged on: the profile's allowed identities and the protection it asks for. */
export interface FitProfile {
  readonly aaguids: readonly string[];
  readonly models: readonly string[];
  /** CTAP credProtect level 1–3 the profile asks for. */
  readonly credProtect: number;
}

/** A credential as far as fit is concerned. */
export interface FitKey {
  readonly aaGuid: string;
  readonly model: string | null;
  /**
   * The credProtect level the credential was created with, where Keyfleet knows it (it made the key);
   * undefined or 0 for a credential Keyfleet did not create: Entra does not report it, so only its identity
   * is judged.
   */
  readonly credProtect?: number | undefined;
}

/**
 * A credential fits a profile when its AAGUID is listed or its model is listed (a profile listing neither
 * accepts any key), and, where its credProtect level is known, that level is at least the profile's: raising
 * a profile's credProtect replaces the keys made with less, and the plan says so.
 */
export function keyFits(key: FitKey, profile: FitProfile): boolean {
  const aaguid = key.aaGuid.toLowerCase();
  const identity =
    (profile.aaguids.length === 0 && profile.models.length === 0) ||
    profile.aaguids.includes(aaguid) ||
    (key.model !== null && key.model !== "" && profile.models.includes(key.model));
  const protection = !key.credProtect || key.credProtect >= profile.credProtect;
  return identity && protection;
}

/** Why a credential does not fit, in words for a plan's reason; undefined when it fits. */
export function misfit(key: FitKey, profile: FitProfile & { readonly name: string }): string | undefined {
  if (keyFits(key, profile)) return undefined;
  if (keyFits({ ...key, credProtect: undefined }, profile))
    return `was made with credProtect ${key.credProtect}; profile '${profile.name}' asks for ${profile.credProtect}`;
  return `no longer fits profile '${profile.name}'`;
}

/** The day (YYYY-MM-DD) of an ISO 8601 timestamp; a missing one sorts as the oldest. */
export function dayOf(timestamp: string | undefined): string {
  return (timestamp || "1970-01-01").slice(0, 10);
}

/**
 * Whether a credential registered at `createdDateTime` is the lost key of a slot reported lost on
 * `lostSince` (YYYY-MM-DD): registered before that day. A credential with no creation time counts as lost.
 */
export function isLostCredential(
  createdDateTime: string | undefined,
  lostSince: string | undefined,
): boolean {
  if (!lostSince) return false;
  return dayOf(createdDateTime) < lostSince;
}

/** What an `adopt` slot asks of a credential besides fitting the profile (empty fields: any). */
export interface AdoptRule {
  readonly aaguids: readonly string[];
  readonly displayNameContains?: string | undefined;
  readonly createdBefore?: string | undefined;
}

export interface AdoptionCandidate {
  readonly id: string;
  readonly aaGuid: string;
  readonly model: string | null;
  readonly displayName: string | null;
  readonly createdDateTime: string;
}

/**
 * The credential an `adopt` slot takes over: one that fits the profile (judged on identity: Entra does not say
 * how it was made), matches every criterion, was not registered before the slot's lost day, and is not in
 * `taken` (managed or adopted by another slot). The oldest, then by id: the same choice on every run.
 */
export function chooseAdoption<C extends AdoptionCandidate>(
  candidates: readonly C[],
  profile: FitProfile,
  rule: AdoptRule,
  opts: { taken: ReadonlySet<string>; lostSince?: string | undefined },
): C | undefined {
  const fitting = candidates.filter(
    (m) =>
      !opts.taken.has(m.id) &&
      !isLostCredential(m.createdDateTime, opts.lostSince) &&
      keyFits({ aaGuid: m.aaGuid, model: m.model }, profile) &&
      (rule.aaguids.length === 0 || rule.aaguids.includes(m.aaGuid.toLowerCase())) &&
      (!rule.displayNameContains || (m.displayName ?? "").includes(rule.displayNameContains)) &&
      (!rule.createdBefore || (m.createdDateTime !== "" && dayOf(m.createdDateTime) < rule.createdBefore)),
  );
  fitting.sort((x, y) =>
    x.createdDateTime < y.createdDateTime
      ? -1
      : x.createdDateTime > y.createdDateTime
        ? 1
        : x.id < y.id
          ? -1
          : 1,
  );
  return fitting[0];
}
