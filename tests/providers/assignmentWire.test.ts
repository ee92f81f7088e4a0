// The KeyAssignment's wire form: what the program declares reads back as the same inputs, with the digest
// diff compares, and what does not parse reaches the input checks.
import { describe, expect, it } from "vitest";
import { checkAssignmentInputs, comparedDigest } from "../../providers/assignmentDiff.js";
import type { AssignmentInputs } from "../../providers/assignmentTypes.js";
import { type AssignmentWire, assignmentFromWire, assignmentToWire } from "../../providers/assignmentWire.js";
import { assignmentInputs, yubikey5 } from "./fixtures.js";

const decision: NonNullable<AssignmentInputs["decision"]> = {
  kind: "provision",
  generation: 2,
  methodId: "",
  cancelGenerations: [1],
  revokeNow: [],
  reason: "the profile changed",
  stack: "prod",
};

describe("the KeyAssignment wire form", () => {
  it("should leave out what the id says and what is at its default, and read back the same inputs", () => {
    const plain = assignmentInputs({ decision });
    const wire = assignmentToWire(plain);
    expect(Object.keys(wire).sort()).toEqual(["assignmentId", "decision", "profile", "userPrincipalName"]);
    expect(typeof wire.decision).toBe("string");
    expect(assignmentFromWire(wire)).toEqual(plain);
    expect(comparedDigest(assignmentFromWire(wire))).toBe(comparedDigest(plain));
  });

  it("should carry an adoption's criteria as `adopt` and a lost date, and read them back", () => {
    const adopting = assignmentInputs({
      adopt: true,
      adoptCriteria: { aaguids: [yubikey5], displayNameContains: "YubiKey", createdBefore: "2026-01-01" },
      lostSince: "2026-03-04",
    });
    const wire = assignmentToWire(adopting);
    expect(wire.adopt).toEqual(adopting.adoptCriteria);
    expect(wire.lostSince).toBe("2026-03-04");
    expect(assignmentFromWire(wire)).toEqual(adopting);
  });

  it("should take the slot from after the first '/' of the id", () => {
    const read = assignmentFromWire({
      ...assignmentToWire(assignmentInputs()),
      assignmentId: "11111111-2222-3333-4444-555555555555/desk/2",
    });
    expect(read.objectId).toBe("11111111-2222-3333-4444-555555555555");
    expect(read.slot).toBe("desk/2");
  });

  it("should hand what does not parse to the checks, which name it", () => {
    const wire = assignmentToWire(assignmentInputs());
    const bad = (over: Record<string, unknown>) =>
      checkAssignmentInputs(assignmentFromWire({ ...wire, ...over } as unknown as AssignmentWire)).map(
        (f) => f.property,
      );
    expect(bad({})).toEqual([]);
    expect(bad({ decision: "{not json" })).toEqual(["decision"]);
    expect(bad({ decision: JSON.stringify({ kind: "explode" }) })).toEqual(["decision"]);
    expect(bad({ adopt: true })).toEqual(["adoptCriteria"]);
    expect(bad({ lostSince: "yesterday" })).toEqual(["lostSince"]);
    expect(bad({ assignmentId: "no-slot-here" })).toContain("assignmentId");
  });
});
