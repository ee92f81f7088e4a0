// The TaskStore interface: the work queue between the pipeline and the stations, whatever the backend.
import type { KeyObject } from "node:crypto";
import type { SigningKey } from "../signing/ed25519.js";
import type { AdoptionFacts, RaiseInput, Task, TaskQuery, TaskResult } from "./model.js";
import type { ListOptions } from "./taskDoc.js";
import type { LeaseRef, RetryPolicy } from "./transitions.js";

export type TaskStoreBackend = "sqlite" | "azure-table";

export interface ClaimOptions {
  stationId: string;
  operator?: string;
  /** How long the lease lasts before another station may take the task. */
  leaseMs: number;
  /**
   * Claims only a task this accepts (a station's key must fit it), judged inside the claim, so stations
   * with different keys never hold each other's work while they search.
   */
  only?: (task: Task) => boolean;
}

export interface CancelOptions {
  reason?: string;
  /** Also cancel a task that is registering now (check Entra afterwards). */
  force?: boolean;
  /** Signs the decision (the pipeline's key); the audited store also records it, signed, first. */
  signer?: SigningKey;
  /** The task that replaces this one: the decision reads "superseded" rather than "cancelled". */
  supersededBy?: string;
}

export interface TaskStore {
  readonly backend: TaskStoreBackend;
  /** Where the store is, for messages (never includes a key or token). */
  readonly location: string;

  /**
   * Raises (and signs) the task for an assignment's generation. Idempotent: raising the same
   * (assignmentId, generation) again returns the stored task with `created: false`.
   */
  raise(input: RaiseInput, signer: SigningKey): Promise<{ task: Task; created: boolean }>;
  /**
   * Records that the pipeline adopted an existing credential for an assignment's generation: a signed task,
   * done at once with an `adopted` result, so every later plan counts the credential as managed. Idempotent
   * per (assignmentId, generation) like raise.
   */
  adopt(
    input: RaiseInput,
    adoption: AdoptionFacts,
    signer: SigningKey,
  ): Promise<{ task: Task; created: boolean }>;
  get(id: string): Promise<Task | undefined>;
  /**
   * Tasks matching the query, oldest first. A malformed row fails the listing with an error naming it,
   * unless `opts.onMalformed` is given: then it is reported there and skipped.
   */
  list(query?: TaskQuery, opts?: ListOptions): Promise<Task[]>;

  /**
   * Claims the next claimable task exclusively: pending, retryable-failed past its backoff, or held
   * under an expired lease. Revocations wait until their replacement is done. Returns undefined when
   * there is nothing to do. Does not check the signature: stations use {@link claimTrusted}.
   */
  claimNext(opts: ClaimOptions): Promise<Task | undefined>;
  renew(id: string, lease: LeaseRef, leaseMs: number): Promise<Task>;
  /** Gives the task back (pending now), e.g. when the operator has no suitable key at hand. */
  release(id: string, lease: LeaseRef): Promise<Task>;
  /** Records the credential id about to be registered, before the Graph POST. */
  markRegistering(
    id: string,
    lease: LeaseRef,
    registration: { credentialId: string; nonce?: string },
  ): Promise<Task>;
  /**
   * Records the result. Given the station's key, the result is signed (`resultSignature`); the pipeline
   * acts only on signed results it can match to that station's records (see verifyTaskResults).
   */
  complete(id: string, lease: LeaseRef, result: TaskResult, signer?: SigningKey): Promise<Task>;
  fail(id: string, lease: LeaseRef, failure: { reason: string; retryable: boolean }): Promise<Task>;
  /** Marks a claimed task as untrusted: failed for good, flagged `quarantined`, never provisioned. */
  quarantine(id: string, lease: LeaseRef, reason: string): Promise<Task>;
  /** Cancels an open task; given a signer, the decision is signed onto the row (`decision`). */
  cancel(id: string, opts?: CancelOptions): Promise<Task>;
  /** Puts a failed task back to pending now. */
  retry(id: string): Promise<Task>;
  /** Returns every task whose lease has expired to pending; returns those it moved. */
  reclaimExpired(): Promise<Task[]>;
  close(): Promise<void>;
}

export interface TaskStoreOptions {
  retryPolicy?: RetryPolicy;
  /** The clock (tests move it); defaults to the system time. */
  now?: () => Date;
}

/** What a station needs to refuse tasks the pipeline did not sign. */
export interface TaskTrustOptions {
  pipelineKeys: readonly KeyObject[];
}
