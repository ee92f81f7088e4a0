// The KeyAssignment resource and the thin dynamic provider serialized into its state. The provider's text is
// stored with every resource and is what refresh and destroy run, so it holds no logic: each method loads the
// compiled implementation (providers/assignmentProvider.ts → dist/providers/assignmentProvider.js) from the
// project directory at call time, and today's code serves yesterday's state.
import * as pulumi from "@pulumi/pulumi";
import type { AssignmentInputs, AssignmentOutputs } from "./assignmentTypes.js";

/**
 * Where the implementation lives, relative to the provider host's working directory. The engine starts the
 * host in the program's directory (Pulumi.yaml `main: dist/index.js` → `<project>/dist`, measured with the
 * real CLI), so no machine-specific path lands in state.
 */
const implementationModule = "providers/assignmentProvider.js";

type Implementation = Required<pulumi.dynamic.ResourceProvider<AssignmentInputs, AssignmentOutputs>>;

// Node's own "Cannot find module '<project>/dist/providers/assignmentProvider.js'" says what is missing.
async function implementation(): Promise<Implementation> {
  const { pathToFileURL } = await import("node:url");
  return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href)).assignmentProvider;
}

/** The provider object that Pulumi serializes. Keep it exactly this thin: its size is asserted in a test. */
export const keyAssignmentProvider: Implementation = {
  async configure(req) {
    return (await implementation()).configure(req);
  },
  async check(olds, news) {
    return (await implementation()).check(olds, news);
  },
  async diff(id, olds, news) {
    return (await implementation()).diff(id, olds, news);
  },
  async create(inputs) {
    return (await implementation()).create(inputs);
  },
  async read(id, props) {
    return (await implementation()).read(id, props);
  },
  async update(id, olds, news) {
    return (await implementation()).update(id, olds, news);
  },
  async delete(id, props) {
    return (await implementation()).delete(id, props);
  },
};

/** The type token reads `pulumi-nodejs:dynamic/keyfleet:KeyAssignment`; changing it changes every URN. */
export const keyAssignmentModule = "keyfleet";
export const keyAssignmentType = "KeyAssignment";

export type KeyAssignmentArgs = { [K in keyof AssignmentInputs]: pulumi.Input<AssignmentInputs[K]> };

/** One (person, slot): named `<objectId>-<slot>` so that a UPN rename never replaces (and revokes) a key. */
export class KeyAssignment extends pulumi.dynamic.Resource {
  declare readonly status: pulumi.Output<AssignmentOutputs["status"]>;
  declare readonly methodId: pulumi.Output<string>;
  declare readonly aaguid: pulumi.Output<string>;
  declare readonly model: pulumi.Output<string>;
  declare readonly registeredAt: pulumi.Output<string>;
  declare readonly generation: pulumi.Output<number>;
  declare readonly userPrincipalName: pulumi.Output<string>;
  declare readonly assignmentId: pulumi.Output<string>;
  declare readonly objectId: pulumi.Output<string>;
  declare readonly slot: pulumi.Output<string>;
  declare readonly taskState: pulumi.Output<string>;
  declare readonly failure: pulumi.Output<string>;

  constructor(name: string, args: KeyAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      keyAssignmentProvider,
      name,
      {
        ...args,
        status: undefined,
        taskState: undefined,
        failure: undefined,
        methodId: undefined,
        aaguid: undefined,
        model: undefined,
        registeredAt: undefined,
        generation: undefined,
      },
      opts,
      keyAssignmentModule,
      keyAssignmentType,
    );
  }
}

/** The resource name for an assignment: Pulumi names may not contain '/', assignment ids do. */
export function resourceNameFor(objectId: string, slot: string): string {
  return `${objectId}-${slot}`;
}
