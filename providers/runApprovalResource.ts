// The RunApproval resource and its thin serialized provider: one per stack, carrying what the run's plan
// approved (providers/runApproval.ts). Like KeyAssignment, the serialized methods only load the compiled
// implementation (dist/providers/runApprovalProvider.js) at call time.
import * as pulumi from "@pulumi/pulumi";
import type { RunApprovalInputs, RunApprovalOutputs } from "./runApproval.js";

const implementationModule = "providers/runApprovalProvider.js";

type Implementation = Required<pulumi.dynamic.ResourceProvider<RunApprovalInputs, RunApprovalOutputs>>;

async function implementation(): Promise<Implementation> {
  const { pathToFileURL } = await import("node:url");
  return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href)).runApprovalProvider;
}

/** The provider object that Pulumi serializes: kept as thin as KeyAssignment's. */
export const runApprovalProvider: Implementation = {
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

export type RunApprovalArgs = { [K in keyof RunApprovalInputs]: pulumi.Input<RunApprovalInputs[K]> };

/** Named `keyfleet-run-approval`; type `pulumi-nodejs:dynamic/keyfleet:RunApproval`. */
export class RunApproval extends pulumi.dynamic.Resource {
  constructor(name: string, args: RunApprovalArgs, opts?: pulumi.CustomResourceOptions) {
    super(runApprovalProvider, name, { ...args, approvedAt: undefined }, opts, "keyfleet", "RunApproval");
  }
}
