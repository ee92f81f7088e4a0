// Small builders for plan tests: specs from YAML text (through the real loader) and actual states.
import type { ActualState, Fido2Method, TaskFact } from "../../core/plan/index.js";
import { loadSpecFiles, type Spec } from "../../core/spec/index.js";

export const YK = "ee882879-721c-4913-9775-3dfcce97072a";
export const FT = "833b721a-ff5f-4d00-bb2e-bdda3ec01e29";
export const MSA = "de1e552d-db1d-4423-a619-566b625cdc84";
export const OLD = "f8a011f3-8c0a-4d15-8006-17111f9edc7d";
export const ADA = "11111111-1111-4111-8111-111111111111";
export const BOB = "22222222-2222-4222-8222-222222222222";
export const GROUP = "99999999-9999-4999-8999-999999999999";
export const TODAY = "2025-03-01";

const PROFILES = `apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: yk
aaguids: [${YK}]
---
apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: ft
aaguids: [${FT}]
`;

/** A spec of the two profiles above plus the given documents (YAML). */
export function specOf(yaml: string, policy = ""): Spec {
  const files = [
    { path: "profiles.yaml", text: PROFILES },
    { path: "people.yaml", text: yaml },
  ];
  if (policy)
    files.push({ path: "policy.yaml", text: `apiVersion: keyfleet.dev/v1\nkind: Policy\n${policy}` });
  const r = loadSpecFiles(files);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join("\n"));
  return r.spec;
}

export function person(upn: string, slots: string, extra = ""): string {
  return `---\napiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: ${upn}\n${extra}slots:\n${slots}`;
}

export function method(
  id: string,
  aaGuid: string,
  created = "2024-10-01T09:00:00Z",
  model: string | null = null,
): Fido2Method {
  return { id, displayName: id, aaGuid, model, createdDateTime: created };
}

export function state(opts: {
  ada?: Fido2Method[];
  bob?: Fido2Method[];
  tasks?: TaskFact[];
  group?: string[];
}): ActualState {
  return {
    apiVersion: "keyfleet.dev/v1",
    kind: "ActualState",
    people: [
      { id: ADA, userPrincipalName: "ada@corp.example", fido2Methods: opts.ada ?? [] },
      { id: BOB, userPrincipalName: "bob@corp.example", fido2Methods: opts.bob ?? [] },
    ],
    groups: [{ id: GROUP, displayName: "Staff", members: opts.group ?? [] }],
    tasks: opts.tasks ?? [],
  };
}

export function done(personId: string, slot: string, generation: number, methodId: string): TaskFact {
  return { assignmentId: `${personId}/${slot}`, generation, state: "done", methodId };
}
