// The spec: its model (frozen types), the loader and validator, the published schema and display names.
export type { DisplayNameField, DisplayNameValues } from "./displayName.js";
export { DISPLAY_NAME_FIELDS, renderDisplayName, templateProblems } from "./displayName.js";
export type { SpecIssue } from "./issues.js";
export { formatIssue, SpecError } from "./issues.js";
export type { LoadOptions, LoadResult, SpecFile } from "./load.js";
export { loadSpecDir, loadSpecFiles, readSpec } from "./load.js";
export type * from "./model.js";
export { DEFAULT_POLICY, personKey } from "./model.js";
export { API_VERSION, DISPLAY_NAME_MAX, DOCUMENT_KINDS, MAX_KEYS, specJsonSchema } from "./schema.js";
export type { SpecSummary } from "./summary.js";
export { formatSummary, summariseSpec } from "./summary.js";
