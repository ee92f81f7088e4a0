// The RunApproval resource and the thin provider text stored in its state: one per stack, carrying what the
// run's plan approved (providers/runApproval.ts). Like KeyAssignment, the text only loads the compiled
// implementation (dist/providers/runApprovalProvider.js) at call time (providers/thinProvider.ts).
import type * as pulumi from "@pulumi/pulumi";
import type { RunApprovalInputs } from "./runApproval.js";
import { forwardingProviderText, ThinDynamicResource } from "./thinProvider.js";

/** The `__provider` text; the module and export name are a contract with state. */
export const runApprovalProviderText = forwardingProviderText(
  "providers/runApprovalProvider.js",
  "runApprovalProvider",
);

export type RunApprovalArgs = { [K in keyof RunApprovalInputs]: pulumi.Input<RunApprovalInputs[K]> };

/** Named `keyfleet-run-approval`; type `pulumi-nodejs:dynamic/keyfleet:RunApproval`. */
export class RunApproval extends ThinDynamicResource {
  constructor(name: string, args: RunApprovalArgs, opts?: pulumi.CustomResourceOptions) {
    super(runApprovalProviderText, "keyfleet", "RunApproval", name, { ...args, approvedAt: undefined }, opts);
  }
}
