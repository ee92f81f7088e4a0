// Where the pipeline's audit trail goes and what it says about the run: the records anchor path (taken from
// the Pulumi project directory, though the provider host runs in `<project>/dist`) and the provenance the
// provider stamps on tasks and records.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineProvenance } from "../../providers/pipelineAudit.js";
import { projectDirectory, providerSettings } from "../../providers/providerSettings.js";

let root: string;
let project: string;
let build: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "keyfleet-anchor-"));
  project = join(root, "project");
  build = join(root, "shared-build", "dist");
  mkdirSync(join(project, "dist"), { recursive: true });
  mkdirSync(build, { recursive: true });
  writeFileSync(join(project, "Pulumi.yaml"), "name: keyfleet\n");
  writeFileSync(join(root, "shared-build", "Pulumi.yaml"), "name: keyfleet\n");
  // A second project whose dist links to the shared build, as the engine suites lay theirs out.
  mkdirSync(join(root, "linked"));
  writeFileSync(join(root, "linked", "Pulumi.yaml"), "name: keyfleet\n");
  symlinkSync(build, join(root, "linked", "dist"), "dir");
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const none = () => undefined;

describe("the records anchor setting", () => {
  it("should take a relative default from the project directory when the host runs in dist", () => {
    const s = providerSettings(none, {}, join(project, "dist"));
    expect(s.recordsAnchorPath).toBe(join(project, ".keyfleet", "records.anchor.json"));
  });

  it("should prefer keyfleet:recordsAnchor over KEYFLEET_RECORDS_ANCHOR, resolving relative ones alike", () => {
    const env = { KEYFLEET_RECORDS_ANCHOR: "/var/lib/keyfleet/anchor.json" };
    expect(providerSettings(none, env, project).recordsAnchorPath).toBe("/var/lib/keyfleet/anchor.json");
    const get = (k: string) => (k === "recordsAnchor" ? "audit/anchor.json" : undefined);
    expect(providerSettings(get, env, join(project, "dist")).recordsAnchorPath).toBe(
      join(project, "audit", "anchor.json"),
    );
  });

  it("should find the linking project, not the shared build, when PWD names it", () => {
    // getcwd() in the host gives the link's target; the launcher's PWD is the project that links to it.
    expect(projectDirectory(build, { PWD: join(root, "linked") })).toBe(join(root, "linked"));
    expect(projectDirectory(build, { PWD: join(root, "linked", "dist") })).toBe(join(root, "linked"));
    // A PWD that has nothing to do with cwd is ignored.
    expect(projectDirectory(join(project, "dist"), { PWD: join(root, "linked") })).toBe(project);
  });
});

describe("the task store and pipeline key settings", () => {
  it("should take a relative SQLite store and key file from the project directory, as the CLI there would", () => {
    const get = (k: string) =>
      ({ taskStore: "sqlite:.keyfleet/keyfleet.db", pipelineKeyFile: "keys/pipeline.ed25519" })[k];
    const s = providerSettings(get, {}, join(project, "dist"));
    expect(s.taskStore).toBe(`sqlite:${join(project, ".keyfleet", "keyfleet.db")}`);
    expect(s.pipelineKeyPath).toBe(join(project, "keys", "pipeline.ed25519"));
    // Unset, the store is the CLI's default, in the project too.
    expect(providerSettings(none, {}, join(project, "dist")).taskStore).toBe(
      `sqlite:${join(project, ".keyfleet", "keyfleet.db")}`,
    );
  });

  it("should leave absolute paths and Azure Table locations as they are", () => {
    const azure = "azure-table:https://acct.table.core.windows.net";
    expect(providerSettings(none, { KEYFLEET_TASK_STORE: azure }, project).taskStore).toBe(azure);
    const abs = (k: string) => (k === "taskStore" ? "sqlite:/var/lib/keyfleet/tasks.db" : undefined);
    expect(providerSettings(abs, {}, project).taskStore).toBe("sqlite:/var/lib/keyfleet/tasks.db");
  });
});

describe("the pipeline's provenance", () => {
  it("should take Keyfleet's names first, then GitHub's, and leave out what is unset", () => {
    expect(
      pipelineProvenance({
        KEYFLEET_GIT_COMMIT: "abc",
        GITHUB_SHA: "def",
        GITHUB_RUN_ID: "7",
        KEYFLEET_PULL_REQUEST: "12",
      }),
    ).toEqual({ gitCommit: "abc", pipelineRun: "7", pullRequest: "12" });
    expect(pipelineProvenance({})).toEqual({});
  });
});
