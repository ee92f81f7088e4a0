// Canonical JSON and task signatures: which changes break a task's signature and which do not.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/signing/canonicalJson.js";
import { generateSigningKey } from "../../core/signing/ed25519.js";
import type { Task } from "../../core/tasks/model.js";
import { buildTaskSpec } from "../../core/tasks/raiseInput.js";
import { signTask, verifyTask } from "../../core/tasks/taskSignature.js";
import { sampleRaise } from "./sampleTasks.js";

const key = generateSigningKey();

function signed(): Task {
  const spec = buildTaskSpec(sampleRaise(1), new Date("2030-01-01T00:00:00Z"));
  return {
    ...spec,
    state: "pending",
    attempts: 0,
    nextAttemptAt: spec.createdAt,
    updatedAt: spec.createdAt,
    signature: signTask(spec, key),
  };
}

describe("canonical JSON and task signatures", () => {
  it("should serialise with sorted keys, no whitespace, and undefined members dropped", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: undefined, d: { z: 1, y: 2 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":2,"z":1}}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/unsupported/);
  });

  it("should keep a task trusted through state changes but not through changes to what was raised", () => {
    const t = signed();
    expect(verifyTask(t, [key.publicKey])).toEqual({ trusted: true });
    const stateChanges: Partial<Task>[] = [
      { state: "claimed", attempts: 3, updatedAt: "2031-01-01T00:00:00.000Z" },
      { state: "failed", failure: { reason: "x", retryable: true, at: "2031-01-01T00:00:00.000Z" } },
    ];
    for (const c of stateChanges) expect(verifyTask({ ...t, ...c }, [key.publicKey]).trusted).toBe(true);
    const tampered: Partial<Task>[] = [
      { person: { ...t.person, objectId: "someone-else" } },
      { person: { ...t.person, userPrincipalName: "ceo@contoso.example" } },
      { slot: "backup" },
      { profile: { ...t.profile, allowedAaguids: [] } },
      { profile: { ...t.profile, pinLength: 4 } },
      { provenance: { ...t.provenance, pullRequest: "666" } },
      { kind: "revoke" },
      { createdAt: "2029-01-01T00:00:00.000Z" },
      { revoke: { methodId: "m", afterAssignmentId: "a", afterGeneration: 1 } },
    ];
    for (const c of tampered)
      expect(verifyTask({ ...t, ...c }, [key.publicKey]).trusted, JSON.stringify(c)).toBe(false);
    // A new generation re-signed by the pipeline is a different task id; a copied signature does not fit it.
    expect(verifyTask({ ...t, generation: 2 }, [key.publicKey])).toMatchObject({ trusted: false });
    expect(verifyTask(t, [generateSigningKey().publicKey])).toMatchObject({ trusted: false });
  });
});
