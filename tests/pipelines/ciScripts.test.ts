// The shell the pipelines run: pipelines/federated-token.sh writes (and keeps rewriting) the CI's OIDC token
// for workload identity federation, from loopback stand-ins of GitHub's and Azure DevOps' token endpoints;
// pipelines/keyfleet-ci.sh passes the real keyfleet drift's exit codes through unswallowed, run exactly as
// each CI runs the step (GitHub: `bash --noprofile --norc -eo pipefail`; AzureCLI@2: the inline script).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../support/cli.js";
import { type LoopbackApi, startLoopbackApi } from "./loopbackApi.js";

const scratch = mkdtempSync(join(tmpdir(), "keyfleet-ci-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let api: LoopbackApi | undefined;
const running: ChildProcess[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill("SIGTERM");
  await api?.close();
  api = undefined;
});

/** A CI OIDC token: three base64url parts, as the script checks. */
const jwt = (n: number) => `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJl${n}`;
const requestToken = "runtime-request-token-never-printed";

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("pipelines/federated-token.sh", () => {
  it("should write GitHub's OIDC token for Entra's audience into a 0600 file, printing neither token", async () => {
    api = await startLoopbackApi((s) =>
      s.url.startsWith("/_apis/token?api-version=2.0&audience=")
        ? { json: { value: jwt(1) } }
        : { status: 404 },
    );
    const file = join(scratch, "gh-token");
    const r = await run("bash", ["pipelines/federated-token.sh", file], {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${api.base}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(jwt(1));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(decodeURIComponent(api.seen[0]?.url ?? "")).toContain("audience=api://AzureADTokenExchange");
    expect(api.seen[0]?.authorization).toBe(`Bearer ${requestToken}`);
    expect(r.stdout + r.stderr).not.toContain(jwt(1));
    expect(r.stdout + r.stderr).not.toContain(requestToken);
  });

  it("should ask Azure DevOps for the service connection's token and keep rewriting the file", async () => {
    let n = 0;
    api = await startLoopbackApi((s) =>
      s.method === "POST" &&
      s.url ===
        "/acme/proj/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken?api-version=7.1-preview.1&serviceConnectionId=sc-1"
        ? { json: { oidcToken: jwt(++n) } }
        : { status: 404 },
    );
    const file = join(scratch, "ado-token");
    const child = spawn("bash", ["pipelines/federated-token.sh", file, "--every", "1"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        SYSTEM_OIDCREQUESTURI: `${api.base}/acme/proj/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken`,
        SYSTEM_ACCESSTOKEN: "ado-access-token",
        KEYFLEET_SERVICE_CONNECTION_ID: "sc-1",
      },
    });
    running.push(child);
    // The first token, then at least two rewrites, each a token the endpoint issued later.
    const contents = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && contents.size < 3) {
      try {
        contents.add(readFileSync(file, "utf8"));
      } catch {}
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...contents].slice(0, 3)).toEqual([jwt(1), jwt(2), jwt(3)]);
    // TERM ends the loop and its sleep: nothing is left holding the step's output open.
    const closed = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 5_000);
      child.on("close", () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    child.kill("SIGTERM");
    expect(await closed).toBe(true);
    expect(api.seen.every((s) => s.authorization === "Bearer ado-access-token")).toBe(true);
  });

  it("should fail with the status and write nothing when the token endpoint refuses", async () => {
    api = await startLoopbackApi(() => ({ status: 401, json: { message: "no" } }));
    const file = join(scratch, "refused-token");
    const r = await run("bash", ["pipelines/federated-token.sh", file], {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${api.base}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("HTTP 401");
    expect(r.stderr).not.toContain(requestToken);
    expect(() => statSync(file)).toThrow();
  });

  it("should say what is missing when the job has no OIDC source", async () => {
    const r = await run("bash", ["pipelines/federated-token.sh", join(scratch, "none")], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("id-token: write");
  });
});

/** Real drift: the example organisation against the plan fixture's Entra (offline), which differ. */
const driftArgs = "--actual tests/plan/fixtures/northwind-actual.json --today 2026-12-01";

const workflow = (f: string) =>
  parse(readFileSync(join(repoRoot, ".github/workflows", f), "utf8")) as {
    jobs: Record<string, { steps: { run?: string; name?: string }[] }>;
  };
const azure = (f: string) => readFileSync(join(repoRoot, "pipelines/azure", f), "utf8");

describe("pipelines/keyfleet-ci.sh exit codes", () => {
  const step = workflow("keyfleet-drift.yml").jobs.drift?.steps.find((s) =>
    s.name?.startsWith("keyfleet drift"),
  );

  it.each([
    [1, "drift", {}],
    [2, "a spec folder that does not exist", { KEYFLEET_SPECS: "tests/does-not-exist" }],
  ])("should end GitHub's drift step with keyfleet drift's exit %i (%s)", async (code, _why, extra) => {
    expect(step?.run).toBeDefined();
    const out = mkdtempSync(join(scratch, "out-"));
    const summary = join(out, "summary.md");
    const r = await run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step?.run ?? ""], {
      KEYFLEET_STACK: "prod",
      KEYFLEET_DRIFT_ARGS: driftArgs,
      KEYFLEET_OUT: out,
      GITHUB_STEP_SUMMARY: summary,
      ...extra,
    });
    expect(r.code, r.stderr).toBe(code);
    if (code === 1) {
      expect(readFileSync(join(out, "drift.txt"), "utf8")).toMatch(/^Drift: \d+ finding\(s\)/);
      expect(readFileSync(summary, "utf8")).toContain("**Coverage: 26/51 keys held");
    } else {
      expect(readFileSync(join(out, "drift.txt"), "utf8")).toContain("tests/does-not-exist");
    }
  });

  it("should end the Azure drift task with exit 1 on drift, through its inline script", async () => {
    const doc = parse(azure("keyfleet-drift.yml")) as {
      jobs: { steps: { task?: string; inputs?: { inlineScript?: string } }[] }[];
    };
    const script = doc.jobs[0]?.steps.find((s) => s.task === "AzureCLI@2")?.inputs?.inlineScript;
    expect(script).toBeDefined();
    const out = mkdtempSync(join(scratch, "out-"));
    const r = await run("bash", ["-c", script ?? ""], {
      servicePrincipalId: "00000000-0000-0000-0000-00000000000a",
      tenantId: "00000000-0000-0000-0000-00000000000b",
      KEYFLEET_PREVIEW_CONNECTION_ID: "sc-1",
      KEYFLEET_STACK: "prod",
      KEYFLEET_DRIFT_ARGS: driftArgs,
      KEYFLEET_OUT: out,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("DRIFT: git and Entra differ (exit 1)");
  });

  it("should lose the exit code without pipefail: why the definitions insist on it", async () => {
    const out = mkdtempSync(join(scratch, "out-"));
    const env = { KEYFLEET_STACK: "prod", KEYFLEET_DRIFT_ARGS: driftArgs, KEYFLEET_OUT: out };
    const cmd = `node dist/cli/main.js drift specs ${driftArgs} | tee ${join(out, "t.txt")}`;
    expect((await run("bash", ["-e", "-c", cmd], env)).code).toBe(0);
    expect((await run("bash", ["-eo", "pipefail", "-c", cmd], env)).code).toBe(1);
  });

  it("should refuse an unknown job and a missing stack", async () => {
    expect(
      (await run("bash", ["pipelines/keyfleet-ci.sh", "destroy"], { KEYFLEET_STACK: "prod" })).code,
    ).toBe(2);
    const noStack = await run("bash", ["pipelines/keyfleet-ci.sh", "drift"], {});
    expect(noStack.code).not.toBe(0);
    expect(noStack.stderr).toContain("KEYFLEET_STACK names the Pulumi stack");
  });
});
