import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

// `keyfleet validate` on input that used to abort the run or rewrite the terminal: alias errors are
// ordinary problems (text and --json), and no raw control character reaches the screen.
describe("keyfleet validate on hostile spec files", () => {
  const dir = mkdtempSync(join(tmpdir(), "kf-validate-strict-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const H = "# yaml-language-server: $schema=keyfleet.schema.json\napiVersion: keyfleet.dev/v1\n";
  writeFileSync(
    join(dir, "a.yaml"),
    `${H}kind: Person\nuserPrincipalName: ada@corp.example\nkeys: *two\nprofile: yk\n`,
  );
  writeFileSync(
    join(dir, "b.yaml"),
    `${H}kind: KeyProfile\nname: yk\nmodels: [X]\n---\n${H}kind: Person\nuserPrincipalName: bob\u001b[2K@corp.example\nkeys: 1\nprofile: yk\n`,
  );

  it("should report alias and control-character problems with file:line:col and exit 2", async () => {
    const r = await runCli(["validate", dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${dir}/a.yaml:5:7: alias *two has no anchor &two before it in this document`);
    expect(r.stdout).toContain(`${dir}/b.yaml:10:23: an escape character (U+001B, a terminal control code)`);
    expect(r.stdout).toContain(
      "    userPrincipalName: bob\\x1b[2K@corp.example\n                          ^",
    );
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).toContain("2 problems in 2 files");
  });

  it("should list them in --json too", async () => {
    const r = await runCli(["validate", dir, "--json"]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.issues).toContainEqual({
      file: `${dir}/a.yaml`,
      line: 5,
      col: 7,
      message: expect.stringContaining("alias *two has no anchor"),
    });
    expect(r.stdout).not.toContain("\u001b");
  });
});
