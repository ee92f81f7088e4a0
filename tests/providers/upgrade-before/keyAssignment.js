// Compiled from providers/keyAssignment.ts at commit be18e22 (before the thin provider text): the module a stack
// created before that change ran. tests/providers/upgrade.test.ts builds a dist with it to create such a stack.
// The KeyAssignment resource and the thin dynamic provider serialized into its state. The provider's text is
// stored with every resource and is what refresh and destroy run, so it holds no logic: each method loads the
// compiled implementation (providers/assignmentProvider.ts → dist/providers/assignmentProvider.js) from the
// project directory at call time, and today's code serves yesterday's state.
import * as pulumi from "@pulumi/pulumi";

/**
 * Where the implementation lives, relative to the provider host's working directory. The engine starts the
 * host in the program's directory (Pulumi.yaml `main: dist/index.js` → `<project>/dist`, measured with the
 * real CLI), so no machine-specific path lands in state.
 */
const implementationModule = "providers/assignmentProvider.js";
// Node's own "Cannot find module '<project>/dist/providers/assignmentProvider.js'" says what is missing.
async function implementation() {
  const { pathToFileURL } = await import("node:url");
  return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href)).assignmentProvider;
}
/** The provider object that Pulumi serializes. Keep it exactly this thin: its size is asserted in a test. */
export const keyAssignmentProvider = {
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
/** One (person, slot): named `<objectId>-<slot>` so that a UPN rename never replaces (and revokes) a key. */
export class KeyAssignment extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
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
export function resourceNameFor(objectId, slot) {
  return `${objectId}-${slot}`;
}
