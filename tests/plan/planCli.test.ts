import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const fixture = "tests/plan/fixtures/northwind-actual.json";

describe("keyfleet plan", () => {
  const dir = mkdtempSync(join(tmpdir(), "kf-plan-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should print the actions and exit 2 when the plan revokes too much", async () => {
    const r = await runCli(["plan", "--actual", fixture, "--today", "2025-03-01"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^ACTION +PERSON +SLOT +REASON$/m);
    expect(r.stdout).toMatch(
      /^adopt +barbara\.liskov@northwindforge\.example +group-engineering-1 +takes over/m,
    );
    expect(r.stdout).toMatch(
      /^revoke +grace\.hopper@northwindforge\.example +backup +key reported lost on 2025-01-15/m,
    );
    expect(r.stdout).not.toMatch(/^keep /m);
    expect(r.stdout).toContain("BLOCKED: would revoke 5 of the 33 passkeys held by the people it read");
  });

  it("should exit 1 (work to do) when mass revocation is allowed, and list kept keys with --all", async () => {
    const r = await runCli([
      "plan",
      "--actual",
      fixture,
      "--today",
      "2025-03-01",
      "--allow-mass-revoke",
      "--all",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^keep +ada\.lovelace@northwindforge\.example +primary/m);
    expect(r.stdout).toContain(
      "54 desired keys: 24 to provision, 2 to adopt, 1 to replace, 5 credential(s) to revoke",
    );
  });

  it("should print the plan as JSON with --json", async () => {
    const r = await runCli(["plan", "--actual", fixture, "--today", "2025-03-01", "--json"]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.today).toBe("2025-03-01");
    expect(out.blocked).toBe(true);
    expect(out.summary.counts.provision).toBe(24);
    expect(out.actions.find((a: { kind: string }) => a.kind === "replace")).toMatchObject({
      userPrincipalName: "donald.knuth@northwindforge.example",
      slot: "primary",
      retiringMethodId: "m-donald-primary-g1",
    });
  });

  it("should exit 0 when there is nothing to do", async () => {
    writeFileSync(
      join(dir, "spec.yaml"),
      "apiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: p\nmodels: [K]\n---\napiVersion: keyfleet.dev/v1\nkind: Person\nobjectId: 11111111-1111-4111-8111-111111111111\nkeys: 1\nprofile: p\n",
    );
    const state = {
      apiVersion: "keyfleet.dev/v1",
      kind: "ActualState",
      people: [
        {
          id: "11111111-1111-4111-8111-111111111111",
          userPrincipalName: "a@b.example",
          fido2Methods: [
            {
              id: "m",
              displayName: "k",
              aaGuid: "00000000-0000-0000-0000-000000000000",
              model: "K",
              createdDateTime: "2025-01-01T00:00:00Z",
            },
          ],
        },
      ],
      groups: [],
      tasks: [
        {
          assignmentId: "11111111-1111-4111-8111-111111111111/key-1",
          generation: 1,
          state: "done",
          methodId: "m",
        },
      ],
    };
    writeFileSync(join(dir, "state.json"), JSON.stringify(state));
    const r = await runCli(["plan", dir, "--actual", join(dir, "state.json")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Nothing to do.");
  });

  it("should exit 2 with clear errors for a bad actual state", async () => {
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({ apiVersion: "keyfleet.dev/v1", kind: "ActualState", people: [{}] }),
    );
    const r = await runCli(["plan", "--actual", join(dir, "bad.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a valid ActualState");
    expect(r.stderr).toContain("/people/0: must have required property 'id'");
    const missing = await runCli(["plan", "--actual", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
    writeFileSync(join(dir, "junk.json"), "{not json");
    const junk = await runCli(["plan", "--actual", join(dir, "junk.json")]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain("is not JSON");
  });

  it("should refuse an invalid spec with exit 2", async () => {
    const bad = mkdtempSync(join(tmpdir(), "kf-plan-bad-"));
    writeFileSync(join(bad, "x.yaml"), "apiVersion: keyfleet.dev/v1\nkind: Person\n");
    const r = await runCli(["plan", bad, "--actual", fixture]);
    rmSync(bad, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("x.yaml:1:1");
    expect(r.stderr).toContain("run keyfleet validate");
  });
});
