// The plan: actual-state input, the actions union, plan() and its simulation.
export type { DesiredAssignment, Directory } from "../assignment.js";
export { assignmentId, desiredAssignments, ResolutionError } from "../assignment.js";
export type * from "./actions.js";
export { ACTION_KINDS, WORK_KINDS } from "./actions.js";
export type {
  ActualState,
  DirectoryGroup,
  DirectoryPerson,
  Fido2Method,
  TaskFact,
  TaskState,
} from "./actual.js";
export { ActualStateError, parseActualState, TASK_STATES } from "./actual.js";
export { decideKey, type KeyAssignmentView, type KeyFacts } from "./decide.js";
export { chooseAdoption, isLostCredential, keyFits, misfit } from "./fit.js";
export {
  assignmentDisplayName,
  DISPLAY_NAME_BUDGET,
  newMarkerToken,
  registrationMarkerOf,
  withRegistrationMarker,
} from "./keyName.js";
export type { Plan, PlanOptions, PlanSummary } from "./plan.js";
export {
  assignmentView,
  countRevocations,
  exceedsRevokeBudget,
  formerUpnsOf,
  plan,
  revokeBudget,
} from "./plan.js";
export { formatPlanSummary, formatPlanTable } from "./report.js";
export { simulatePlan } from "./simulate.js";
