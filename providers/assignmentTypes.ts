// The KeyAssignment resource's inputs and outputs: what the program declares and what Pulumi keeps in state.
// Everything here is JSON-clean (no undefined, dates as ISO strings): "" and 0 stand for "not yet".
import type { TaskProfile } from "../core/tasks/model.js";

/** What the program declares for one (person, slot). */
export interface AssignmentInputs {
  /** `<objectId>/<slot>`: stable, never derived from file order or the UPN. */
  assignmentId: string;
  objectId: string;
  /** Travels as an input so previews stay readable; a rename updates in place. */
  userPrincipalName: string;
  slot: string;
  /** The key profile as the station needs it (display name already expanded). */
  profile: TaskProfile;
  /** The slot takes over a fitting credential the person already holds instead of raising a task. */
  adopt: boolean;
  /** What an adopted credential must match besides the profile ("" / [] when any). */
  adoptCriteria: AdoptCriteriaInput;
  /**
   * YYYY-MM-DD the slot's key was reported lost ("" when the slot is not lost): a credential of this
   * assignment registered before that day is revoked at once and never counts as the working key.
   */
  lostSince: string;
  /**
   * The run's plan for this key (core/plan decideKey), which create and update execute. Not compared by diff
   * beyond what it says about replacement: it changes as work progresses (wait → keep) without the assignment
   * changing. Absent in state written before it existed; a provider given none decides with decideKey itself.
   */
  decision?: AssignmentDecision;
}

/** The plan's key-scope action for one assignment, as the provider executes it. JSON-clean. */
export interface AssignmentDecision {
  /** hold: a task of this key failed verification; nothing is done for it until a person has looked. */
  kind: "provision" | "wait" | "keep" | "adopt" | "replace" | "hold";
  /** provision/replace/adopt: the generation to raise or record; wait: the one waited on; keep: 0. */
  generation: number;
  /** keep/adopt: the credential; replace: the one that retires once its replacement is active. */
  methodId: string;
  /** Open generations the pipeline cancels first (superseded, or made moot by an adoption). */
  cancelGenerations: number[];
  /** Credentials revoked now: a lost key at once, retiring keys whose replacement is active. */
  revokeNow: string[];
  /** The plan's sentence, for records and errors. */
  reason: string;
  /** The Pulumi stack the plan was made for, stamped (signed) on every task it raises. */
  stack?: string;
}

export interface AdoptCriteriaInput {
  aaguids: string[];
  displayNameContains: string;
  /** YYYY-MM-DD; "" when any. */
  createdBefore: string;
}

export type AssignmentStatus = "pending" | "active";

/**
 * State: what read and delete need of the inputs (the ids, the UPN for records, the lost date) and, in place
 * of the other inputs diff compares (profile, adoption), their digest (`compared`, see assignmentDiff.ts), plus
 * what Entra and the task store say. Read and delete get only this (the dynamic-provider host hands them the
 * stored outputs), so it never loses what they need.
 */
export interface AssignmentOutputs
  extends Pick<AssignmentInputs, "assignmentId" | "objectId" | "userPrincipalName" | "slot" | "lostSince"> {
  /** The digest of the compared inputs this state was made for; absent in state written before it existed. */
  compared?: string;
  status: AssignmentStatus;
  /** The task generation this resource is waiting on or was provisioned by (0 for an adopted credential). */
  generation: number;
  /** The task state behind a pending assignment ("" when active). */
  taskState: string;
  /** Why the last attempt failed, for the pending list ("" when none). */
  failure: string;
  /** The Entra fido2AuthenticationMethod id ("" while pending). */
  methodId: string;
  aaguid: string;
  model: string;
  /** When Entra registered the credential (ISO 8601; "" while pending). */
  registeredAt: string;
  /** The credProtect level the registered key was created with (0 while pending or unknown). */
  keyCredProtect: number;
  adopted: boolean;
  /** Credentials replaced by this assignment and awaiting deferred revocation (revoked once this is active). */
  retiring: string[];
}

/**
 * State as any version wrote it: before the digest, outputs echoed the compared inputs themselves (and,
 * earlier still, the run's decision). Read, diff and delete accept all of these.
 */
export interface StoredAssignment
  extends AssignmentOutputs,
    Partial<Pick<AssignmentInputs, "profile" | "adopt" | "adoptCriteria" | "decision">> {}

/** Pulumi's wire token for "unknown during preview" (rpc.unknownValue). */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
