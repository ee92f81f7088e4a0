// The audit records' public surface.
export { advanceAnchor, defaultAnchorPath, type RecordAnchor, readAnchor } from "./anchor.js";
export { type AuditContext, AuditedTaskStore } from "./auditedTaskStore.js";
export type {
  AuditRecord,
  RecordAction,
  RecordActor,
  RecordDraft,
  RecordQuery,
  RecordSubject,
} from "./model.js";
export { LEGACY_CHAIN, RECORD_ACTIONS, TASK_OUTCOME_ACTIONS } from "./model.js";
export { type OpenRecordStoreOptions, openRecordStore } from "./openRecordStore.js";
export { toCsv, toJsonLines } from "./recordExport.js";
export type { RecordStore, TaskRecordLookup } from "./recordStore.js";
export { type ChainHeads, type RecordsHead, recordsHeadOf } from "./recordsHead.js";
export { type ChainReport, type TamperFinding, type TamperKind, verifyChain } from "./verifyChain.js";
