// The task: the unit of station work, keyed by assignment and generation. These types are what the
// pipeline (which raises and signs tasks), the station (which claims and completes them) and the CLI share.
import type { Signature } from "../signing/ed25519.js";

export const TASK_STATES = ["pending", "claimed", "registering", "done", "failed", "cancelled"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export type TaskKind = "provision" | "revoke";

export interface TaskPerson {
  objectId: string;
  userPrincipalName: string;
}

/** The facts of a key profile a station needs at the desk (a copy, so the station needs no specs). */
export interface TaskProfile {
  name: string;
  /** Allowed authenticator AAGUIDs (lower-case, dashed); empty means any the tenant accepts. */
  allowedAaguids: string[];
  /** Allowed model names, for operator guidance. */
  allowedModels: string[];
  pinLength: number;
  forceChangePin: boolean;
  /** CTAP credProtect level 1–3. */
  credProtect: 1 | 2 | 3;
  /** The display name registered with Entra (already expanded from the profile's template). */
  displayName: string;
  /**
   * Inventory serials the slot takes (the spec's slot `serial`). Present: the station reads the plugged
   * key's serial from a real source (its enterprise attestation, or the label the operator scans) and
   * refuses a key whose serial is not one of these.
   */
  serials?: string[];
}

/** Where a station read a key's serial: its enterprise attestation certificate, or the scanned label. */
export type SerialSource = "enterprise-attestation" | "label";

/** A deferred revocation: revoke `methodId` once the replacement in `after` is done. */
export interface RevokeOrder {
  methodId: string;
  /** The assignment whose provisioning gates the revocation (never lock a person out). */
  afterAssignmentId: string;
  /** The generation of that assignment which must be done first. */
  afterGeneration: number;
}

export interface Provenance {
  gitCommit?: string;
  pullRequest?: string;
  pipelineRun?: string;
  /** The Pulumi stack that raised the task (signed): a person belongs to one stack. */
  stack?: string;
}

export interface Lease {
  stationId: string;
  operator?: string;
  /** Random per claim; lets a claimer recognise its own win after an ambiguous (retried) write. */
  claimId: string;
  claimedAt: string;
  expiresAt: string;
}

export interface TaskFailure {
  reason: string;
  retryable: boolean;
  at: string;
  stationId?: string;
  /** Set when a station refused the task as untrusted (unsigned or signed by an unknown key). */
  quarantined?: boolean;
}

/** Written before the Graph POST so a station can later recognise its own registration. */
export interface PendingRegistration {
  stationId: string;
  /** The credential id (base64url, public) about to be registered. */
  credentialId: string;
  /** A short nonce the station put in the display name. */
  nonce?: string;
  at: string;
}

export type TaskResult =
  | {
      kind: "registered";
      methodId: string;
      aaGuid: string;
      model?: string;
      /** The credential id (base64url). Public: it is sent to every relying party at sign-in. */
      credentialId: string;
      /** SHA-256 (hex) of the attestation certificate, where the key gave one. */
      attestationCertSha256?: string;
      /** The key's serial as the station read it, when the task's profile asked for one, and from where. */
      serial?: string;
      serialSource?: SerialSource;
      registeredAt: string;
    }
  | { kind: "revoked"; methodId: string; revokedAt: string }
  | {
      /** The pipeline took over a credential the person already held (an `adopt` slot): no station made it. */
      kind: "adopted";
      methodId: string;
      aaGuid: string;
      model?: string;
      /** When Entra registered the credential. */
      registeredAt: string;
      adoptedAt: string;
    };

/** What an adoption records: the credential Entra lists for the person. */
export interface AdoptionFacts {
  methodId: string;
  aaGuid: string;
  model?: string;
  registeredAt: string;
}

/** The fields the pipeline fixes when it raises a task, and signs. */
export interface TaskSpec {
  id: string;
  assignmentId: string;
  generation: number;
  kind: TaskKind;
  person: TaskPerson;
  slot: string;
  profile: TaskProfile;
  revoke?: RevokeOrder;
  provenance: Provenance;
  createdAt: string;
}

/**
 * The pipeline's signed decision to end a task before it was done: cancelled, or superseded by a later
 * generation. It is kept on the row and, as the tamper-evident copy, in the pipeline's signed records
 * (a row can be rewritten by anyone holding the store's credential; the record chain cannot).
 */
export interface TaskDecision {
  kind: "cancelled" | "superseded";
  reason?: string;
  /** The task id that replaces this one (supersession). */
  supersededBy?: string;
  at: string;
  /** Over {@link decisionPayload}; by the pipeline's key (or an operator's, for a manual cancel). */
  signature: Signature;
}

/** A station's signature over the result it reported (see `resultSignature.ts`). */
export interface SignedResult {
  stationId: string;
  signature: Signature;
}

export interface Task extends TaskSpec {
  state: TaskState;
  lease?: Lease;
  attempts: number;
  /** Earliest time the task may be claimed again (retry backoff). */
  nextAttemptAt: string;
  failure?: TaskFailure;
  registration?: PendingRegistration;
  result?: TaskResult;
  updatedAt: string;
  /** The pipeline's signature over {@link signedTaskFields}. */
  signature?: Signature;
  /** Set when the task was cancelled or superseded with a signing key. */
  decision?: TaskDecision;
  /** The reporting station's signature over its result (set by `complete` given a station key). */
  resultSignature?: SignedResult;
}

/** What the pipeline passes to raise a task; id and createdAt are derived. */
export interface RaiseInput {
  assignmentId: string;
  generation: number;
  kind?: TaskKind;
  person: TaskPerson;
  slot: string;
  profile: TaskProfile;
  revoke?: RevokeOrder;
  provenance?: Provenance;
}

export interface TaskQuery {
  state?: TaskState | readonly TaskState[];
  kind?: TaskKind;
  personObjectId?: string;
  userPrincipalName?: string;
  assignmentId?: string;
  /** Created strictly before this time. */
  createdBefore?: Date;
  /** Created at or after this time. */
  createdAfter?: Date;
  limit?: number;
}

export const TERMINAL_STATES: readonly TaskState[] = ["done", "cancelled"];
