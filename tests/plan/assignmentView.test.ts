// The plan's view of a desired key takes its display name and profile fingerprint through shortcuts (names
// rendered once per distinct input, a per-profile head of the fingerprint): they must equal what the task
// a station receives carries, for every template, profile and person.
import { describe, expect, it } from "vitest";
import { desiredAssignments } from "../../core/assignment.js";
import { assignmentView } from "../../core/plan/plan.js";
import { profileKey, taskProfileOf } from "../../core/plan/taskProfile.js";
import { loadSpecFiles, type Spec } from "../../core/spec/index.js";
import { ADA, BOB, state, YK } from "./build.js";

const FT_UPPER = "833B721A-FF5F-4D00-BB2E-BDDA3EC01E29";

function spec(): Spec {
  const text = `apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: by-upn
aaguids: [${YK}, ${FT_UPPER}]
models: [YubiKey 5 NFC, Feitian]
pin: { length: 8, forceChange: true }
credProtect: 3
displayName: "{upn} {slot}"
---
apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: by-serial
models: [Zeta, Alpha]
displayName: "{model} {serial} {profile}"
---
apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: plain
aaguids: [${YK}]
---
apiVersion: keyfleet.dev/v1
kind: Inventory
keys:
  - { serial: "00012345", aaguid: ${YK}, model: YubiKey 5C }
---
apiVersion: keyfleet.dev/v1
kind: Person
userPrincipalName: ada@corp.example
slots:
  primary: { profile: by-upn }
  desk: { profile: by-serial, serial: "00012345" }
  spare: { profile: by-serial }
  backup: { profile: plain }
---
apiVersion: keyfleet.dev/v1
kind: Person
userPrincipalName: bob@corp.example
slots:
  primary: { profile: by-upn }
  backup: { profile: plain }
  a-slot-name-long-enough-to-shrink: { profile: by-upn }
`;
  const r = loadSpecFiles([{ path: "fleet.yaml", text }]);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.line}: ${i.message}`).join("\n"));
  return r.spec;
}

describe("assignmentView", () => {
  it("should carry the display name and profile fingerprint a task raised for the slot carries", () => {
    const s = spec();
    const assignments = desiredAssignments(s, state({}));
    expect(assignments.map((a) => a.personId)).toContain(ADA);
    expect(assignments.map((a) => a.personId)).toContain(BOB);
    // Twice: the second pass answers from what the first rendered.
    for (let pass = 0; pass < 2; pass++) {
      for (const a of assignments) {
        const task = taskProfileOf(a, s.inventory);
        const view = assignmentView(a, s);
        expect(view.displayName).toBe(task.displayName);
        expect(view.profileKey).toBe(profileKey(task));
      }
    }
    const names = assignments.map((a) => assignmentView(a, s).displayName);
    // Within the 19 characters the registration marker leaves: the UPN gives way first, then the profile.
    expect(names).toContain("ada@corp.ex primary");
    expect(names).toContain("bob@corp.ex primary");
    expect(names).toContain("a-slot-name-long-en");
    expect(names).toContain("YubiKey 5C 00012345");
    expect(names).toContain("Zeta by-serial");
  });

  it("should fingerprint a slot's inventory serial, and leave profiles without one as they were", () => {
    const s = spec();
    const desk = desiredAssignments(s, state({})).find((a) => a.personId === ADA && a.slot === "desk");
    if (!desk) throw new Error("no desk slot");
    const task = taskProfileOf(desk, s.inventory);
    expect(task.serials).toEqual(["00012345"]);
    // A task raised before serials existed (or for another serial) no longer matches: it is superseded.
    const { serials: _, ...before } = task;
    expect(profileKey(before)).not.toBe(profileKey(task));
    expect(profileKey({ ...task, serials: ["00099999"] })).not.toBe(profileKey(task));
    // Without serials the fingerprint is the seven-field form tasks raised earlier carry.
    expect(JSON.parse(profileKey(before))).toHaveLength(7);
  });
});
