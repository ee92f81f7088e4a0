// The validated spec as the rest of Keyfleet sees it: frozen, normalised (AAGUIDs and object ids lower
// case, credProtect as a number, defaults filled in) and ordered by content, never by file order.

/** Where a spec element was written; positions are 1-based. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type CredProtectLevel = 1 | 2 | 3;

export interface KeyProfile {
  readonly name: string;
  readonly description: string | undefined;
  /** Allowed AAGUIDs, lower case; empty means "any AAGUID" (then `models` decides). */
  readonly aaguids: readonly string[];
  /** Allowed model names as Entra reports them; empty means "any model" (then `aaguids` decides). */
  readonly models: readonly string[];
  readonly pin: { readonly length: number; readonly forceChange: boolean };
  readonly credProtect: CredProtectLevel;
  /** displayName template; see renderDisplayName. */
  readonly displayName: string;
  readonly source: SourceRef;
}

/** Take over an existing credential: every given criterion must hold (an empty object: any fitting one). */
export interface AdoptCriteria {
  readonly aaguids: readonly string[];
  readonly displayNameContains: string | undefined;
  readonly createdBefore: string | undefined;
}

export type SlotState = "active" | "lost" | "retired";

export interface Slot {
  readonly name: string;
  readonly profile: string;
  readonly state: SlotState;
  /** YYYY-MM-DD: for lost/retired slots, credentials registered before this day are the ones revoked. */
  readonly since: string | undefined;
  readonly adopt: AdoptCriteria | undefined;
  /** Inventory serial of the key meant for this slot. */
  readonly serial: string | undefined;
  readonly source: SourceRef;
}

export interface PersonSpec {
  /** Lower case; at least one of userPrincipalName and objectId is set. */
  readonly userPrincipalName: string | undefined;
  readonly objectId: string | undefined;
  readonly displayName: string | undefined;
  /** YYYY-MM-DD, the last working day: once it has passed, the person's keys are revoked. */
  readonly leaving: string | undefined;
  readonly groupKeys: "include" | "exclude";
  /** Ordered by name. */
  readonly slots: readonly Slot[];
  readonly source: SourceRef;
}

export type GroupRef = { readonly objectId: string } | { readonly displayName: string };

export interface GroupAssignment {
  readonly name: string;
  readonly group: GroupRef;
  readonly profile: string;
  readonly keys: number;
  readonly source: SourceRef;
}

export interface InventoryKey {
  readonly serial: string;
  readonly aaguid: string;
  readonly model: string | undefined;
  /** userPrincipalName (lower case) or objectId of the holder. */
  readonly assignedTo: string | undefined;
  readonly source: SourceRef;
}

export type ChallengeMode =
  | { readonly mode: "v1"; readonly minutes: 5 }
  | { readonly mode: "beta"; readonly minutes: number };

export interface Policy {
  readonly unmanaged: { readonly action: "report" | "remove"; readonly aaguids: readonly string[] };
  readonly maxRevokeShare: number;
  readonly challenge: ChallengeMode;
  /** undefined when no Policy document exists and the defaults apply. */
  readonly source: SourceRef | undefined;
}

/** A whole spec set. Every list is ordered by content (names, identities, serials). */
export interface Spec {
  readonly profiles: readonly KeyProfile[];
  /** Ordered by objectId, then userPrincipalName. */
  readonly people: readonly PersonSpec[];
  readonly groups: readonly GroupAssignment[];
  readonly inventory: readonly InventoryKey[];
  readonly policy: Policy;
}

export const DEFAULT_POLICY: Policy = Object.freeze({
  unmanaged: Object.freeze({ action: "report", aaguids: Object.freeze([]) }),
  maxRevokeShare: 0.1,
  challenge: Object.freeze({ mode: "v1", minutes: 5 }),
  source: undefined,
}) as Policy;

export const DEFAULT_PIN = Object.freeze({ length: 8, forceChange: true });
export const DEFAULT_DISPLAY_NAME = "{slot} {model} {serial}";
export const DEFAULT_CRED_PROTECT: CredProtectLevel = 3;

/** The identity a person is known by in the spec: objectId when given, else the UPN. */
export function personKey(p: Pick<PersonSpec, "objectId" | "userPrincipalName">): string {
  return p.objectId ?? p.userPrincipalName ?? "";
}
