// The audit record: one signed, hash-chained line per thing that happened to a task. Nothing secret:
// identifiers, AAGUIDs, method and credential ids (public), fingerprints, times.
//
// Each writer key appends to its own chain (v2 records name it: `chain` is the signer's key id), so
// writers never wait on one another; stores written before that hold one shared chain of v1 records,
// the legacy chain, which stays readable and verifiable as it was.
import type { Signature } from "../signing/ed25519.js";
import type { Provenance } from "../tasks/model.js";

export const RECORD_ACTIONS = [
  "raise",
  "claim",
  "registering",
  "registration",
  "revocation",
  "failure",
  "quarantine",
  "release",
  "cancellation",
  "supersession",
  "retry",
  "reclaim",
  "approval",
  "adoption",
] as const;
export type RecordAction = (typeof RECORD_ACTIONS)[number];

/** Who did it. */
export interface RecordActor {
  role: "pipeline" | "station" | "operator";
  stationId?: string;
  operator?: string;
}

/** What it was about. */
export interface RecordSubject {
  taskId?: string;
  assignmentId?: string;
  generation?: number;
  personObjectId?: string;
  userPrincipalName?: string;
  slot?: string;
  aaGuid?: string;
  methodId?: string;
  credentialId?: string;
  attestationCertSha256?: string;
  /** The key's serial a station read (task results), and where it read it. */
  serial?: string;
  serialSource?: string;
}

/** What a writer supplies; the log adds seq, time, chain and signature. */
export interface RecordDraft {
  action: RecordAction;
  actor: RecordActor;
  subject: RecordSubject;
  detail?: string;
  provenance?: Provenance;
}

/** The hashed part of a record. */
export interface RecordBody {
  /** 1: a record of the legacy (single, shared) chain; 2: a record of its writer's own chain. */
  v: 1 | 2;
  /** v2: the chain this record belongs to (its signer's key id), inside the hash so it cannot move. */
  chain?: string;
  /** The position in its chain, from 1. */
  seq: number;
  at: string;
  action: RecordAction;
  actor: RecordActor;
  subject: RecordSubject;
  detail?: string;
  provenance: Provenance;
  /** The previous record's hash (64 zeros for the first). */
  prevHash: string;
  /** The writer's public key (raw Ed25519, base64url) and its id, so each signature checks alone. */
  signer: { keyId: string; publicKey: string };
}

export interface AuditRecord extends RecordBody {
  /** SHA-256 (hex) of the canonical JSON of the body. */
  hash: string;
  /** The writer's signature over {type, hash}. */
  signature: Signature;
}

export interface RecordQuery {
  /** Only this chain (a writer's key id, or LEGACY_CHAIN); fromSeq/toSeq count within each chain. */
  chain?: string;
  fromSeq?: number;
  toSeq?: number;
  action?: RecordAction;
  personObjectId?: string;
  taskId?: string;
  limit?: number;
}

/**
 * The actions that settle a task, indexed by task id in both backends: what a station checks before
 * working on a task (was it cancelled or superseded?) and the pipeline checks before acting on a result
 * (did that station record it?).
 */
export const TASK_OUTCOME_ACTIONS: readonly RecordAction[] = [
  "registration",
  "adoption",
  "revocation",
  "cancellation",
  "supersession",
  "quarantine",
];

export const GENESIS_HASH = "0".repeat(64);

/** The chain id of the records written before chains were per writer (v1 records, no `chain`). */
export const LEGACY_CHAIN = "legacy";
