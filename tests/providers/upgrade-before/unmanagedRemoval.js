// Compiled from providers/unmanagedRemoval.ts at commit be18e22 (before the thin provider text): the module a stack
// created before that change ran. tests/providers/upgrade.test.ts builds a dist with it to create such a stack.
// The UnmanagedRemoval resource and its thin serialized provider: one resource per credential that Entra has,
// Keyfleet did not register, and whose AAGUID the policy's `unmanaged: remove` list names. Declaring them as
// resources makes a pull request's preview list exactly which credentials a merge removes. Like KeyAssignment
// (providers/keyAssignment.ts), the serialized methods only load the compiled implementation
// (providers/unmanagedRemovalProvider.ts → dist/providers/unmanagedRemovalProvider.js) at call time.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** Relative to the provider host's working directory (`<project>/dist`), so no machine path lands in state. */
const implementationModule = "providers/unmanagedRemovalProvider.js";
async function implementation() {
  const { pathToFileURL } = await import("node:url");
  return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href))
    .unmanagedRemovalProvider;
}
/** The provider object that Pulumi serializes. Keep it exactly this thin: its size is asserted in a test. */
export const unmanagedRemovalProvider = {
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
/** The type token reads `pulumi-nodejs:dynamic/keyfleet:UnmanagedRemoval`; changing it changes every URN. */
export const unmanagedRemovalModule = "keyfleet";
export const unmanagedRemovalType = "UnmanagedRemoval";
export class UnmanagedRemoval extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(
      unmanagedRemovalProvider,
      name,
      { ...args, status: undefined, outcome: undefined, removedAt: undefined },
      opts,
      unmanagedRemovalModule,
      unmanagedRemovalType,
    );
  }
}
/**
 * `<objectId>-<methodId>`. Entra's method ids are base64url-like but may carry '/', '+', '=' or ':', which
 * Pulumi names and URNs handle badly: those become '_', and a short hash of the real id keeps two ids that
 * differ only there apart.
 */
export function removalNameFor(objectId, methodId) {
  const safe = methodId.replace(/[^A-Za-z0-9_-]/g, "_");
  if (safe === methodId) return `${objectId}-${methodId}`;
  return `${objectId}-${safe}-${createHash("sha256").update(methodId).digest("hex").slice(0, 8)}`;
}
