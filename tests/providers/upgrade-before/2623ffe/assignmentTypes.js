// Compiled from providers/assignmentTypes.ts at commit 2623ffe (before outputs carried a digest of the compared inputs): the module
// a stack created before that change ran. tests/providers/upgradeDigest.test.ts builds a dist with it.
/** Pulumi's wire token for "unknown during preview" (rpc.unknownValue). */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
