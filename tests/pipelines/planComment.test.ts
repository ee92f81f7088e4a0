// The pull-request comment (scripts/plan-comment.ts) rendered from what the real `keyfleet plan --json`
// prints for the example organisation: whose keys change, revocations first, a blocked plan said plainly,
// and spec text (pull-request content) kept inert in Markdown.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMENT_LIMIT, cell, commentMarker, renderPlanComment } from "../../scripts/plan-comment.js";
import { repoRoot, runCli } from "../support/cli.js";

const actual = join(repoRoot, "tests/plan/fixtures/northwind-actual.json");
let blocked: { code: number; stdout: string };
let allowed: { code: number; stdout: string };

beforeAll(async () => {
  const args = ["plan", "specs", "--actual", actual, "--json", "--today", "2026-12-01"];
  blocked = await runCli(args);
  allowed = await runCli([...args, "--allow-mass-revoke"]);
});

describe("the plan comment", () => {
  it("should list whose keys a merge provisions, replaces and revokes, revocations first", () => {
    expect(allowed.code).toBe(1); // work to do
    const md = renderPlanComment({ stack: "prod", planJson: allowed.stdout, planExit: allowed.code });
    expect(md.split("\n")[0]).toBe(commentMarker("prod"));
    expect(md).toContain("**23** to provision");
    expect(md).toContain("**5** to revoke");
    const rows = md
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| action") && !l.startsWith("| ---"));
    const firstNonRevoke = rows.findIndex((r) => !/^\| \*\*(revoke|remove unmanaged)\*\*/.test(r));
    expect(firstNonRevoke).toBe(5);
    expect(rows[0]).toContain("donald.knuth&#64;northwindforge.example");
    expect(md).toContain("| replace | donald.knuth&#64;northwindforge.example | primary |");
    // Kept keys are not news in a pull request.
    expect(rows.some((r) => r.startsWith("| keep"))).toBe(false);
    expect(md).not.toContain("blocked");
  });

  it("should say a blocked plan is blocked, with the reason, and still show it", () => {
    expect(blocked.code).toBe(2);
    const md = renderPlanComment({ stack: "prod", planJson: blocked.stdout, planExit: blocked.code });
    expect(md).toContain("**This plan is blocked**");
    expect(md).toMatch(/maxRevokeShare 10%/);
    expect(md).toContain("| **revoke** | grace.hopper&#64;northwindforge.example | backup |");
  });

  it("should report a failed plan with its errors and no table", async () => {
    const bad = await runCli(["plan", "tests/does-not-exist", "--actual", actual, "--json"]);
    expect(bad.code).toBe(2);
    const md = renderPlanComment({
      stack: "prod",
      planJson: bad.stdout,
      planExit: 2,
      planErrors: bad.stderr,
    });
    expect(md).toContain("`keyfleet plan` failed (exit 2)");
    expect(md).not.toContain("| action |");
  });

  it("should keep hostile spec text inert: no HTML, links, mentions, table breaks or fence escapes", () => {
    const plan = JSON.parse(allowed.stdout) as { actions: { userPrincipalName?: string; reason: string }[] };
    const target = plan.actions.find((a) => a.userPrincipalName);
    if (!target) throw new Error("the example plan has no person");
    target.userPrincipalName = "eve|<img src=x onerror=alert(1)>@evil-org/admins";
    target.reason = "[click](https://evil.example) ![x](https://evil.example/p.png) \u001b[2K</details>";
    const preview = "```\n</details>\n<script>alert(1)</script>\n```";
    const md = renderPlanComment({
      stack: "prod",
      planJson: JSON.stringify(plan),
      planExit: 1,
      preview,
      previewExit: 0,
    });
    const table = md.slice(0, md.indexOf("<details>"));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is the point
    expect(table).not.toMatch(/<img|<\/details>|(?<!\\)\]\(|https:\/\/|@evil|\u001b/);
    expect(table).toContain("eve\\|&lt;img src=x onerror=alert(1)&gt;&#64;evil-org/admins");
    // The preview sits in a fence longer than any backtick run inside it.
    expect(md).toContain("````text\n```\n</details>");
    expect(cell("a".repeat(500)).length).toBe(200);
  });

  it("should stay under GitHub's comment limit", () => {
    const huge = renderPlanComment({
      stack: "prod",
      planJson: allowed.stdout,
      planExit: 1,
      preview: "x".repeat(200_000),
      previewExit: 0,
    });
    expect(huge.length).toBeLessThanOrEqual(COMMENT_LIMIT + 100);
    expect(huge.length).toBeLessThan(65_536);
  });
});
