// core/entra: the one way Keyfleet talks to Entra ID (Microsoft Graph over @azure/identity).
export { type EntraActualState, readActualState } from "./actualState.js";
export { BATCH_LIMIT, type BatchGet, type BatchOutcome, batchGet } from "./batch.js";
export { classifyFailure, redact } from "./classify.js";
export { EntraClient, type EntraClientOptions, type EntraStats, type GraphVersion } from "./client.js";
export { CLOUDS, type CloudEndpoints, type CloudName } from "./clouds.js";
export {
  type AuthMethod,
  ENTRA_SETTINGS,
  type EntraConfig,
  EntraConfigError,
  type EntraSettings,
  entraSettingsFromEnv,
  entraSettingsFromPulumi,
  loadEntraConfig,
  resolveEntraConfig,
} from "./config.js";
export { type CredentialHooks, createCredential } from "./credential.js";
export {
  type CredentialIdEncoding,
  CredentialIdError,
  credentialIdForms,
  credentialIdMatches,
  type DecodedCredentialId,
  decodeCredentialId,
  decodeCredentialIdCandidates,
  encodeBase64,
  encodeBase64Url,
  encodeUrlToken,
} from "./credentialId.js";
export { listGroupsUsers, listGroupUsers, type ResolvedUsers, resolveUsers } from "./directory.js";
export { EntraError, type EntraErrorKind, kindForStatus, parseRetryAfter } from "./errors.js";
export {
  type CreationOptions,
  deleteFido2Method,
  getCreationOptions,
  listFido2Methods,
  listFido2MethodsBulk,
} from "./fido2Methods.js";
export type { DirectoryUser, Fido2Method } from "./model.js";
export { FIDO2_POLICY_PATH, type Fido2Policy, parseFido2Policy, readFido2Policy } from "./policy.js";
export {
  type PreflightCode,
  type PreflightFinding,
  type PreflightInput,
  type PreflightKeyProfile,
  type PreflightPerson,
  type PreflightReport,
  preflight,
  restrictionAllows,
} from "./preflight.js";
export { type PreflightRun, runPreflight } from "./preflightReader.js";
export {
  ownRegistrationMatcher,
  type PublicKeyCredentialPayload,
  type RegistrationRequest,
  type RegistrationResult,
  registerFido2Method,
} from "./registration.js";
export {
  backoffDelay,
  type Clock,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  systemClock,
  withRetry,
} from "./retry.js";
export { preflightInputFromSpec, type SpecPreflightInput } from "./specPreflight.js";
