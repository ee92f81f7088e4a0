// What a drift report holds: findings (one per thing git, the task store and Entra disagree on, or work
// still within its agreed time), ranked by severity, and the coverage figure (keys held / keys desired) by
// group and by profile that heads every rendering.

export const SEVERITIES = ["high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The categories, each with its fixed severity. `pending` is work within its agreed time: reported, never
 * drift. Every other kind is drift (the report's exit code is 1 when any is present).
 */
export const FINDING_KINDS = {
  /** The spec names a person (UPN or object id) the directory does not know, or under an old UPN. */
  "stale-upn": "high",
  /** A desired key with no credential and no open task. */
  missing: "high",
  /** The latest task of a desired key failed. */
  failed: "high",
  /** A held credential whose AAGUID (or model) the profile does not allow. */
  "aaguid-not-allowed": "high",
  /** A synced passkey where the profile wants a device-bound key (every key profile does). */
  synced: "high",
  /** A credential Keyfleet registered for a key that should be gone (retired slot, leaver, lost key). */
  "revoke-due": "high",
  /** Credentials or open tasks of an assignment no longer in the specs. */
  orphan: "high",
  /** A task open for longer than the agreed time. */
  "stale-pending": "medium",
  /** A held credential Entra lists as not attested. */
  unattested: "medium",
  /** A credential in Entra that Keyfleet did not register and no slot adopts. */
  unmanaged: "medium",
  /** A person with keys or tasks whose account is disabled in Entra. */
  disabled: "medium",
  /** Tasks for a person the directory no longer knows (deleted in Entra). */
  deleted: "medium",
  /** Two credentials where one is desired: a replacement's predecessor, or one credential two slots claim. */
  duplicate: "low",
  /** A slot that adopts a credential the person already holds, not yet taken over. */
  adoptable: "low",
  /** An open task of a retired slot or a leaver, with nothing registered. */
  "open-task-gone": "low",
  /** A task open within the agreed time: not drift. */
  pending: "info",
} as const satisfies Record<string, Severity>;
export type FindingKind = keyof typeof FINDING_KINDS;

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** False only for work within its agreed time. */
  readonly drift: boolean;
  readonly personId: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly slot: string | undefined;
  readonly assignmentId: string | undefined;
  /** The GroupAssignment that gave the slot; undefined for a person's own slots and unmanaged credentials. */
  readonly group: string | undefined;
  readonly profile: string | undefined;
  /** The Graph method ids concerned, when a credential is. */
  readonly methodIds: readonly string[];
  /** Days since the task was raised (pending, stale-pending, failed). */
  readonly ageDays: number | undefined;
  /** A sentence for people. */
  readonly message: string;
}

export interface CoverageRow {
  /** Group assignment name ("(individual)" for people's own slots) or profile name. */
  readonly name: string;
  readonly held: number;
  readonly desired: number;
  /** held / desired; 1 when nothing is desired. */
  readonly share: number;
}

export interface Coverage {
  readonly held: number;
  readonly desired: number;
  readonly share: number;
  readonly byGroup: readonly CoverageRow[];
  readonly byProfile: readonly CoverageRow[];
}

export interface PersonDrift {
  readonly personId: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly worst: Severity;
  readonly findings: number;
}

export interface GroupDrift {
  readonly group: string;
  readonly counts: Readonly<Partial<Record<FindingKind, number>>>;
  readonly drift: number;
}

export interface DriftReport {
  readonly apiVersion: "keyfleet.dev/v1";
  readonly kind: "DriftReport";
  readonly today: string;
  readonly generatedAt: string;
  readonly staleAfterDays: number;
  readonly coverage: Coverage;
  /** Ranked: severity, then person, slot and kind. */
  readonly findings: readonly Finding[];
  readonly counts: Readonly<Record<FindingKind, number>>;
  /** People with at least one finding, worst first. */
  readonly people: readonly PersonDrift[];
  /** Findings per group assignment ("(individual)" and "(unassigned)" for the rest). */
  readonly groups: readonly GroupDrift[];
  /** Whether git, the task store and Entra disagree (any finding but `pending`). */
  readonly drift: boolean;
}

/** The task store's timing of one provision task (the plan's task facts carry no times). */
export interface TaskTiming {
  readonly assignmentId: string;
  readonly generation: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly failureReason: string | undefined;
}

export const INDIVIDUAL = "(individual)";
export const UNASSIGNED = "(unassigned)";
