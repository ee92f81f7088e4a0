// The GitHub Actions definitions (.github/workflows/keyfleet-*.yml) pass actionlint, built from the Go module
// proxy by scripts/install-actionlint.sh, with shellcheck checking every `run:` script; and they keep the
// promises docs/pipelines.md makes: actions pinned by commit, a read-only identity wherever pull-request code
// runs, the write identity only behind the protected environment, OIDC and no stored secret.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub's ${{ }} expressions, not templates
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/tools.js";

const install = "run 'bash scripts/install-actionlint.sh' (or 'bash scripts/setup.sh')";
const workflowsDir = join(repoRoot, ".github/workflows");
const workflows = readdirSync(workflowsDir).filter((f) => /^keyfleet-.*\.yml$/.test(f));

interface Finding {
  message: string;
  filepath: string;
  line: number;
  kind: string;
}

/** actionlint over the keyfleet workflows under a root's .github/workflows, as JSON findings. */
function actionlint(root: string): { code: number; findings: Finding[] } {
  const bin = requireTool("actionlint", install);
  requireTool("shellcheck", install);
  const files = workflows.map((f) => join(".github/workflows", f));
  const r = spawnSync(bin, ["-color=false", "-format", "{{json .}}", ...files], {
    cwd: root,
    encoding: "utf8",
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint failed: ${r.stderr}`);
  return { code: r.status, findings: JSON.parse(r.stdout || "[]") as Finding[] };
}

type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<
    string,
    {
      environment?: string;
      if?: string;
      env?: Record<string, string>;
      steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
    }
  >;
};
const load = (file: string) => parse(readFileSync(join(workflowsDir, file), "utf8")) as Workflow;
const text = (file: string) => readFileSync(join(workflowsDir, file), "utf8");

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe("GitHub Actions workflows", () => {
  it("should have the three jobs: preview, deploy and drift", () => {
    expect(workflows.sort()).toEqual(["keyfleet-deploy.yml", "keyfleet-drift.yml", "keyfleet-preview.yml"]);
  });

  it("should pass actionlint v1.7.12 with shellcheck", () => {
    const version = execFileSync(requireTool("actionlint", install), ["-version"], { encoding: "utf8" });
    expect(version.split("\n")[0]).toBe("v1.7.12");
    const { code, findings } = actionlint(repoRoot);
    expect(findings.map((f) => `${f.filepath}:${f.line} ${f.kind}: ${f.message}`)).toEqual([]);
    expect(code).toBe(0);
  });

  it("should have actionlint catch a broken copy (the linter really reads these files)", () => {
    const root = mkdtempSync(join(tmpdir(), "keyfleet-actionlint-"));
    scratch.push(root);
    mkdirSync(join(root, ".github"), { recursive: true });
    cpSync(workflowsDir, join(root, ".github/workflows"), { recursive: true });
    const file = join(root, ".github/workflows/keyfleet-drift.yml");
    writeFileSync(
      file,
      readFileSync(file, "utf8")
        .replace("${{ github.sha }}", "${{ github.shaa }}")
        .replace("run: bash pipelines/keyfleet-ci.sh drift", "run: cd $KEYFLEET_OUT && ls `pwd`"),
    );
    const { code, findings } = actionlint(root);
    expect(code).toBe(1);
    expect(findings.some((f) => f.kind === "expression" && f.message.includes('"shaa"'))).toBe(true);
    expect(findings.some((f) => f.kind === "shellcheck")).toBe(true);
  });

  it("should pin every action by a full commit SHA, with the release in a comment", () => {
    for (const f of workflows) {
      const uses = [...text(f).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, ref, rest] of uses) {
        expect(ref, `${f}: ${ref}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(rest, `${f}: ${ref}`).toMatch(/#\s*v\d+(\.\d+)*/);
      }
    }
  });

  it("should sign in by OIDC with no stored secret, and run bash with pipefail", () => {
    for (const f of workflows) {
      const w = load(f);
      expect(w.permissions?.["id-token"], f).toBe("write");
      expect(text(f), f).not.toMatch(/\$\{\{\s*secrets\./);
      expect(text(f), f).not.toMatch(/client-secret|AZURE_CLIENT_SECRET|PULUMI_CONFIG_PASSPHRASE/);
      // GitHub's implicit shell is `bash -e` without pipefail; an explicit `bash` adds -o pipefail.
      expect(w.defaults?.run?.shell, f).toBe("bash");
      expect(text(f), f).not.toMatch(/\|\|\s*true|continue-on-error/);
    }
  });

  it("should give pull-request code only the read-only identity, and the write identity only to the protected deploy", () => {
    const preview = load("keyfleet-preview.yml");
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    const pj = preview.jobs.preview;
    expect(pj?.env?.AZURE_CLIENT_ID).toBe("${{ vars.KEYFLEET_PREVIEW_CLIENT_ID }}");
    expect(pj?.environment).toBeUndefined();
    expect(pj?.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(text("keyfleet-preview.yml")).not.toContain("KEYFLEET_DEPLOY_CLIENT_ID");
    expect(text("keyfleet-preview.yml")).not.toContain("pull_request_target:");

    const deploy = load("keyfleet-deploy.yml");
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    const dj = deploy.jobs.deploy;
    expect(dj?.environment).toBe("keyfleet-production");
    expect(dj?.env?.AZURE_CLIENT_ID).toBe("${{ vars.KEYFLEET_DEPLOY_CLIENT_ID }}");
    const login = dj?.steps.find((s) => s.uses?.startsWith("azure/login@"));
    expect(login?.with).toMatchObject({ "client-id": "${{ vars.KEYFLEET_DEPLOY_CLIENT_ID }}" });
    expect(login?.with).not.toHaveProperty("client-secret");
    expect(login?.with).not.toHaveProperty("creds");

    const drift = load("keyfleet-drift.yml");
    expect(Object.keys(drift.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(drift.jobs.drift?.env?.AZURE_CLIENT_ID).toBe("${{ vars.KEYFLEET_PREVIEW_CLIENT_ID }}");
  });

  it("should carry the commit, pull request and run into the records, and publish the head after up", () => {
    const pj = load("keyfleet-preview.yml").jobs.preview?.env ?? {};
    expect(pj.KEYFLEET_GIT_COMMIT).toBe("${{ github.event.pull_request.head.sha }}");
    expect(pj.KEYFLEET_PULL_REQUEST).toBe("${{ github.event.pull_request.number }}");
    expect(pj.KEYFLEET_PIPELINE_RUN).toContain("${{ github.run_id }}");
    const dj = load("keyfleet-deploy.yml").jobs.deploy;
    expect(dj?.env?.KEYFLEET_GIT_COMMIT).toBe("${{ github.sha }}");
    expect(dj?.env?.KEYFLEET_PIPELINE_RUN).toContain("${{ github.run_id }}");
    const steps = dj?.steps ?? [];
    const up = steps.findIndex((s) => s.run === "bash pipelines/keyfleet-ci.sh deploy");
    const publish = steps.findIndex((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(up).toBeGreaterThan(0);
    expect(publish).toBeGreaterThan(up);
    expect(String(steps[publish]?.with?.path)).toContain("records-head.json");
  });
});
