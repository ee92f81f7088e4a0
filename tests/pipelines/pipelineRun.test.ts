// The pipeline jobs end to end, as GitHub Actions would run them: pipelines/keyfleet-ci.sh with the real
// keyfleet CLI and the real pulumi engine over keyfleet's program, signing in to the Entra emulator by workload
// identity federation (a loopback stand-in for GitHub's OIDC token endpoint issues the job's token; the
// emulator's app registrations hold the matching federated credentials), posting the plan comment to a
// loopback stand-in for GitHub's REST API.
//   - preview signs in as the read-only app and posts whose keys the merge provisions;
//   - a pull request that swaps in the write app's client id is refused by Entra (wrong subject);
//   - deploy signs in as the write app, runs pulumi up, stamps the tasks with commit, pull request and run,
//     and publishes the records head that `records verify` checked.
import "reflect-metadata";
import { spawn } from "node:child_process";
import { generateKeyPairSync, type KeyObject, randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { openSqliteTaskStore } from "../../core/tasks/sqliteTaskStore.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { defaultSeed } from "../entra/support/emulatorTenant.js";
import { createPulumiProject, type PulumiProject } from "../providers/pulumiProject.js";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { type LoopbackApi, startLoopbackApi } from "./loopbackApi.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const issuer = "https://token.actions.githubusercontent.com";
const repo = "acme/keys";
const reads = ["User.Read.All", "GroupMember.Read.All", "Policy.Read.AuthenticationMethod"];
const previewApp = randomUUID();
const deployApp = randomUUID();
const commit = "c0ffee0000000000000000000000000000000001";
const runUrl = "https://github.example/acme/keys/actions/runs/7/attempts/1";

let emu: RunningEmulator;
let api: LoopbackApi;
let project: PulumiProject;
let scratch: string;
let signingKey: KeyObject;
/** The subject GitHub would put in the next job's OIDC token. */
let subject = `repo:${repo}:pull_request`;
const comments: { id: number; body: string }[] = [];

function jobEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...project.env,
    GITHUB_ACTIONS: "true",
    GITHUB_API_URL: api.base,
    GITHUB_REPOSITORY: repo,
    GITHUB_TOKEN: "ghs_job-token",
    ACTIONS_ID_TOKEN_REQUEST_URL: `${api.base}/oidc/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "oidc-request-token",
    RUNNER_TEMP: scratch,
    KEYFLEET_STACK: "test",
    KEYFLEET_OUT: join(scratch, `out-${randomUUID()}`),
    // Everything but the identity, as a team's variables would give it: the emulator's endpoints.
    AZURE_TENANT_ID: emu.tenantId,
    KEYFLEET_ENTRA_CLOUD: "custom",
    AZURE_AUTHORITY_HOST: emu.url,
    KEYFLEET_GRAPH_URL: emu.url,
    KEYFLEET_GRAPH_SCOPE: "https://graph.microsoft.com/.default",
    KEYFLEET_ENTRA_CA_FILE: emu.caCertPath,
    KEYFLEET_TASK_STORE: `sqlite:${join(project.dir, "tasks.db")}`,
    KEYFLEET_GIT_COMMIT: commit,
    KEYFLEET_PIPELINE_RUN: runUrl,
    ...extra,
  };
  for (const k of ["AZURE_CLIENT_SECRET", "KEYFLEET_ENTRA_AUTH", "AZURE_FEDERATED_TOKEN_FILE", "TF_BUILD"])
    delete env[k];
  return env;
}

function job(name: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; dir: string }> {
  return new Promise((resolve) => {
    // GitHub's `shell: bash`: bash --noprofile --norc -eo pipefail, the step's run: line.
    const child = spawn(
      "bash",
      ["--noprofile", "--norc", "-eo", "pipefail", "-c", `bash pipelines/keyfleet-ci.sh ${name}`],
      {
        cwd: project.dir,
        env,
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 400_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, dir: env.KEYFLEET_OUT ?? "" });
    });
  });
}

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  signingKey = privateKey;
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const seed = defaultSeed();
  seed.apps = [
    ...(seed.apps ?? []),
    {
      clientId: previewApp,
      displayName: "keyfleet-preview",
      roles: ["UserAuthMethod-Passkey.Read.All", ...reads],
      federatedCredentials: [
        { issuer, subject: `repo:${repo}:pull_request`, publicKeyPem },
        { issuer, subject: `repo:${repo}:ref:refs/heads/main`, publicKeyPem },
      ],
    },
    {
      clientId: deployApp,
      displayName: "keyfleet-deploy",
      roles: ["UserAuthMethod-Passkey.ReadWrite.All", ...reads],
      federatedCredentials: [
        { issuer, subject: `repo:${repo}:environment:keyfleet-production`, publicKeyPem },
      ],
    },
  ];
  emu = await startEmulator({ tenant: seed });
  api = await startLoopbackApi(async (s) => {
    if (s.url.startsWith("/oidc/token?")) {
      if (s.authorization !== "Bearer oidc-request-token") return { status: 401 };
      // What GitHub signs for this job: its subject, the audience asked for, valid for 10 minutes.
      const audience = new URL(s.url, "http://x").searchParams.get("audience") ?? "";
      const value = await new SignJWT({})
        .setProtectedHeader({ alg: "RS256" })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(signingKey);
      return { json: { value } };
    }
    if (s.method === "GET" && s.url.startsWith(`/repos/${repo}/issues/12/comments`))
      return { json: comments };
    if (s.method === "POST" && s.url === `/repos/${repo}/issues/12/comments`) {
      comments.push({ id: comments.length + 1, body: (s.body as { body: string }).body });
      return { status: 201, json: {} };
    }
    const m = /^\/repos\/acme\/keys\/issues\/comments\/(\d+)$/.exec(s.url);
    if (s.method === "PATCH" && m) {
      const c = comments.find((x) => x.id === Number(m[1]));
      if (c) c.body = (s.body as { body: string }).body;
      return { json: {} };
    }
    if (s.url === `/repos/${repo}/commits/${commit}/pulls`) return { json: [{ number: 12 }] };
    return { status: 404, json: { message: "Not Found" } };
  });
  project = await createPulumiProject({ specs: join(repoRoot, "tests/providers/engine-specs") });
  symlinkSync(join(repoRoot, "pipelines"), join(project.dir, "pipelines"), "dir");
  symlinkSync(join(repoRoot, "scripts"), join(project.dir, "scripts"), "dir");
  scratch = mkdtempSync(join(tmpdir(), "keyfleet-pipeline-run-"));
}, 300_000);

afterAll(async () => {
  await emu?.stop();
  await api?.close();
  project?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the pipeline jobs, end to end", () => {
  it("should preview as the read-only app and post whose keys the merge provisions", async () => {
    subject = `repo:${repo}:pull_request`;
    const r = await job("preview", jobEnv({ AZURE_CLIENT_ID: previewApp, KEYFLEET_PULL_REQUEST: "12" }));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`signed in as ${previewApp} by workload identity federation`);
    expect(r.out).toContain("keyfleet plan exited 1");
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? "";
    expect(body.split("\n")[0]).toBe("<!-- keyfleet-plan stack=test -->");
    expect(body).toContain("**2** to provision");
    expect(body).toContain("| provision | ada.lindqvist&#64;northwindforge.example | primary | new key |");
    expect(body).toContain("| provision | ben.adeyemi&#64;northwindforge.example | primary | new key |");
    expect(body).toContain("pulumi preview succeeded");
    expect(body).toContain(`commit \`${commit.slice(0, 12)}\``);
    // A preview changes nothing: no task raised.
    const store = openSqliteTaskStore(join(project.dir, "tasks.db"));
    try {
      expect(await store.list()).toEqual([]);
    } finally {
      await store.close();
    }
  }, 400_000);

  it("should have Entra refuse a pull request that swaps in the write app's client id", async () => {
    subject = `repo:${repo}:pull_request`;
    const r = await job(
      "preview",
      jobEnv({ AZURE_CLIENT_ID: deployApp, KEYFLEET_PULL_REQUEST: "12", KEYFLEET_POST_COMMENT: "false" }),
    );
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/70021|federated identity record/);
    expect(r.out).not.toContain("oidc-request-token");
  }, 400_000);

  it("should deploy as the write app: up, tasks stamped with commit, pull request and run, then the records head", async () => {
    subject = `repo:${repo}:environment:keyfleet-production`;
    // As in CI: the private key from the vault in a temp folder, the trusted public keys from the repository.
    const keyPath = join(scratch, "vault", "pipeline.ed25519");
    writeNewSigningKey(keyPath);
    const trusted = join(scratch, "trusted");
    mkdirSync(trusted);
    copyFileSync(`${keyPath}.pub`, join(trusted, "pipeline.pub"));
    rmSync(`${keyPath}.pub`);
    const r = await job(
      "deploy",
      jobEnv({
        AZURE_CLIENT_ID: deployApp,
        KEYFLEET_PIPELINE_KEY: keyPath,
        KEYFLEET_TRUSTED_KEYS: trusted,
        GITHUB_SHA: commit,
      }),
    );
    expect(r.code, r.out).toBe(0);
    const store = openSqliteTaskStore(join(project.dir, "tasks.db"));
    try {
      const tasks = await store.list();
      expect(tasks).toHaveLength(2);
      for (const t of tasks)
        expect(t.provenance).toEqual({
          gitCommit: commit,
          pullRequest: "12",
          pipelineRun: runUrl,
          stack: "test",
        });
    } finally {
      await store.close();
    }
    const head = JSON.parse(readFileSync(join(r.dir, "records-head.json"), "utf8")) as {
      seq: number;
      hash: string;
    };
    const published = (await project.outputs()).recordsHead;
    const records = await openRecordStore(`sqlite:${join(project.dir, "tasks.db")}`);
    try {
      const stored = await records.head();
      expect(published).toEqual(stored);
      expect(head).toMatchObject(stored ?? {});
    } finally {
      await records.close();
    }
    const verify = JSON.parse(readFileSync(join(r.dir, "records-verify.json"), "utf8")) as { ok?: boolean };
    expect(verify.ok).toBe(true);
  }, 400_000);
});
