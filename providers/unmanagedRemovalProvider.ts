// The UnmanagedRemoval provider's implementation, loaded at call time by the thin serialized provider
// (providers/unmanagedRemoval.ts). Create revokes the credential through the backends' one audited path
// (`revokeCredential`: Entra delete, then a signed revocation record); nothing else here changes Entra.
// Compiled to dist/providers/unmanagedRemovalProvider.js by `npm run build`.
import type * as dynamic from "@pulumi/pulumi/dynamic/index.js";
import { backendsFor, configureBackends } from "./configuredBackends.js";
import { admitRevocation, currentApproval, UnapprovedRevocationError } from "./runApproval.js";
import type { UnmanagedRemovalInputs, UnmanagedRemovalOutputs } from "./unmanagedRemoval.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkRemovalInputs(i: UnmanagedRemovalInputs): dynamic.CheckFailure[] {
  const failures: dynamic.CheckFailure[] = [];
  if (typeof i.objectId !== "string" || !GUID.test(i.objectId))
    failures.push({ property: "objectId", reason: "objectId must be the person's Entra object id (a GUID)" });
  if (typeof i.methodId !== "string" || i.methodId === "")
    failures.push({ property: "methodId", reason: "methodId must be Entra's fido2AuthenticationMethod id" });
  if (typeof i.aaGuid !== "string" || !GUID.test(i.aaGuid))
    failures.push({ property: "aaGuid", reason: "aaGuid must be a GUID" });
  if (typeof i.reason !== "string" || i.reason === "")
    failures.push({ property: "reason", reason: "reason must say why the credential is removed" });
  return failures;
}

function echo(i: UnmanagedRemovalInputs): UnmanagedRemovalInputs {
  return {
    objectId: i.objectId,
    userPrincipalName: i.userPrincipalName,
    methodId: i.methodId,
    aaGuid: i.aaGuid,
    reason: i.reason,
  };
}

export const unmanagedRemovalProvider: Required<
  dynamic.ResourceProvider<UnmanagedRemovalInputs, UnmanagedRemovalOutputs>
> = {
  async configure(req) {
    configureBackends(req.config);
  },

  async check(_olds, news) {
    return { inputs: news, failures: checkRemovalInputs(news) };
  },

  async diff(_id, olds, news) {
    // Another person or credential is another removal; a changed UPN or reason only updates the echo.
    const replaces = (["objectId", "methodId"] as const).filter((k) => olds[k] !== news[k]);
    const changed = (["userPrincipalName", "aaGuid", "reason"] as const).some((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    const b = await backendsFor(`remove ${inputs.methodId} of ${inputs.objectId}`);
    // Only what this run's plan approved, within its budget (providers/runApproval.ts).
    const approval = currentApproval();
    if (!approval) {
      throw new UnapprovedRevocationError(
        `keyfleet: removing ${inputs.methodId} of ${inputs.objectId} needs this run's approval, and the program declared none; nothing was removed`,
      );
    }
    admitRevocation(approval, { objectId: inputs.objectId, methodId: inputs.methodId });
    const outcome = await b.revokeCredential(
      { objectId: inputs.objectId, userPrincipalName: inputs.userPrincipalName, methodId: inputs.methodId },
      inputs.reason,
    );
    return {
      id: `${inputs.objectId}/${inputs.methodId}`,
      outs: { ...echo(inputs), status: "removed", outcome, removedAt: new Date().toISOString() },
    };
  },

  async read(id, props) {
    const olds = props as UnmanagedRemovalOutputs;
    const b = await backendsFor(`read ${olds.methodId} of ${olds.objectId}`);
    const listed = (await b.directory.listFido2(olds.objectId)).some((c) => c.id === olds.methodId);
    // Back in Entra (restored, or the delete was undone): gone, so the next `up` removes it again.
    return listed ? { id: "" } : { id, props: olds };
  },

  async update(_id, olds, news) {
    return { outs: { ...olds, ...echo(news) } };
  },

  // Nothing to undo: the credential was deleted when this resource was created. The resource leaves the
  // program once Entra no longer lists the credential (the plan stops seeing it), and deleting it then must
  // neither touch Entra nor need a Graph connection.
  async delete() {},
};
