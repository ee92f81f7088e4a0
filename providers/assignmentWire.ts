// A KeyAssignment's inputs as the program sends them and state keeps them (the wire form), and the one
// conversion each way. The Node SDK pays per top-level property and per nested value on every registration
// (an Output with four promises each, an async walk to serialize, a protobuf Struct, and the engine's and the
// provider host's copies of them), so the wire form carries nothing twice and nothing that says "default":
// objectId and slot are read from the assignment id, `adopt` and `lostSince` appear only when set, and the
// run's decision, which no person reads in a preview, travels as one JSON string. The profile stays a
// structured value: it is what a preview's diff shows a reviewer.
//
// Every provider method reads its inputs through `assignmentFromWire`. The engine only ever hands a
// provider inputs from the program now running; older state is read from outputs, not inputs.
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

const noCriteria = (): AdoptCriteriaInput => ({ aaguids: [], displayNameContains: "", createdBefore: "" });

/**
 * The provider's view of declared inputs. It never throws: what does not parse is passed on as it came (a
 * malformed decision stays a string, an id without a slot gives an empty slot) for checkAssignmentInputs
 * to name.
 */
export function assignmentFromWire(wire: AssignmentWire): AssignmentInputs {
  const id = typeof wire.assignmentId === "string" ? wire.assignmentId : "";
  const cut = id.indexOf("/");
  const inputs: AssignmentInputs = {
    assignmentId: wire.assignmentId,
    objectId: cut > 0 ? id.slice(0, cut) : "",
    userPrincipalName: wire.userPrincipalName,
    slot: cut > 0 ? id.slice(cut + 1) : "",
    profile: wire.profile,
    adopt: wire.adopt !== undefined,
    // On the wire, adopt is the criteria themselves; anything else there is passed on for the check to refuse.
    adoptCriteria: wire.adopt ?? noCriteria(),
    lostSince: wire.lostSince ?? "",
  };
  if (wire.decision !== undefined) inputs.decision = parseDecision(wire.decision) as AssignmentDecision;
  return inputs;
}

function parseDecision(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
