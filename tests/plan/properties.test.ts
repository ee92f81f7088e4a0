import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ActualState,
  desiredAssignments,
  type Fido2Method,
  plan,
  simulatePlan,
  TASK_STATES,
  type TaskFact,
  WORK_KINDS,
} from "../../core/plan/index.js";
import { loadSpecFiles, type Spec, type SpecFile } from "../../core/spec/index.js";
import { FT, MSA, OLD, TODAY, YK } from "./build.js";

// A random organisation: people (by UPN or object id), slots in every state, groups, a policy; and a
// random actual state: credentials of several kinds, tasks in every state, unmanaged credentials.
const ids = Array.from({ length: 8 }, (_, i) => `${String(i).repeat(8)}-0000-4000-8000-00000000000${i}`);
const upn = (i: number) => `user${i}@corp.example`;
const slotNames = ["primary", "backup", "spare"];
const aaguids = [YK, FT, MSA, OLD];

const slotArb = fc.record({
  profile: fc.constantFrom("yk", "ft"),
  state: fc.constantFrom("active", "active", "lost", "retired"),
  since: fc.constantFrom("2025-01-01", "2025-02-15"),
  adopt: fc.boolean(),
});
const personArb = fc.record({
  byId: fc.boolean(),
  slots: fc.dictionary(fc.constantFrom(...slotNames), slotArb, { minKeys: 1, maxKeys: 3 }),
  leaving: fc.option(fc.constantFrom("2025-01-31", "2025-12-31"), { nil: undefined }),
  groupKeys: fc.constantFrom("include", "exclude"),
});
const orgArb = fc.record({
  people: fc.dictionary(fc.integer({ min: 0, max: 7 }).map(String), personArb, { maxKeys: 8 }),
  groupMembers: fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]),
  groupKeys: fc.integer({ min: 0, max: 2 }),
  remove: fc.boolean(),
  share: fc.constantFrom(0.1, 1),
});
const credArb = fc.record({
  person: fc.integer({ min: 0, max: 7 }),
  aaGuid: fc.constantFrom(...aaguids),
  created: fc.constantFrom("2024-06-01T00:00:00Z", "2025-02-01T00:00:00Z"),
  task: fc.option(
    fc.record({
      slot: fc.constantFrom(...slotNames, "group-staff-1", "gone"),
      generation: fc.integer({ min: 1, max: 3 }),
    }),
    { nil: undefined },
  ),
});
const openTaskArb = fc.record({
  person: fc.integer({ min: 0, max: 7 }),
  slot: fc.constantFrom(...slotNames, "group-staff-1"),
  generation: fc.integer({ min: 1, max: 4 }),
  state: fc.constantFrom(...TASK_STATES.filter((s) => s !== "done")),
});
const actualArb = fc.record({
  creds: fc.array(credArb, { maxLength: 14 }),
  open: fc.array(openTaskArb, { maxLength: 5 }),
});

type Org = typeof orgArb extends fc.Arbitrary<infer T> ? T : never;
type ActualInput = typeof actualArb extends fc.Arbitrary<infer T> ? T : never;

function orgFiles(org: Org): SpecFile[] {
  const docs: string[] = [
    `apiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: yk\naaguids: [${YK}]\n`,
    `apiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: ft\naaguids: [${FT}]\n`,
    `apiVersion: keyfleet.dev/v1\nkind: Policy\nmaxRevokeShare: ${org.share}\nunmanaged: { action: ${org.remove ? "remove" : "report"}, aaguids: [${OLD}] }\n`,
  ];
  if (org.groupKeys > 0) {
    docs.push(
      `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: staff\ngroup: { displayName: Staff }\nprofile: yk\nkeys: ${org.groupKeys}\n`,
    );
  }
  for (const [i, p] of Object.entries(org.people)) {
    const n = Number(i);
    const slots = Object.entries(p.slots)
      .map(([name, s]) => {
        const since = s.state === "active" ? "" : `, since: "${s.since}"`;
        const adopt = s.adopt && s.state === "active" ? ", adopt: true" : "";
        return `  ${name}: { profile: ${s.profile}, state: ${s.state}${since}${adopt} }`;
      })
      .join("\n");
    docs.push(
      `apiVersion: keyfleet.dev/v1\nkind: Person\n${p.byId ? `objectId: ${ids[n]}` : `userPrincipalName: ${upn(n)}`}\n` +
        `${p.leaving ? `leaving: "${p.leaving}"\n` : ""}groupKeys: ${p.groupKeys}\nslots:\n${slots}\n`,
    );
  }
  // Half the documents in one file, half in per-document files.
  return docs.map((text, i) => ({ path: i % 2 ? `all.yaml#${i}` : `d${i}.yaml`, text }));
}

function load(files: SpecFile[]): Spec {
  const r = loadSpecFiles(files);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join("\n"));
  return r.spec;
}

function actualOf(org: Org, a: ActualInput): ActualState {
  const methods: Fido2Method[][] = ids.map(() => []);
  const tasks: TaskFact[] = [];
  const taken = new Set<string>();
  a.creds.forEach((c, k) => {
    const id = `m${k}`;
    methods[c.person]?.push({
      id,
      displayName: null,
      aaGuid: c.aaGuid,
      model: null,
      createdDateTime: c.created,
    });
    const key = c.task && `${ids[c.person]}/${c.task.slot}#${c.task.generation}`;
    if (c.task && key && !taken.has(key)) {
      taken.add(key);
      tasks.push({
        assignmentId: `${ids[c.person]}/${c.task.slot}`,
        generation: c.task.generation,
        state: "done",
        methodId: id,
      });
    }
  });
  for (const t of a.open) {
    const key = `${ids[t.person]}/${t.slot}#${t.generation}`;
    if (taken.has(key)) continue;
    taken.add(key);
    tasks.push({ assignmentId: `${ids[t.person]}/${t.slot}`, generation: t.generation, state: t.state });
  }
  return {
    apiVersion: "keyfleet.dev/v1",
    kind: "ActualState",
    people: ids.map((id, i) => ({ id, userPrincipalName: upn(i), fido2Methods: methods[i] ?? [] })),
    groups: [
      {
        id: "99999999-9999-4999-8999-999999999999",
        displayName: "Staff",
        members: org.groupMembers.map((i) => ids[i] as string),
      },
    ],
    tasks,
  };
}

const runs = { numRuns: 150 };

describe("plan properties", () => {
  it("should end every desired key in exactly one key action", () => {
    fc.assert(
      fc.property(orgArb, actualArb, (org, a) => {
        const spec = load(orgFiles(org));
        const actual = actualOf(org, a);
        const p = plan(spec, actual, { today: TODAY });
        const desired = desiredAssignments(spec, actual).map((d) => d.id);
        const keyActions = p.actions.filter((x) => x.scope === "key").map((x) => x.assignmentId);
        expect([...keyActions].sort()).toEqual([...desired].sort());
      }),
      runs,
    );
  });

  it("should have no work once its own effects are applied (convergence)", () => {
    fc.assert(
      fc.property(orgArb, actualArb, (org, a) => {
        const spec = load(orgFiles(org));
        const first = plan(spec, actualOf(org, a), { today: TODAY, allowMassRevoke: true });
        const after = simulatePlan(spec, actualOf(org, a), first, TODAY);
        const second = plan(spec, after, { today: TODAY, allowMassRevoke: true });
        const work = second.actions.filter((x) => WORK_KINDS.has(x.kind) || x.kind === "wait");
        expect(work).toEqual([]);
        expect(second.hasWork).toBe(false);
      }),
      runs,
    );
  });

  it("should not change when files are renamed, split or reordered", () => {
    fc.assert(
      fc.property(orgArb, actualArb, fc.integer(), (org, a, seed) => {
        const files = orgFiles(org);
        const shuffled =
          fc.sample(fc.shuffledSubarray(files, { minLength: files.length }), { numRuns: 1, seed })[0] ??
          files;
        const renamed = shuffled.map((f, i) => ({
          path: `dept-${(i * 7919 + seed) % 1000}/${i}.yaml`,
          text: f.text,
        }));
        const merged = [{ path: "one.yaml", text: shuffled.map((f) => f.text).join("---\n") }];
        const actual = actualOf(org, a);
        const base = JSON.stringify(plan(load(files), actual, { today: TODAY }));
        const noSources = (s: string) => s.replace(/"source":\{[^}]*\}/g, "");
        expect(noSources(JSON.stringify(plan(load(renamed), actual, { today: TODAY })))).toBe(
          noSources(base),
        );
        expect(noSources(JSON.stringify(plan(load(merged), actual, { today: TODAY })))).toBe(noSources(base));
      }),
      runs,
    );
  });

  it("should never remove an unmanaged credential whose AAGUID the policy does not list", () => {
    fc.assert(
      fc.property(orgArb, actualArb, (org, a) => {
        const spec = load(orgFiles(org));
        const p = plan(spec, actualOf(org, a), { today: TODAY });
        for (const x of p.actions) {
          if (x.kind === "unmanaged-remove") {
            expect(spec.policy.unmanaged.action).toBe("remove");
            expect(spec.policy.unmanaged.aaguids).toContain(x.aaGuid);
          }
        }
      }),
      runs,
    );
  });
});
