import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Action, parseActualState, plan, ResolutionError } from "../../core/plan/index.js";
import { readSpec } from "../../core/spec/index.js";
import { repoRoot } from "../support/cli.js";
import { ADA, BOB, done, FT, GROUP, MSA, method, OLD, person, specOf, state, TODAY, YK } from "./build.js";

const one = (spec: ReturnType<typeof specOf>, actual: ReturnType<typeof state>, allow = false) =>
  plan(spec, actual, { today: TODAY, allowMassRevoke: allow });
const brief = (actions: readonly Action[]) => actions.map((a) => `${a.kind} ${a.scope} ${a.slot ?? "-"}`);
const adaPrimary = person("ada@corp.example", "  primary: { profile: yk }\n");

describe("plan: one action per situation", () => {
  const cases: {
    name: string;
    spec: string;
    policy?: string;
    actual: Parameters<typeof state>[0];
    expect: string[];
    reason?: RegExp;
  }[] = [
    {
      name: "provision a key nobody has",
      spec: adaPrimary,
      actual: {},
      expect: ["provision key primary"],
      reason: /new key/,
    },
    {
      name: "wait while the task is open",
      spec: adaPrimary,
      actual: { tasks: [{ assignmentId: `${ADA}/primary`, generation: 1, state: "claimed" }] },
      expect: ["wait key primary"],
      reason: /g1 is claimed/,
    },
    {
      name: "keep a registered credential that fits",
      spec: adaPrimary,
      actual: { ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["keep key primary"],
    },
    {
      name: "provision again when the registered credential vanished from Entra",
      spec: adaPrimary,
      actual: { tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["provision key primary"],
      reason: /no longer in Entra/,
    },
    {
      name: "provision again after a failed task",
      spec: adaPrimary,
      actual: { tasks: [{ assignmentId: `${ADA}/primary`, generation: 1, state: "failed" }] },
      expect: ["provision key primary"],
      reason: /g1 failed/,
    },
    {
      name: "adopt a fitting credential the person registered",
      spec: person("ada@corp.example", "  primary: { profile: yk, adopt: true }\n"),
      actual: { ada: [method("own", YK)] },
      expect: ["adopt key primary"],
      reason: /takes over/,
    },
    {
      name: "not adopt a credential of another profile, and report it",
      spec: person("ada@corp.example", "  primary: { profile: yk, adopt: true }\n"),
      actual: { ada: [method("own", FT)] },
      expect: ["provision key primary", "unmanaged-report credential -"],
    },
    {
      name: "replace a key whose profile changed, keeping the old one until the new is active",
      spec: adaPrimary,
      actual: { ada: [method("m1", FT)], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["replace key primary"],
      reason: /no longer fits profile 'yk'/,
    },
    {
      name: "revoke the retiring key once the replacement is active",
      spec: adaPrimary,
      actual: {
        ada: [method("m1", FT), method("m2", YK, "2025-02-01T00:00:00Z")],
        tasks: [done(ADA, "primary", 1, "m1"), done(ADA, "primary", 2, "m2")],
      },
      expect: ["keep key primary", "revoke-retired credential primary"],
    },
    {
      name: "revoke a lost key and provision its replacement",
      spec: person("ada@corp.example", '  primary: { profile: yk, state: lost, since: "2025-01-15" }\n'),
      actual: { ada: [method("m1", YK, "2024-06-01T00:00:00Z")], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["provision key primary", "revoke credential primary"],
      reason: /lost on 2025-01-15/,
    },
    {
      name: "keep the replacement of a lost key",
      spec: person("ada@corp.example", '  primary: { profile: yk, state: lost, since: "2025-01-15" }\n'),
      actual: { ada: [method("m2", YK, "2025-01-20T00:00:00Z")], tasks: [done(ADA, "primary", 2, "m2")] },
      expect: ["keep key primary"],
    },
    {
      name: "revoke a retired slot's credential",
      spec: person("ada@corp.example", "  primary: { profile: yk, state: retired }\n"),
      actual: { ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["revoke key primary"],
      reason: /slot retired/,
    },
    {
      name: "say a retired slot is gone once nothing is left",
      spec: person("ada@corp.example", "  primary: { profile: yk, state: retired }\n"),
      actual: {},
      expect: ["gone key primary"],
    },
    {
      name: "revoke the keys of a person whose leaving day has passed",
      spec: person("ada@corp.example", "  primary: { profile: yk }\n", 'leaving: "2025-02-28"\n'),
      actual: { ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["revoke key primary"],
      reason: /left on 2025-02-28/,
    },
    {
      name: "keep the keys of a person leaving today (the day is theirs)",
      spec: person("ada@corp.example", "  primary: { profile: yk }\n", `leaving: "${TODAY}"\n`),
      actual: { ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["keep key primary"],
    },
    {
      name: "revoke a credential whose assignment was removed from git",
      spec: adaPrimary,
      actual: {
        ada: [method("m1", YK)],
        bob: [method("b1", YK)],
        tasks: [done(ADA, "primary", 1, "m1"), done(BOB, "primary", 1, "b1")],
      },
      expect: ["keep key primary", "revoke credential primary"],
    },
    {
      name: "report an unmanaged credential under the default policy",
      spec: adaPrimary,
      actual: { ada: [method("m1", YK), method("app", MSA)], tasks: [done(ADA, "primary", 1, "m1")] },
      expect: ["keep key primary", "unmanaged-report credential -"],
    },
    {
      name: "remove only the unmanaged AAGUIDs the policy names",
      spec: adaPrimary,
      policy: `unmanaged: { action: remove, aaguids: [${OLD}] }\nmaxRevokeShare: 1\n`,
      actual: {
        ada: [method("m1", YK), method("app", MSA), method("blue", OLD)],
        tasks: [done(ADA, "primary", 1, "m1")],
      },
      expect: ["keep key primary", "unmanaged-remove credential -", "unmanaged-report credential -"],
    },
    {
      name: "give every group member the group's keys",
      spec: `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: staff\ngroup: { displayName: Staff }\nprofile: ft\nkeys: 2\n`,
      actual: { group: [ADA, BOB] },
      expect: [
        "provision key group-staff-1",
        "provision key group-staff-2",
        "provision key group-staff-1",
        "provision key group-staff-2",
      ],
    },
    {
      name: "let a person's own slot override a group slot of the same name",
      spec: `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: staff\ngroup: { objectId: ${GROUP} }\nprofile: ft\nkeys: 1\n${person("ada@corp.example", "  group-staff-1: { profile: yk, adopt: true }\n")}`,
      actual: { group: [ADA], ada: [method("own", YK)] },
      expect: ["adopt key group-staff-1"],
    },
    {
      name: "leave out group keys for a person who excludes them",
      spec: `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: staff\ngroup: { objectId: ${GROUP} }\nprofile: ft\nkeys: 1\n---\napiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: ada@corp.example\ngroupKeys: exclude\n`,
      actual: { group: [ADA, BOB] },
      expect: ["provision key group-staff-1"],
    },
    {
      name: "mark a key whose person the directory does not know",
      spec: person("nobody@corp.example", "  primary: { profile: yk }\n"),
      actual: {},
      expect: ["unresolved key primary"],
    },
  ];

  for (const c of cases) {
    it(`should ${c.name}`, () => {
      const p = one(specOf(c.spec, c.policy), state(c.actual), true);
      expect(brief(p.actions)).toEqual(c.expect);
      if (c.reason) expect(p.actions[0]?.reason).toMatch(c.reason);
    });
  }
});

describe("plan: safety and resolution", () => {
  it("should block a plan that revokes more than maxRevokeShare unless allowed", () => {
    const spec = specOf(
      person(
        "ada@corp.example",
        "  primary: { profile: yk, state: retired }\n  backup: { profile: yk, state: retired }\n",
      ),
    );
    const actual = state({
      ada: [method("m1", YK), method("m2", YK), method("m3", MSA)],
      tasks: [done(ADA, "primary", 1, "m1"), done(ADA, "backup", 1, "m2")],
    });
    const blocked = one(spec, actual);
    expect(blocked.blocked).toBe(true);
    expect(blocked.blockedReasons[0]).toMatch(
      /would revoke 2 of the 3 passkeys held by the people it read \(66.7%\).*maxRevokeShare 10%/,
    );
    expect(one(spec, actual, true).blocked).toBe(false);
  });

  it("should never block a single revocation (one lost key in a small team stays revocable)", () => {
    const spec = specOf(person("ada@corp.example", "  primary: { profile: yk, state: retired }\n"));
    const actual = state({ ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] });
    expect(one(spec, actual).blocked).toBe(false);
  });

  it("should let a first roll-out remove one withdrawn key: the share counts every passkey at stake", () => {
    const spec = specOf(
      person("ada@corp.example", "  primary: { profile: yk }\n") +
        person("bob@corp.example", "  primary: { profile: yk }\n"),
      `unmanaged: { action: remove, aaguids: [${OLD}] }\nmaxRevokeShare: 0.1\n`,
    );
    const actual = state({ ada: [method("old1", OLD)], bob: [method("old2", OLD), method("ms", MSA)] });
    const p = one(spec, actual);
    expect(p.summary.managedKeys).toBe(0);
    expect(p.summary.revocations).toBe(2);
    expect(p.blocked).toBe(true);
    const small = one(spec, state({ ada: [method("old1", OLD)], bob: [method("ms", MSA)] }));
    expect(small.summary.revocations).toBe(1);
    expect(small.blocked).toBe(false);
  });

  it("should hold revocations of removed assignments while people are unresolved (a rename in Entra)", () => {
    const spec = specOf(person("ada.old@corp.example", "  primary: { profile: yk }\n"));
    const actual = state({ ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] });
    const p = one(spec, actual, true);
    expect(brief(p.actions)).toEqual(["unresolved key primary", "revoke credential primary"]);
    expect(p.blocked).toBe(true);
    expect(p.blockedReasons.join()).toMatch(/directory does not know/);
  });

  it("should fail, not plan, when a group is missing from the actual state", () => {
    const spec = specOf(
      `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: x\ngroup: { displayName: Nope }\nprofile: yk\nkeys: 1\n`,
    );
    expect(() => one(spec, state({}))).toThrow(ResolutionError);
    expect(() => one(spec, state({}))).toThrow(/group 'Nope' \(assignment 'x'\) is missing/);
  });

  it("should fail when a group member is missing from the people list", () => {
    const spec = specOf(
      `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: x\ngroup: { objectId: ${GROUP} }\nprofile: yk\nkeys: 1\n`,
    );
    const ghost = "33333333-3333-4333-8333-333333333333";
    expect(() => one(spec, state({ group: [ghost] }))).toThrow(
      /member 3333.* missing from the actual state's people/,
    );
  });

  it("should fail when two spec entries resolve to the same person", () => {
    const spec = specOf(
      `${person("ada@corp.example", "  primary: { profile: yk }\n")}\n---\napiVersion: keyfleet.dev/v1\nkind: Person\nobjectId: ${ADA}\nkeys: 1\nprofile: yk\n`,
    );
    expect(() => one(spec, state({}))).toThrow(/are the same person in the directory/);
  });

  it("should plan the example organisation against its sample actual state", async () => {
    const spec = await readSpec(`${repoRoot}/specs`);
    const actual = parseActualState(
      JSON.parse(readFileSync(`${repoRoot}/tests/plan/fixtures/northwind-actual.json`, "utf8")),
    );
    const p = plan(spec, actual, { today: TODAY });
    const c = p.summary.counts;
    expect([c.provision, c.keep, c.wait, c.adopt, c.replace, c.revoke]).toEqual([24, 24, 1, 2, 1, 4]);
    expect([c["unmanaged-report"], c["unmanaged-remove"]]).toEqual([1, 1]);
    expect(p.summary.desiredKeys).toBe(54);
    expect(p.blocked).toBe(true);
    const adopt = p.actions.find((a) => a.kind === "adopt" && a.slot === "group-engineering-1");
    expect(adopt?.userPrincipalName).toBe("barbara.liskov@northwindforge.example");
  });
});

describe("actual state input", () => {
  it("should list every problem with its JSON path", () => {
    const bad = {
      apiVersion: "keyfleet.dev/v1",
      kind: "ActualState",
      people: [{ id: "nope", userPrincipalName: "a@b.example", fido2Methods: [{ id: "m" }], extra: 1 }],
      groups: [],
      tasks: [{ assignmentId: "x", generation: 0, state: "lost" }],
    };
    expect(() => parseActualState(bad, "state.json")).toThrow(
      /state\.json is not a valid ActualState:[\s\S]*\/people\/0: unknown field 'extra'[\s\S]*\/people\/0\/id: must be a GUID[\s\S]*\/tasks\/0\/generation/,
    );
  });
});

describe("plan: people the directory renamed, disabled or deleted, and quarantined work", () => {
  it("should note a person deleted from the directory, cancel their open work and revoke nothing", () => {
    const gone = "33333333-3333-4333-8333-333333333333";
    const actual = {
      ...state({}),
      tasks: [
        {
          assignmentId: `${gone}/primary`,
          generation: 1,
          state: "pending" as const,
          userPrincipalName: "cy@corp.example",
        },
      ],
      deletedPeople: [gone],
    };
    const p = one(specOf(adaPrimary), actual);
    expect(p.notices).toEqual([expect.objectContaining({ kind: "deleted", personId: gone })]);
    expect(p.actions.filter((a) => a.personId === gone)).toEqual([
      expect.objectContaining({ kind: "gone", cause: "deleted", cancelGenerations: [1] }),
    ]);
    expect(p.summary.revocations).toBe(0);
  });

  it("should block when the task store names someone the actual state does not cover", () => {
    const unread = "44444444-4444-4444-8444-444444444444";
    const actual = {
      ...state({}),
      tasks: [{ assignmentId: `${unread}/primary`, generation: 1, state: "done" as const, methodId: "m9" }],
    };
    const p = one(specOf(adaPrimary), actual);
    expect(p.blocked).toBe(true);
    expect(p.blockedReasons.join()).toMatch(/does not cover 1 person/);
  });

  it("should note a disabled person and keep their key", () => {
    const actual = state({ ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] });
    const disabled = {
      ...actual,
      people: actual.people.map((p) => (p.id === ADA ? { ...p, accountEnabled: false } : p)),
    };
    const p = one(specOf(adaPrimary), disabled);
    expect(p.notices).toEqual([expect.objectContaining({ kind: "disabled", personId: ADA })]);
    expect(brief(p.actions)).toEqual(["keep key primary"]);
  });

  it("should hold a key whose task failed verification: neither kept, counted, revoked nor unmanaged", () => {
    const actual = state({
      ada: [method("m1", YK)],
      tasks: [
        {
          assignmentId: `${ADA}/primary`,
          generation: 1,
          state: "done",
          quarantined: "the result is not signed by a trusted station key",
          quarantinedMethodId: "m1",
        },
      ],
    });
    const p = one(specOf(adaPrimary), actual);
    expect(brief(p.actions)).toEqual(["unresolved key primary"]);
    expect(p.actions[0]?.reason).toMatch(/quarantined: the result is not signed/);
    expect(p.summary).toMatchObject({ managedKeys: 0, revocations: 0 });
    // Removed from git, a quarantined result is still not revoked.
    expect(
      one(specOf(person("bob@corp.example", "  primary: { profile: yk }\n")), actual).summary.revocations,
    ).toBe(0);
  });
});
