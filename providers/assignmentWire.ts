// A KeyAssignment's inputs as the program sends them and state keeps them (the wire form), and the one
// conversion each way. The Node SDK pays per top-level property and per nested value on every registration
// (an Output with four promises each, an async walk to serialize, a protobuf Struct, and the engine's and the
// provider host's copies of them), so the wire form carries nothing twice and nothing that says "default":
// objectId and slot are read from the assignment id, `adopt` and `lostSince` appear only when set, and the
// run's decision, which no person reads in a preview, travels as one JSON string. The profile stays a
// structured value: it is what a preview's diff shows a reviewer.
//
// The provider accepts both this and the spread-out form earlier programs declared (and tests of the
// provider's own rules may build), so every method reads inputs through `assignmentFromWire`.
import type { AdoptCriteriaInput, AssignmentDecision, AssignmentInputs } from "./assignmentTypes.js";

/** What the program declares for one (person, slot). */
export interface AssignmentWire {
  /** `<objectId>/<slot>`. */
  assignmentId: string;
  userPrincipalName: string;
  profile: AssignmentInputs["profile"];
  /** Present only when the slot takes over a fitting credential the person holds. */
  adopt?: AdoptCriteriaInput;
  /** Present only when the slot's key was reported lost (YYYY-MM-DD). */
  lostSince?: string;
  /** The run's plan for this key, as JSON (AssignmentDecision). */
  decision?: string;
}

/** The wire form of `inputs`. */
export function assignmentToWire(inputs: AssignmentInputs): AssignmentWire {
  const wire: AssignmentWire = {
    assignmentId: inputs.assignmentId,
    userPrincipalName: inputs.userPrincipalName,
    profile: inputs.profile,
  };
  if (inputs.adopt) wire.adopt = inputs.adoptCriteria;
  if (inputs.lostSince) wire.lostSince = inputs.lostSince;
  if (inputs.decision) wire.decision = JSON.stringify(inputs.decision);
  return wire;
}

/** Wire inputs as any program version declared them. */
export type DeclaredAssignment = AssignmentWire | AssignmentInputs;

const noCriteria = (): AdoptCriteriaInput => ({ aaguids: [], displayNameContains: "", createdBefore: "" });

/**
 * The provider's view of declared inputs, either form. It never throws: what does not parse is passed on as
 * it came (a malformed decision stays a string, an id without a slot gives an empty slot) for
 * checkAssignmentInputs to name.
 */
export function assignmentFromWire(declared: DeclaredAssignment): AssignmentInputs {
  const d = declared as Partial<AssignmentInputs & AssignmentWire> & Record<string, unknown>;
  const id = typeof d.assignmentId === "string" ? d.assignmentId : "";
  const cut = id.indexOf("/");
  // The spread-out form names objectId and slot; the wire form never does.
  const spread = "objectId" in d || "slot" in d;
  const inputs = {
    assignmentId: d.assignmentId,
    objectId: spread ? d.objectId : cut > 0 ? id.slice(0, cut) : "",
    userPrincipalName: d.userPrincipalName,
    slot: spread ? d.slot : cut > 0 ? id.slice(cut + 1) : "",
    profile: d.profile,
    // On the wire, adopt is the criteria themselves; anything else there is passed on for the check to refuse.
    adopt: spread ? d.adopt : d.adopt !== undefined,
    adoptCriteria: (spread ? d.adoptCriteria : d.adopt) ?? noCriteria(),
    lostSince: d.lostSince ?? "",
  } as AssignmentInputs;
  const decision = typeof d.decision === "string" ? parseDecision(d.decision) : d.decision;
  if (decision !== undefined) inputs.decision = decision as AssignmentDecision;
  return inputs;
}

function parseDecision(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
