// The KeyAssignment resource and the thin provider text stored in its state (providers/thinProvider.ts): what
// refresh and destroy run, so it holds no logic and loads the compiled implementation
// (providers/assignmentProvider.ts → dist/providers/assignmentProvider.js) from the project at call time.
import type * as pulumi from "@pulumi/pulumi";
import type { AssignmentInputs, AssignmentOutputs } from "./assignmentTypes.js";
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

export type KeyAssignmentArgs = { [K in keyof AssignmentInputs]: pulumi.Input<AssignmentInputs[K]> };

/** One (person, slot): named `<objectId>-<slot>` so that a UPN rename never replaces (and revokes) a key. */
export class KeyAssignment extends ThinDynamicResource {
  // Only what the program reads (fleetDeclaration.ts: counts, pending, the group's members): the SDK makes an
  // Output, with its promises and resolvers, for every property declared, and state holds every output anyway.
  declare readonly status: pulumi.Output<AssignmentOutputs["status"]>;
  declare readonly userPrincipalName: pulumi.Output<string>;
  declare readonly assignmentId: pulumi.Output<string>;
  declare readonly objectId: pulumi.Output<string>;
  declare readonly slot: pulumi.Output<string>;
  declare readonly taskState: pulumi.Output<string>;
  declare readonly failure: pulumi.Output<string>;

  constructor(name: string, args: KeyAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      keyAssignmentProviderText,
      keyAssignmentModule,
      keyAssignmentType,
      name,
      { ...args, status: undefined, taskState: undefined, failure: undefined },
      opts,
    );
  }
}

/** The resource name for an assignment: Pulumi names may not contain '/', assignment ids do. */
export function resourceNameFor(objectId: string, slot: string): string {
  return `${objectId}-${slot}`;
}
