// The UnmanagedRemoval resource and its thin serialized provider: one resource per credential that Entra has,
// Keyfleet did not register, and whose AAGUID the policy's `unmanaged: remove` list names. Declaring them as
// resources makes a pull request's preview list exactly which credentials a merge removes. Like KeyAssignment
// (providers/keyAssignment.ts), the provider text in state only loads the compiled implementation
// (providers/unmanagedRemovalProvider.ts → dist/providers/unmanagedRemovalProvider.js) at call time.
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { forwardingProviderText, ThinDynamicResource } from "./thinProvider.js";

/** What the program declares for one credential to remove. */
export interface UnmanagedRemovalInputs {
  objectId: string;
  userPrincipalName: string;
  /** Entra's fido2AuthenticationMethod id. */
  methodId: string;
  aaGuid: string;
  /** The plan's sentence for people; it becomes the revocation record's detail. */
  reason: string;
}

/** State: the inputs echoed plus what the removal found. */
export interface UnmanagedRemovalOutputs extends UnmanagedRemovalInputs {
  status: "removed";
  /** "deleted" by this run, or "absent" when Entra no longer had it. */
  outcome: "deleted" | "absent";
  /** ISO 8601. */
  removedAt: string;
}

/** The `__provider` text (providers/thinProvider.ts); the module and export name are a contract with state. */
export const unmanagedRemovalProviderText = forwardingProviderText(
  "providers/unmanagedRemovalProvider.js",
  "unmanagedRemovalProvider",
);

/** The type token reads `pulumi-nodejs:dynamic/keyfleet:UnmanagedRemoval`; changing it changes every URN. */
export const unmanagedRemovalModule = "keyfleet";
export const unmanagedRemovalType = "UnmanagedRemoval";

export type UnmanagedRemovalArgs = {
  [K in keyof UnmanagedRemovalInputs]: pulumi.Input<UnmanagedRemovalInputs[K]>;
};

export class UnmanagedRemoval extends ThinDynamicResource {
  declare readonly objectId: pulumi.Output<string>;
  declare readonly userPrincipalName: pulumi.Output<string>;
  declare readonly methodId: pulumi.Output<string>;
  declare readonly aaGuid: pulumi.Output<string>;
  declare readonly status: pulumi.Output<UnmanagedRemovalOutputs["status"]>;
  declare readonly outcome: pulumi.Output<UnmanagedRemovalOutputs["outcome"]>;
  declare readonly removedAt: pulumi.Output<string>;

  constructor(name: string, args: UnmanagedRemovalArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      unmanagedRemovalProviderText,
      unmanagedRemovalModule,
      unmanagedRemovalType,
      name,
      { ...args, status: undefined, outcome: undefined, removedAt: undefined },
      opts,
    );
  }
}

/**
 * `<objectId>-<methodId>`. Entra's method ids are base64url-like but may carry '/', '+', '=' or ':', which
 * Pulumi names and URNs handle badly: those become '_', and a short hash of the real id keeps two ids that
 * differ only there apart.
 */
export function removalNameFor(objectId: string, methodId: string): string {
  const safe = methodId.replace(/[^A-Za-z0-9_-]/g, "_");
  if (safe === methodId) return `${objectId}-${methodId}`;
  return `${objectId}-${safe}-${createHash("sha256").update(methodId).digest("hex").slice(0, 8)}`;
}
