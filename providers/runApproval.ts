// What this run's plan approved, held in the provider host process for the run. The program declares one
// RunApproval resource (providers/runApprovalResource.ts) carrying the plan's revocations, replacements and
// budget; every KeyAssignment and UnmanagedRemoval depends on it, so the engine settles it (diff, and create or
// update when it changed) before any of them is created, updated or deleted, and its diff installs it here
// whether or not it changed: an unchanged approval leaves a converged stack's preview empty. One
// dynamic-provider host serves all of a deployment's dynamic resources, so this module's state is the run's.
//
// The rails where revocations execute: a provider revokes only what the plan approved, and never more than
// the revocation budget the plan was held to. A delete the plan did not foresee (someone the reader missed,
// a hand-edited state) stops the run with an error and revokes nothing. With no approval at all the host is
// running `pulumi destroy` (which runs no program): nothing is revoked unless the stack allows it.
import { exceedsRevokeBudget } from "../core/plan/plan.js";

/** One assignment's approved fate when its resource is deleted or replaced. */
export interface ApprovedAssignment {
  /**
   * What deleting its resource means. revoke: removed from git, retired, or the person left; replace: a new
   * key first, the old one retires later; lost: a delete-first replacement; gone: nothing left to revoke;
   * keep: the resource stays (the entry only carries retiring keys): a delete is not approved.
   */
  kind: "revoke" | "replace" | "lost" | "gone" | "keep";
  /** The credentials this run may revoke for it at once. */
  methodIds: string[];
  /** Credentials it retires because their replacement is active (revoked, but not counted against the budget). */
  retiring: string[];
  /** Why, in the plan's words, for the revocation record. */
  reason: string;
}

/** The RunApproval resource's inputs: JSON-clean. */
export interface RunApprovalInputs {
  /** By assignment id. */
  assignments: Record<string, ApprovedAssignment>;
  /** Unmanaged credentials the policy removes: `<objectId>/<methodId>`. */
  unmanaged: string[];
  /** Passkeys held by the people the plan read, the policy's share, and whether mass revocation was allowed. */
  atStake: number;
  maxRevokeShare: number;
  allowMassRevoke: boolean;
  /** What the plan counted as revocations. */
  revocations: number;
}

export interface RunApprovalOutputs extends RunApprovalInputs {
  approvedAt: string;
}

let current: RunApprovalInputs | undefined;
const executed = new Set<string>();

/** Installs this run's approval (RunApproval's create/update). */
export function installApproval(a: RunApprovalInputs): void {
  current = a;
  executed.clear();
}

/** This run's approval, or undefined when the program did not run (destroy). */
export function currentApproval(): RunApprovalInputs | undefined {
  return current;
}

export class UnapprovedRevocationError extends Error {
  readonly brand = "keyfleet.UnapprovedRevocationError";
  static isInstance(e: unknown): e is UnapprovedRevocationError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.UnapprovedRevocationError"
    );
  }
}

/**
 * Checks, before the Entra delete, that revoking `methodId` is approved for this run and within the budget,
 * and counts it. Throws UnapprovedRevocationError otherwise; nothing has been revoked then.
 */
export function admitRevocation(
  approval: RunApprovalInputs,
  what: { assignmentId?: string; objectId: string; methodId: string },
): void {
  const key = `${what.objectId}/${what.methodId}`;
  if (executed.has(key)) return;
  // A replacement's old key, once the new one is active: the plan's revoke-retired, outside the budget.
  if (
    what.assignmentId !== undefined &&
    approval.assignments[what.assignmentId]?.retiring.includes(what.methodId)
  )
    return;
  const approved =
    what.assignmentId !== undefined
      ? (approval.assignments[what.assignmentId]?.methodIds.includes(what.methodId) ?? false)
      : approval.unmanaged.includes(key);
  if (!approved) {
    throw new UnapprovedRevocationError(
      `keyfleet: this run's plan did not approve revoking ${what.methodId} of ${what.objectId}${what.assignmentId ? ` (${what.assignmentId})` : ""}; nothing was revoked. Run 'keyfleet plan' to see why, and 'pulumi up' again.`,
    );
  }
  const after = executed.size + 1;
  if (after > approval.revocations) {
    throw new UnapprovedRevocationError(
      `keyfleet: revoking ${what.methodId} would be revocation ${after} of a run whose plan approved ${approval.revocations}; nothing more is revoked`,
    );
  }
  if (!approval.allowMassRevoke && exceedsRevokeBudget(after, approval.atStake, approval.maxRevokeShare)) {
    throw new UnapprovedRevocationError(
      `keyfleet: revoking ${what.methodId} would exceed maxRevokeShare (${after} of ${approval.atStake} passkeys); set keyfleet:allowMassRevoke true if this is intended`,
    );
  }
  executed.add(key);
}

/** For tests: forget the approval, as a fresh host process would. */
export function resetApproval(): void {
  current = undefined;
  executed.clear();
}
