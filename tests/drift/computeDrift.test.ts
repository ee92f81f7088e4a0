// computeDrift as a pure function: each category from the smallest actual state that shows it, coverage by
// group and profile, ranking, and "pending within its agreed time is not drift".
import { describe, expect, it } from "vitest";
import { computeDrift, type DriftReport, type FindingKind } from "../../core/drift/index.js";
import type { ActualState, Fido2Method } from "../../core/plan/index.js";
import { ADA, BOB, done, FT, GROUP, method, person, specOf, state, TODAY, YK } from "../plan/build.js";

const NOW = new Date(`${TODAY}T12:00:00Z`);
const adaPrimary = person("ada@corp.example", "  primary: { profile: yk }\n");
const staff = `---
apiVersion: keyfleet.dev/v1
kind: GroupAssignment
name: staff
group: { objectId: ${GROUP} }
profile: ft
keys: 1
`;
const drift = (
  spec: string,
  actual: ActualState,
  timings: Parameters<typeof computeDrift>[2]["timings"] = [],
) => computeDrift(specOf(spec), actual, { today: TODAY, now: NOW, timings });
const kinds = (r: DriftReport) => r.findings.map((f) => f.kind);
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();
const timing = (assignmentId: string, generation: number, age: number, failureReason?: string) => ({
  assignmentId,
  generation,
  createdAt: daysAgo(age),
  updatedAt: daysAgo(age),
  failureReason,
});
const withPasskey = (m: Fido2Method, extra: Partial<Fido2Method>): Fido2Method => ({ ...m, ...extra });

describe("computeDrift: one finding per situation", () => {
  it("should report nothing and full coverage when the key is held, attested and device-bound", () => {
    const m = withPasskey(method("m1", YK), { passkeyType: "deviceBound", attestationLevel: "attested" });
    const r = drift(adaPrimary, state({ ada: [m], tasks: [done(ADA, "primary", 1, "m1")] }));
    expect(r.findings).toEqual([]);
    expect(r.drift).toBe(false);
    expect(r.coverage).toMatchObject({ held: 1, desired: 1, share: 1 });
  });

  it("should report a missing key when there is no credential and no open task", () => {
    const r = drift(adaPrimary, state({}));
    expect(kinds(r)).toEqual(["missing"]);
    expect(r.findings[0]).toMatchObject({ severity: "high", userPrincipalName: "ada@corp.example" });
    expect(r.coverage).toMatchObject({ held: 0, desired: 1, share: 0 });
    expect(r.drift).toBe(true);
  });

  it("should report a key deleted behind everyone's back as missing", () => {
    const r = drift(adaPrimary, state({ tasks: [done(ADA, "primary", 1, "m1")] }));
    expect(kinds(r)).toEqual(["missing"]);
    expect(r.findings[0]?.message).toMatch(/no longer in Entra/);
  });

  it("should report pending work within its agreed time without calling it drift", () => {
    const tasks = [{ assignmentId: `${ADA}/primary`, generation: 1, state: "pending" as const }];
    const r = drift(adaPrimary, state({ tasks }), [timing(`${ADA}/primary`, 1, 2)]);
    expect(kinds(r)).toEqual(["pending"]);
    expect(r.findings[0]).toMatchObject({ drift: false, ageDays: 2, severity: "info" });
    expect(r.drift).toBe(false);
  });

  it("should call a task open past the threshold stale drift, with its age", () => {
    const tasks = [{ assignmentId: `${ADA}/primary`, generation: 1, state: "claimed" as const }];
    const r = drift(adaPrimary, state({ tasks }), [timing(`${ADA}/primary`, 1, 9)]);
    expect(kinds(r)).toEqual(["stale-pending"]);
    expect(r.findings[0]?.message).toMatch(/9 days ago, past the agreed 7 days/);
    expect(r.drift).toBe(true);
  });

  it("should call a pending task raised under settings git has since changed stale drift", () => {
    const tasks = [
      { assignmentId: `${ADA}/primary`, generation: 1, state: "pending" as const, profileKey: '["yk-old"]' },
    ];
    const r = drift(adaPrimary, state({ tasks }), [timing(`${ADA}/primary`, 1, 1)]);
    expect(kinds(r)).toEqual(["stale-pending"]);
    expect(r.findings[0]).toMatchObject({ drift: true, ageDays: 1 });
    expect(r.findings[0]?.message).toMatch(/older settings; superseded/);
  });

  it("should report a failed task with the station's reason", () => {
    const tasks = [{ assignmentId: `${ADA}/primary`, generation: 1, state: "failed" as const }];
    const r = drift(adaPrimary, state({ tasks }), [timing(`${ADA}/primary`, 1, 1, "PIN_BLOCKED on the key")]);
    expect(kinds(r)).toEqual(["failed"]);
    expect(r.findings[0]?.message).toBe("task g1 failed: PIN_BLOCKED on the key");
  });

  it("should report an unmanaged credential", () => {
    const r = drift(
      adaPrimary,
      state({ ada: [method("m1", YK), method("x9", FT)], tasks: [done(ADA, "primary", 1, "m1")] }),
    );
    expect(kinds(r)).toEqual(["unmanaged"]);
    expect(r.findings[0]?.methodIds).toEqual(["x9"]);
  });

  it("should report a held credential whose AAGUID the profile does not allow", () => {
    const r = drift(adaPrimary, state({ ada: [method("m1", FT)], tasks: [done(ADA, "primary", 1, "m1")] }));
    expect(kinds(r)).toEqual(["aaguid-not-allowed"]);
    expect(r.coverage.held).toBe(0);
  });

  it("should report unattested and synced credentials a slot holds", () => {
    const m = withPasskey(method("m1", YK), { passkeyType: "synced", attestationLevel: "notAttested" });
    const r = drift(adaPrimary, state({ ada: [m], tasks: [done(ADA, "primary", 1, "m1")] }));
    expect(kinds(r).sort()).toEqual(["synced", "unattested"]);
    expect(r.findings.map((f) => f.severity)).toEqual(["high", "medium"]);
  });

  it("should report a replacement's predecessor and a credential two slots claim as duplicates", () => {
    const two = person("ada@corp.example", "  primary: { profile: yk }\n  backup: { profile: yk }\n");
    const r = drift(
      two,
      state({
        ada: [method("m1", YK), method("m2", YK)],
        tasks: [done(ADA, "primary", 1, "m1"), done(ADA, "primary", 2, "m2"), done(ADA, "backup", 1, "m2")],
      }),
    );
    expect(kinds(r)).toEqual(["duplicate", "duplicate"]);
    expect(r.findings.map((f) => f.message).join("\n")).toMatch(/recorded for 2 slots/);
  });

  it("should report credentials of an assignment no longer in the specs as an orphan", () => {
    const r = drift(adaPrimary, state({ bob: [method("b1", YK)], tasks: [done(BOB, "primary", 1, "b1")] }));
    expect(kinds(r)).toEqual(["missing", "orphan"]);
    expect(r.findings.find((f) => f.kind === "orphan")).toMatchObject({
      userPrincipalName: "bob@corp.example",
      methodIds: ["b1"],
    });
  });

  it("should report tasks of a person the reader did not bring as an orphan", () => {
    const other = "33333333-3333-4333-8333-333333333333";
    const tasks = [{ assignmentId: `${other}/primary`, generation: 1, state: "pending" as const }];
    const r = drift(
      adaPrimary,
      state({ ada: [method("m1", YK)], tasks: [...tasks, done(ADA, "primary", 1, "m1")] }),
    );
    expect(kinds(r)).toEqual(["orphan"]);
  });

  it("should report a disabled account that still holds keys", () => {
    const actual = state({ ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] });
    const people = actual.people.map((p) => (p.id === ADA ? { ...p, accountEnabled: false } : p));
    const r = drift(adaPrimary, { ...actual, people });
    expect(kinds(r)).toEqual(["disabled"]);
    expect(r.findings[0]?.message).toMatch(/1 credential\(s\) Keyfleet registered, 0 open/);
  });

  it("should report tasks of a person deleted from the directory", () => {
    const gone = "44444444-4444-4444-8444-444444444444";
    const actual = {
      ...state({
        ada: [method("m1", YK)],
        tasks: [done(ADA, "primary", 1, "m1"), done(gone, "primary", 1, "g1")],
      }),
      deletedPeople: [gone],
    };
    const r = drift(adaPrimary, actual);
    expect(kinds(r)).toEqual(["deleted"]);
    expect(r.findings[0]?.personId).toBe(gone);
  });

  it("should report a spec person the directory does not know, and one renamed since", () => {
    const r = drift(person("carol@corp.example", "  primary: { profile: yk }\n"), state({}));
    expect(kinds(r)).toEqual(["stale-upn"]);
    const renamed = drift(
      person("ada.old@corp.example", "  primary: { profile: yk }\n", `objectId: ${ADA}\n`),
      state({ ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] }),
    );
    expect(kinds(renamed)).toEqual(["stale-upn"]);
    expect(renamed.findings[0]?.message).toMatch(/'ada\.old@corp\.example' is now 'ada@corp\.example'/);
  });

  it("should report a key due for revocation and an adoptable credential", () => {
    const leaver = person("ada@corp.example", "  primary: { profile: yk }\n", "leaving: 2025-02-01\n");
    const r = drift(leaver, state({ ada: [method("m1", YK)], tasks: [done(ADA, "primary", 1, "m1")] }));
    expect(kinds(r)).toEqual(["revoke-due"]);
    const adopt = person("ada@corp.example", "  primary: { profile: yk, adopt: {} }\n");
    const a = drift(adopt, state({ ada: [method("m1", YK)] }));
    expect(kinds(a)).toEqual(["adoptable"]);
    expect(a.coverage.held).toBe(1);
  });
});

describe("computeDrift: coverage and ranking", () => {
  it("should give coverage by group and profile and rank findings by severity", () => {
    const spec = `${adaPrimary}${staff}`;
    const actual = state({
      ada: [method("m1", YK), method("u1", FT)],
      tasks: [
        done(ADA, "primary", 1, "m1"),
        { assignmentId: `${BOB}/group-staff-1`, generation: 1, state: "pending" },
      ],
      group: [ADA, BOB],
    });
    const r = drift(spec, actual, [timing(`${BOB}/group-staff-1`, 1, 30)]);
    expect(r.coverage.byGroup).toEqual([
      { name: "(individual)", held: 1, desired: 1, share: 1 },
      { name: "staff", held: 0, desired: 2, share: 0 },
    ]);
    expect(r.coverage.byProfile).toEqual([
      { name: "ft", held: 0, desired: 2, share: 0 },
      { name: "yk", held: 1, desired: 1, share: 1 },
    ]);
    const severities = r.findings.map((f) => f.severity);
    expect(severities).toEqual([...severities].sort((x, y) => order(x) - order(y)));
    expect(kinds(r)).toEqual(["missing", "unmanaged", "stale-pending"]);
    expect(r.groups.find((g) => g.group === "staff")?.counts).toMatchObject({
      missing: 1,
      "stale-pending": 1,
    });
    expect(r.people[0]).toMatchObject({ userPrincipalName: "ada@corp.example", worst: "high" });
    const counted = Object.entries(r.counts).filter(([, n]) => n > 0) as [FindingKind, number][];
    expect(Object.fromEntries(counted)).toEqual({ missing: 1, "stale-pending": 1, unmanaged: 1 });
  });
});

function order(s: string): number {
  return ["high", "medium", "low", "info"].indexOf(s);
}
