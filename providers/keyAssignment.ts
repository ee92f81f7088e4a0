// The KeyAssignment resource and the thin provider text stored in its state (providers/thinProvider.ts): what
// refresh and destroy run, so it holds no logic and loads the compiled implementation
// (providers/assignmentProvider.ts → dist/providers/assignmentProvider.js) from the project at call time.
import type * as pulumi from "@pulumi/pulumi";
import type { AssignmentInputs, AssignmentOutputs } from "./assignmentTypes.js";
import { assignmentToWire } from "./assignmentWire.js";
import { forwardingProviderText, ThinDynamicResource } from "./thinProvider.js";

/**
 * The `__provider` text. The export name and module path are a contract with every state ever written:
 * dist/providers/assignmentProvider.js keeps exporting `assignmentProvider`.
 */
export const keyAssignmentProviderText = forwardingProviderText(
  "providers/assignmentProvider.js",
  "assignmentProvider",
);

/** The type token reads `pulumi-nodejs:dynamic/keyfleet:KeyAssignment`; changing it changes every URN. */
export const keyAssignmentModule = "keyfleet";
export const keyAssignmentType = "KeyAssignment";

/** One (person, slot): named `<objectId>-<slot>` so that a UPN rename never replaces (and revokes) a key. */
export class KeyAssignment extends ThinDynamicResource {
  // What the provider decides and the program reads (fleetDeclaration.ts: counts, pending, the group's
  // members). The SDK makes an Output for every property passed, inputs included; state holds every output.
  declare readonly status: pulumi.Output<AssignmentOutputs["status"]>;
  declare readonly taskState: pulumi.Output<string>;
  declare readonly failure: pulumi.Output<string>;

  /** Plain values, not Outputs: the program knows every input before it declares (assignmentWire.ts). */
  constructor(name: string, args: AssignmentInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      keyAssignmentProviderText,
      keyAssignmentModule,
      keyAssignmentType,
      name,
      { ...assignmentToWire(args), status: undefined, taskState: undefined, failure: undefined },
      opts,
    );
  }
}

/** The resource name for an assignment: Pulumi names may not contain '/', assignment ids do. */
export function resourceNameFor(objectId: string, slot: string): string {
  return `${objectId}-${slot}`;
}
