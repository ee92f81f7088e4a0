// Compiled from providers/keyAssignment.ts at commit 2623ffe (before outputs carried a digest of the compared inputs): the module
// a stack created before that change ran. tests/providers/upgradeDigest.test.ts builds a dist with it.
import { forwardingProviderText, ThinDynamicResource } from "./thinProvider.js";
/**
 * The `__provider` text. The export name and module path are a contract with every state ever written:
 * dist/providers/assignmentProvider.js keeps exporting `assignmentProvider`.
 */
export const keyAssignmentProviderText = forwardingProviderText("providers/assignmentProvider.js", "assignmentProvider");
/** The type token reads `pulumi-nodejs:dynamic/keyfleet:KeyAssignment`; changing it changes every URN. */
export const keyAssignmentModule = "keyfleet";
export const keyAssignmentType = "KeyAssignment";
/** One (person, slot): named `<objectId>-<slot>` so that a UPN rename never replaces (and revokes) a key. */
export class KeyAssignment extends ThinDynamicResource {
    constructor(name, args, opts) {
        super(keyAssignmentProviderText, keyAssignmentModule, keyAssignmentType, name, {
            ...args,
            status: undefined,
            taskState: undefined,
            failure: undefined,
            methodId: undefined,
            aaguid: undefined,
            model: undefined,
            registeredAt: undefined,
            generation: undefined,
        }, opts);
    }
}
/** The resource name for an assignment: Pulumi names may not contain '/', assignment ids do. */
export function resourceNameFor(objectId, slot) {
    return `${objectId}-${slot}`;
}
