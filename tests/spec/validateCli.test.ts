import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

describe("keyfleet validate", () => {
  const dir = mkdtempSync(join(tmpdir(), "kf-validate-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should summarise the example organisation and exit 0", async () => {
    const r = await runCli(["validate", "specs"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "8 files: 30 people, 36 keys named (2 lost, 1 retired slots), 2 profiles, 10 inventory keys",
    );
    expect(r.stdout).toContain("3 group assignments");
  });

  it("should print a JSON summary with --json", async () => {
    const r = await runCli(["validate", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      ok: true,
      files: 8,
      summary: { people: 30, groups: 3, profiles: 2, inventory: 10 },
    });
  });

  it("should print every problem with file:line:col and an excerpt, and exit 2", async () => {
    writeFileSync(
      join(dir, "a.yaml"),
      "# yaml-language-server: $schema=keyfleet.schema.json\napiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: not-a-upn\nkeys: 1\nprofile: p\n---\n" +
        "apiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: ok@corp.example\nslots:\n  primary: { profile: missing }\n",
    );
    writeFileSync(join(dir, "b.yaml"), "apiVersion: keyfleet.dev/v1\nkind: Nonsense\n");
    const r = await runCli(["validate", dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      `${dir}/a.yaml:4:20: userPrincipalName must be a userPrincipalName like name@domain.example`,
    );
    expect(r.stdout).toContain("    userPrincipalName: not-a-upn\n                       ^");
    expect(r.stdout).toContain(`${dir}/a.yaml:12:23: unknown profile 'missing' (profiles: none defined)`);
    expect(r.stdout).toContain(`${dir}/b.yaml:2:7: unknown kind 'Nonsense'`);
    expect(r.stdout).toContain("3 problems in 2 files");
    expect(r.stderr).toContain(`warning: ${dir}/b.yaml:1:1: first line is not`);
  });

  it("should list problems as JSON with --json and exit 2", async () => {
    const r = await runCli(["validate", dir, "--json"]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.issues).toContainEqual({
      file: `${dir}/b.yaml`,
      line: 2,
      col: 7,
      message: expect.stringContaining("unknown kind"),
    });
  });

  it("should exit 2 on a missing folder", async () => {
    const r = await runCli(["validate", join(dir, "nope")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a folder of spec files");
  });
});
