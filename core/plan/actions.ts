// What a plan says to do: one action per desired key (scope "key"), plus actions on individual
// credentials (scope "credential"): deferred or orphan revocations and unmanaged credentials.

/** Fields every action carries; `reason` is a sentence for people. */
interface ActionBase {
  /** The assignment (`<objectId>/<slot>`); undefined for unmanaged credentials. */
  readonly assignmentId: string | undefined;
  readonly personId: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly slot: string | undefined;
  readonly reason: string;
}

/** No credential yet (or the last one is gone or lost): raise a task for generation `generation`. */
export interface ProvisionAction extends ActionBase {
  readonly kind: "provision";
  readonly scope: "key";
  readonly profile: string;
  readonly generation: number;
  /** The displayName as far as the plan knows it (the station adds model and serial it reads). */
  readonly displayName: string;
  readonly serial: string | undefined;
  /** Pending generations raised with older settings that this one supersedes (cancelled by the pipeline). */
  readonly supersedes: readonly number[];
}

/** A task for this key is open (pending, claimed or registering): nothing to raise. */
export interface WaitAction extends ActionBase {
  readonly kind: "wait";
  readonly scope: "key";
  readonly profile: string;
  readonly generation: number;
  readonly taskState: "pending" | "claimed" | "registering";
}

/** The credential Keyfleet registered for this key is in Entra and fits the profile. */
export interface KeepAction extends ActionBase {
  readonly kind: "keep";
  readonly scope: "key";
  readonly methodId: string;
}

/** The slot takes over a credential the person already has, which fits and no other slot holds. */
export interface AdoptAction extends ActionBase {
  readonly kind: "adopt";
  readonly scope: "key";
  readonly profile: string;
  readonly generation: number;
  readonly methodId: string;
  readonly aaGuid: string;
  /** Pending tasks of this slot that the adoption makes moot (cancelled by the pipeline). */
  readonly cancelGenerations: readonly number[];
}

/**
 * The registered credential no longer fits the profile: a new key is raised; the old credential stays
 * registered (retiring) until the new one is active, then goes by a `revoke-retired` action.
 */
export interface ReplaceAction extends ActionBase {
  readonly kind: "replace";
  readonly scope: "key";
  readonly profile: string;
  readonly generation: number;
  readonly displayName: string;
  readonly retiringMethodId: string;
}

export type RevokeCause = "lost" | "retired" | "leaving" | "removed";

/** Something about a person the plan read that a reader should know; never work by itself. */
export interface PlanNotice {
  readonly kind: "stale-upn" | "deleted" | "disabled";
  readonly personId: string;
  readonly userPrincipalName: string | undefined;
  readonly message: string;
}

/**
 * Revoke credentials Keyfleet registered. Scope "key" for a retired slot or a person who has left;
 * scope "credential" for a lost key (its replacement is a separate provision) or an assignment no
 * longer in git.
 */
export interface RevokeAction extends ActionBase {
  readonly kind: "revoke";
  readonly scope: "key" | "credential";
  readonly cause: RevokeCause;
  readonly methodIds: readonly string[];
  /** Open tasks of this assignment (generations) that should be cancelled too. */
  readonly cancelGenerations: readonly number[];
}

/** A retired slot or a departed person with nothing left registered. */
export interface GoneAction extends ActionBase {
  readonly kind: "gone";
  readonly scope: "key" | "credential";
  /** `deleted`: the person is no longer in the directory (their passkeys went with them). */
  readonly cause: "retired" | "leaving" | "deleted";
  readonly cancelGenerations: readonly number[];
}

/** The deferred half of a replacement: the old credential goes once the new one is active. */
export interface RevokeRetiredAction extends ActionBase {
  readonly kind: "revoke-retired";
  readonly scope: "credential";
  readonly methodId: string;
  readonly replacedBy: string;
}

/** The spec names a person the directory does not know: nothing can be done for this key. */
export interface UnresolvedAction extends ActionBase {
  readonly kind: "unresolved";
  readonly scope: "key";
  readonly profile: string;
}

/** A credential Entra has and Keyfleet did not register. */
export interface UnmanagedAction extends ActionBase {
  readonly kind: "unmanaged-report" | "unmanaged-remove";
  readonly scope: "credential";
  readonly methodId: string;
  readonly aaGuid: string;
  readonly model: string | null;
  readonly displayName: string | null;
}

export type Action =
  | ProvisionAction
  | WaitAction
  | KeepAction
  | AdoptAction
  | ReplaceAction
  | RevokeAction
  | GoneAction
  | RevokeRetiredAction
  | UnresolvedAction
  | UnmanagedAction;

export type ActionKind = Action["kind"];

export const ACTION_KINDS: readonly ActionKind[] = [
  "provision",
  "wait",
  "keep",
  "adopt",
  "replace",
  "revoke",
  "revoke-retired",
  "gone",
  "unresolved",
  "unmanaged-report",
  "unmanaged-remove",
];

/** Kinds that ask the pipeline to do something (or a person to fix the spec). */
export const WORK_KINDS: ReadonlySet<ActionKind> = new Set([
  "provision",
  "adopt",
  "replace",
  "revoke",
  "revoke-retired",
  "unresolved",
  "unmanaged-remove",
]);
