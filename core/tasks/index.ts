// The task store's public surface: what the pipeline, the station and the CLI import.
export { type ClaimTrustedOptions, claimTrusted, type TrustedClaim } from "./claimTrusted.js";
export { TaskStoreError, type TaskStoreErrorCode } from "./errors.js";
export type {
  Lease,
  PendingRegistration,
  Provenance,
  RaiseInput,
  RevokeOrder,
  SignedResult,
  Task,
  TaskDecision,
  TaskFailure,
  TaskKind,
  TaskPerson,
  TaskProfile,
  TaskQuery,
  TaskResult,
  TaskSpec,
  TaskState,
} from "./model.js";
export { TASK_STATES } from "./model.js";
export {
  type AzureTableOptions,
  DEFAULT_TASK_STORE,
  type OpenTaskStoreOptions,
  openTaskStore,
  redactLocation,
  resolveStoreLocation,
} from "./openTaskStore.js";
export {
  decisionSignedBy,
  resultSignedBy,
  signDecision,
  signResult,
} from "./stateSignatures.js";
export type {
  CancelOptions,
  ClaimOptions,
  TaskStore,
  TaskStoreBackend,
  TaskStoreOptions,
  TaskTrustOptions,
} from "./store.js";
export { type ListOptions, type MalformedTaskRow, readTaskDoc } from "./taskDoc.js";
export { signTask, type TaskTrust, taskIdFor, verifyTask } from "./taskSignature.js";
export { DEFAULT_RETRY_POLICY, type LeaseRef, type RetryPolicy } from "./transitions.js";
export {
  type QuarantinedTask,
  recordAuthentic,
  settledByRecords,
  type TaskResultTrust,
  type VerifiedTasks,
  verifyTaskResult,
  verifyTaskResults,
} from "./verifyTaskResults.js";
