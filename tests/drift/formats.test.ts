// The renderings' contracts: Markdown fits a pull-request comment however large the report, and says what
// it left out; the table and every format lead with the coverage figure.
import { describe, expect, it } from "vitest";
import {
  computeDrift,
  formatDriftMarkdown,
  formatDriftTable,
  formatShare,
  renderDriftHtml,
} from "../../core/drift/index.js";
import type { ActualState } from "../../core/plan/index.js";
import { GROUP, specOf, TODAY } from "../plan/build.js";

const staff = `apiVersion: keyfleet.dev/v1
kind: GroupAssignment
name: staff
group: { objectId: ${GROUP} }
profile: yk
keys: 2
`;

function tenant(n: number): ActualState {
  const id = (i: number) => `${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
  const people = Array.from({ length: n }, (_, i) => ({
    id: id(i),
    userPrincipalName: `person.${i}@corp.example`,
    fido2Methods: [],
  }));
  return {
    apiVersion: "keyfleet.dev/v1",
    kind: "ActualState",
    people,
    groups: [{ id: GROUP, displayName: "Staff", members: people.map((p) => p.id) }],
    tasks: [],
  };
}

describe("drift renderings", () => {
  it("should keep Markdown within the comment budget and summarise what it left out", () => {
    const report = computeDrift(specOf(staff), tenant(3_000), { today: TODAY });
    expect(report.findings).toHaveLength(6_000);
    const md = formatDriftMarkdown(report);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md).toMatch(/^### Keyfleet drift\n\n\*\*Coverage: 0\/6000 keys held \(0%\)\*\*/);
    const shown = md.split("\n").filter((l) => l.startsWith("| high | missing |")).length;
    expect(shown).toBeGreaterThan(100);
    expect(md).toContain(`_…and ${6_000 - shown} more finding(s) not shown (missing ${6_000 - shown}).`);
    const small = formatDriftMarkdown(report, { maxChars: 5_000 });
    expect(small.length).toBeLessThanOrEqual(5_000);
  });

  it("should escape table-breaking characters in Markdown cells", () => {
    const report = computeDrift(specOf(staff), tenant(1), { today: TODAY });
    const tweaked = {
      ...report,
      findings: report.findings.map((f) => ({ ...f, message: "a | b\nc <b>d</b>" })),
    };
    expect(formatDriftMarkdown(tweaked)).toContain("| a \\| b c &lt;b>d&lt;/b> |");
  });

  it("should lead the table with coverage and cap the HTML's rows", () => {
    const report = computeDrift(specOf(staff), tenant(30), { today: TODAY });
    expect(formatDriftTable(report).split("\n").slice(0, 3)).toEqual([
      "Coverage: 0/60 keys held (0%)",
      "  by group:   staff 0/60 (0%)",
      "  by profile: yk 0/60 (0%)",
    ]);
    const html = renderDriftHtml(report, { maxFindings: 10 });
    expect(html.match(/<tr><td class="sev/g)).toHaveLength(10);
    expect(html).toContain("…and 50 more finding(s)");
  });

  it("should never round a shortfall up to 100%", () => {
    expect(formatShare(9_999 / 10_000)).toBe("99.9%");
    expect(formatShare(1)).toBe("100%");
    expect(formatShare(2 / 3)).toBe("66.6%");
  });
});
