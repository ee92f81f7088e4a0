// Compiled from providers/runApprovalResource.ts at commit be18e22 (before the thin provider text): the module a stack
// created before that change ran. tests/providers/upgrade.test.ts builds a dist with it to create such a stack.
// The RunApproval resource and its thin serialized provider: one per stack, carrying what the run's plan
// approved (providers/runApproval.ts). Like KeyAssignment, the serialized methods only load the compiled
// implementation (dist/providers/runApprovalProvider.js) at call time.
import * as pulumi from "@pulumi/pulumi";

const implementationModule = "providers/runApprovalProvider.js";
async function implementation() {
  const { pathToFileURL } = await import("node:url");
  return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href)).runApprovalProvider;
}
/** The provider object that Pulumi serializes: kept as thin as KeyAssignment's. */
export const runApprovalProvider = {
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
/** Named `keyfleet-run-approval`; type `pulumi-nodejs:dynamic/keyfleet:RunApproval`. */
export class RunApproval extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(runApprovalProvider, name, { ...args, approvedAt: undefined }, opts, "keyfleet", "RunApproval");
  }
}
