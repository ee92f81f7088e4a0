// The Pulumi program's declarations, from data already read (providers/fleetData.ts): the plan and its
// safety rails, one KeyAssignment per (person, slot), one UnmanagedRemoval per credential the policy removes,
// the optional azuread policy resources, and the stack outputs (with the records chain head). Kept apart from
// the reads so that Pulumi's mocks can test the resource graph.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { DesiredAssignment } from "../core/assignment.js";
import { desiredAssignments } from "../core/assignment.js";
import type { PreflightReport } from "../core/entra/preflight.js";
import type { UnmanagedAction } from "../core/plan/actions.js";
import type { ActualState } from "../core/plan/actual.js";
import { formerUpnsOf, type Plan, plan } from "../core/plan/plan.js";
import { taskProfileOf } from "../core/plan/taskProfile.js";
import type { RecordsHead } from "../core/records/recordsHead.js";
import type { Spec } from "../core/spec/model.js";
import { actionsByAssignment, decisionFromActions } from "./assignmentDecision.js";
import type { AssignmentDecision, AssignmentInputs, AssignmentOutputs } from "./assignmentTypes.js";
import { KeyAssignment, resourceNameFor } from "./keyAssignment.js";
import type { ApprovedAssignment, RunApprovalInputs } from "./runApproval.js";
import { RunApproval } from "./runApprovalResource.js";
import { removalNameFor, UnmanagedRemoval } from "./unmanagedRemoval.js";

/** The built-in "Phishing-resistant MFA" authentication strength (FIDO2, Windows Hello, certificate). */
export const PHISHING_RESISTANT_STRENGTH =
  "/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000004";

export type ConditionalAccessMode = "off" | "reportOnly" | "enabled";

export interface FleetOptions {
  /** YYYY-MM-DD (UTC). */
  today: string;
  allowMassRevoke: boolean;
  manageGroup: boolean;
  conditionalAccess: ConditionalAccessMode;
  /** "builtin" (phishing-resistant MFA) or "fido2" (an authentication strength allowing FIDO2 keys only). */
  authenticationStrength: "builtin" | "fido2";
  groupName: string;
  /** Pulumi's `protect` on every KeyAssignment: removing one from the specs fails the run instead of revoking. */
  protect: boolean;
  /** Pulumi's `retainOnDelete` on every KeyAssignment: removing one drops it from state and leaves the key. */
  retainOnDelete: boolean;
  /** The stack (pulumi.getStack()): a person belongs to one stack, and its tasks say which. */
  stack?: string;
}

/**
 * Where the records end (core/records/recordsHead.ts): every writer's chain head, with their total and
 * digest; seq 0 and 64 zeros while the store is empty.
 */
export type { RecordsHead };

export interface FleetOutputs {
  assignments: number;
  counts: pulumi.Output<Record<string, number>>;
  pending: pulumi.Output<
    { assignmentId: string; userPrincipalName: string; slot: string; taskState: string; failure: string }[]
  >;
  plan: Record<string, number>;
  unresolved: string[];
  unmanaged: { report: number; remove: number };
  preflightWarnings: string[];
  /** Unknown in preview; absent when the program was given no way to read the head. */
  recordsHead?: pulumi.Output<RecordsHead>;
  groupId?: pulumi.Output<string>;
  conditionalAccessPolicyId?: pulumi.Output<string>;
}

const DECLARED = new Set(["provision", "wait", "keep", "adopt", "replace"]);

/** An unresolved key of a known person (its task failed verification) stays declared, on hold. */
const isHeld = (assignmentId: string | undefined) =>
  assignmentId !== undefined && !assignmentId.startsWith("unresolved:");

/** The resource inputs for one desired assignment, with the plan's decision for it when there is one. */
export function assignmentInputsFor(
  a: DesiredAssignment,
  spec: Pick<Spec, "inventory">,
  decision?: AssignmentDecision,
): AssignmentInputs {
  const objectId = a.personId ?? "";
  return {
    assignmentId: a.id,
    objectId,
    userPrincipalName: a.userPrincipalName ?? objectId,
    slot: a.slot,
    profile: taskProfileOf(a, spec.inventory),
    adopt: a.adopt !== undefined,
    adoptCriteria: {
      aaguids: [...(a.adopt?.aaguids ?? [])],
      displayNameContains: a.adopt?.displayNameContains ?? "",
      createdBefore: a.adopt?.createdBefore ?? "",
    },
    lostSince: a.state === "lost" ? (a.since ?? "") : "",
    ...(decision ? { decision } : {}),
  };
}

function withStack(
  d: AssignmentDecision | undefined,
  stack: string | undefined,
): AssignmentDecision | undefined {
  return d && stack ? { ...d, stack } : d;
}

/** What the run's plan approves, for the RunApproval resource (providers/runApproval.ts). */
export function approvalFor(
  result: Plan,
  maxRevokeShare: number,
  allowMassRevoke: boolean,
): RunApprovalInputs {
  const assignments: Record<string, ApprovedAssignment> = {};
  const entry = (id: string, kind: ApprovedAssignment["kind"], reason: string) => {
    const e = assignments[id] ?? { kind, methodIds: [], retiring: [], reason };
    // A removal or a lost key outranks "keep"; the first reason given stays.
    if (e.kind === "keep") e.kind = kind;
    assignments[id] = e;
    return e;
  };
  const unmanaged: string[] = [];
  for (const a of result.actions) {
    if (a.kind === "unmanaged-remove" && a.personId) unmanaged.push(`${a.personId}/${a.methodId}`);
    if (!a.assignmentId) continue;
    if (a.kind === "revoke")
      entry(a.assignmentId, a.cause === "lost" ? "lost" : "revoke", a.reason).methodIds.push(...a.methodIds);
    else if (a.kind === "gone") entry(a.assignmentId, "gone", a.reason);
    else if (a.kind === "replace") entry(a.assignmentId, "replace", a.reason);
    else if (a.kind === "revoke-retired") entry(a.assignmentId, "keep", a.reason).retiring.push(a.methodId);
  }
  return {
    assignments,
    unmanaged: unmanaged.sort(),
    atStake: result.summary.credentialsAtStake,
    maxRevokeShare,
    allowMassRevoke,
    revocations: result.summary.revocations,
  };
}

export function declareFleet(
  data: { spec: Spec; actual: ActualState; unresolved: readonly string[]; preflight: PreflightReport },
  options: FleetOptions,
  readRecordsHead?: () => Promise<RecordsHead | undefined>,
): FleetOutputs {
  const errors = data.preflight.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `keyfleet: the tenant's FIDO2 policy would refuse these keys:\n${errors.map((f) => `  ${f.message}`).join("\n")}`,
    );
  }
  const result = plan(data.spec, data.actual, {
    today: options.today,
    allowMassRevoke: options.allowMassRevoke,
    ...(options.stack ? { stack: options.stack } : {}),
  });
  if (result.blocked) {
    throw new Error(
      `keyfleet: the run stops: ${result.blockedReasons.join("; ")}` +
        (options.allowMassRevoke
          ? ""
          : " (set 'pulumi config set keyfleet:allowMassRevoke true' if this is intended)"),
    );
  }
  // Each key-scope action that keeps or wants a key is a resource; revocations are resources that are no longer
  // declared (their delete revokes), so the plan's revoke share is the share this run deletes.
  const wanted = new Set(
    result.actions
      .filter((a) => DECLARED.has(a.kind) || (a.kind === "unresolved" && isHeld(a.assignmentId)))
      .map((a) => a.assignmentId),
  );
  const desired = desiredAssignments(data.spec, data.actual, {
    formerUpns: formerUpnsOf(data.actual.tasks),
  }).filter((a) => a.personId !== undefined && wanted.has(a.id));
  // The plan's approval comes first: every resource that may revoke waits for it (dependsOn), so the
  // providers know, before any create, update or delete, what this run may revoke.
  const approval = new RunApproval(
    "keyfleet-run-approval",
    approvalFor(result, data.spec.policy.maxRevokeShare, options.allowMassRevoke),
  );

  // Both options apply to KeyAssignments only: an UnmanagedRemoval must leave state once its credential is
  // gone, and its delete touches nothing.
  const keyOptions: pulumi.CustomResourceOptions = {
    protect: options.protect,
    retainOnDelete: options.retainOnDelete,
    dependsOn: [approval],
  };
  const byAssignment = actionsByAssignment(result.actions);
  const declared = desired.map((a) =>
    assignmentInputsFor(
      a,
      data.spec,
      withStack(decisionFromActions(byAssignment.get(a.id) ?? [], a.id), options.stack),
    ),
  );
  const resources = declared.map(
    (inputs) => new KeyAssignment(resourceNameFor(inputs.objectId, inputs.slot), inputs, keyOptions),
  );
  const removals = result.actions
    .filter((a): a is UnmanagedAction => a.kind === "unmanaged-remove" && a.personId !== undefined)
    .map(
      (a) =>
        new UnmanagedRemoval(
          removalNameFor(a.personId ?? "", a.methodId),
          {
            objectId: a.personId ?? "",
            userPrincipalName: a.userPrincipalName ?? a.personId ?? "",
            methodId: a.methodId,
            aaGuid: a.aaGuid.toLowerCase(),
            reason: a.reason,
          },
          { dependsOn: [approval] },
        ),
    );
  // Only what the provider decides comes back from the engine; the ids and the UPN are the program's own.
  // Every Output made costs the SDK promises, so the three outputs of every resource meet in one `all`.
  const rows = pulumi
    .all(resources.flatMap((r) => [r.status, r.taskState, r.failure] as pulumi.Output<string>[]))
    .apply((outs) =>
      declared.map(({ assignmentId, userPrincipalName, objectId, slot }, i) => ({
        assignmentId,
        userPrincipalName,
        objectId,
        slot,
        status: outs[3 * i] as AssignmentOutputs["status"],
        taskState: outs[3 * i + 1] as string,
        failure: outs[3 * i + 2] as string,
      })),
    );
  const counts = rows.apply((rs) => {
    const c: Record<string, number> = { pending: 0, active: 0 };
    for (const { status } of rs) c[status] = (c[status] ?? 0) + 1;
    return c;
  });
  const pending = rows.apply((rs) =>
    rs
      .filter((r) => r.status === "pending")
      .map(({ assignmentId, userPrincipalName, slot, taskState, failure }) => ({
        assignmentId,
        userPrincipalName,
        slot,
        taskState,
        failure,
      })),
  );

  const out: FleetOutputs = {
    assignments: resources.length,
    counts,
    pending,
    plan: { ...result.summary.counts },
    unresolved: [...data.unresolved],
    unmanaged: {
      report: result.summary.counts["unmanaged-report"],
      remove: result.summary.counts["unmanaged-remove"],
    },
    preflightWarnings: data.preflight.findings.filter((f) => f.severity === "warning").map((f) => f.message),
  };
  if (readRecordsHead) out.recordsHead = recordsHeadAfter([...resources, ...removals], readRecordsHead);

  if (options.manageGroup || options.conditionalAccess !== "off") {
    // People with at least one active key: the policy must never target someone who cannot satisfy it yet.
    const members = rows.apply((rs) =>
      [...new Set(rs.filter((r) => r.status === "active").map((r) => r.objectId))].sort(),
    );
    const group = new azuread.Group("keyfleet-provisioned", {
      displayName: options.groupName,
      description: "People holding a security key provisioned by Keyfleet",
      securityEnabled: true,
      members,
    });
    out.groupId = group.objectId;
    if (options.conditionalAccess !== "off") {
      const strengthId =
        options.authenticationStrength === "fido2"
          ? new azuread.AuthenticationStrengthPolicy("keyfleet-fido2-only", {
              displayName: "Keyfleet: FIDO2 security keys",
              description: "Only FIDO2 security keys satisfy this strength",
              allowedCombinations: ["fido2"],
            }).id
          : pulumi.output(PHISHING_RESISTANT_STRENGTH);
      const policy = new azuread.ConditionalAccessPolicy("keyfleet-phishing-resistant", {
        displayName: "Keyfleet: phishing-resistant sign-in for key holders",
        state: options.conditionalAccess === "enabled" ? "enabled" : "enabledForReportingButNotEnforced",
        conditions: {
          clientAppTypes: ["all"],
          applications: { includedApplications: ["All"] },
          users: { includedGroups: [group.objectId] },
        },
        grantControls: { operator: "OR", authenticationStrengthPolicyId: strengthId },
      });
      out.conditionalAccessPolicyId = policy.id;
    }
  }
  return out;
}

const EMPTY_HEAD: RecordsHead = { seq: 0, hash: "0".repeat(64) };

/**
 * The chain head once every create and update of this run has settled (each appends its records before it
 * returns), so the head covers them. Deletes run after the program's outputs are registered: their revocation
 * records show in the next run's head. In preview nothing is written, so the head stays unknown rather than
 * publish a value the run will move.
 */
function recordsHeadAfter(
  resources: readonly pulumi.CustomResource[],
  read: () => Promise<RecordsHead | undefined>,
): pulumi.Output<RecordsHead> {
  if (pulumi.runtime.isDryRun()) return pulumi.output(pulumi.unknown) as pulumi.Output<RecordsHead>;
  return pulumi.all(resources.map((r) => r.id)).apply(async () => (await read()) ?? EMPTY_HEAD);
}

/** The program's own settings from `pulumi config` (keys without the `keyfleet:` prefix). */
export function fleetOptionsFromConfig(
  get: (key: string) => string | undefined,
  now = new Date(),
): FleetOptions {
  const bool = (key: string) => {
    const v = get(key);
    if (v === undefined || v === "") return false;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new Error(`keyfleet:${key} must be true or false, not '${v}'`);
  };
  const ca = get("conditionalAccess") ?? "off";
  const mode: ConditionalAccessMode =
    ca === "" || /^(false|off)$/i.test(ca)
      ? "off"
      : /^(true|reportOnly)$/i.test(ca)
        ? "reportOnly"
        : ca === "enabled"
          ? "enabled"
          : "off";
  if (!["", "false", "off", "true", "reportOnly", "enabled"].includes(ca)) {
    throw new Error(`keyfleet:conditionalAccess must be off, reportOnly (or true) or enabled, not '${ca}'`);
  }
  const strength = get("authenticationStrength") ?? "builtin";
  if (strength !== "builtin" && strength !== "fido2") {
    throw new Error(`keyfleet:authenticationStrength must be builtin or fido2, not '${strength}'`);
  }
  return {
    today: now.toISOString().slice(0, 10),
    allowMassRevoke: bool("allowMassRevoke"),
    manageGroup: bool("manageGroup"),
    conditionalAccess: mode,
    authenticationStrength: strength,
    groupName: get("groupName") || "Keyfleet key holders",
    protect: bool("protect"),
    retainOnDelete: bool("retainOnDelete"),
  };
}
