// The Azure Pipelines definitions (pipelines/azure/*.yml) validate against Microsoft's Azure Pipelines YAML
// schema (service-schema.json of azure-pipelines-vscode, as vendored by PyPI's check-jsonschema, fetched by
// scripts/install-pipeline-schemas.sh) with ajv; and they keep the identity promises of docs/pipelines.md.
//
// Azure Pipelines reads every YAML scalar as a string (`timeoutInMinutes: 60` is "60"), and the schema is
// written that way (its booleans are string patterns); task inputs declare JSON types, which the language
// service coerces. So the files are parsed with YAML's failsafe schema (all scalars strings) and ajv coerces
// types, as the service would.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../support/cli.js";

const install = "run 'bash scripts/install-pipeline-schemas.sh' (or 'bash scripts/setup.sh')";
const tools = process.env.KEYFLEET_TOOLS ?? join(homedir(), ".cache/keyfleet/tools");
const schemaPath = join(tools, "check-jsonschema-0.39.0", "azure-pipelines.json");
const dir = join(repoRoot, "pipelines/azure");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));

let validate: ValidateFunction;

beforeAll(() => {
  if (!existsSync(schemaPath))
    throw new Error(`the Azure Pipelines schema is missing at ${schemaPath}: ${install}`);
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as { $comment?: string };
  expect(schema.$comment).toBe("v1.261.1");
  // unicodeRegExp off: the schema's patterns escape characters (\/, \:) that the u flag refuses.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, coerceTypes: true });
  validate = ajv.compile(schema);
}, 60_000);

const read = (text: string): unknown => parse(text, { schema: "failsafe" });

/** The errors that point deepest: anyOf's other branches say little about what is wrong. */
function explain(errors: ErrorObject[] | null | undefined): string[] {
  const list = errors ?? [];
  const depth = Math.max(0, ...list.map((e) => e.instancePath.split("/").length));
  return list
    .filter((e) => e.instancePath.split("/").length === depth)
    .map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
    .slice(0, 10);
}

function check(text: string): string[] {
  return validate(read(text)) ? [] : explain(validate.errors);
}

type Step = { task?: string; inputs?: Record<string, string>; env?: Record<string, string> };
function steps(doc: unknown): Step[] {
  const found: Step[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.task === "string") found.push(o as Step);
      Object.values(o).forEach(walk);
    }
  };
  walk(doc);
  return found;
}

describe("Azure Pipelines definitions", () => {
  it("should have the three pipelines: preview, deploy and drift", () => {
    expect(files.sort()).toEqual(["keyfleet-deploy.yml", "keyfleet-drift.yml", "keyfleet-preview.yml"]);
  });

  it.each(files)("should validate %s against the Azure Pipelines schema", (f) => {
    expect(check(readFileSync(join(dir, f), "utf8"))).toEqual([]);
  });

  it("should refuse broken copies (the schema really checks these files)", () => {
    const preview = readFileSync(join(dir, "keyfleet-preview.yml"), "utf8");
    const broken = [
      preview.replace("scriptType: bash", "scriptTyp: bash"),
      preview.replace("scriptType: bash", "scriptType: zsh"),
      preview.replace("task: AzureCLI@2", "task: AzureCLI@9"),
      preview.replace("timeoutInMinutes: 60", "timeoutInMinute: 60"),
      preview.replace("trigger: none", "triggers: none"),
    ];
    for (const text of broken) {
      expect(text).not.toBe(preview);
      expect(check(text).length, text.slice(0, 80)).toBeGreaterThan(0);
    }
  });

  it("should sign in only through workload-identity service connections, read-only wherever pull-request code runs", () => {
    const connection = (f: string) =>
      steps(read(readFileSync(join(dir, f), "utf8")))
        .filter((s) => s.task === "AzureCLI@2")
        .map((s) => s.inputs?.azureSubscription);
    expect(connection("keyfleet-preview.yml")).toEqual(["keyfleet-preview"]);
    expect(connection("keyfleet-drift.yml")).toEqual(["keyfleet-preview"]);
    expect(connection("keyfleet-deploy.yml")).toEqual(["keyfleet-deploy"]);
    expect(readFileSync(join(dir, "keyfleet-preview.yml"), "utf8")).not.toContain("keyfleet-deploy");
    const deploy = read(readFileSync(join(dir, "keyfleet-deploy.yml"), "utf8")) as Record<string, unknown>;
    expect(deploy.pr).toBe("none");
    expect(JSON.stringify(deploy)).toContain('"environment":"keyfleet-production"');
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      expect(text, f).not.toMatch(/AZURE_CLIENT_SECRET|PULUMI_CONFIG_PASSPHRASE|\|\|\s*true|continueOnError/);
      for (const s of steps(read(text)).filter((x) => x.task === "AzureCLI@2")) {
        expect(s.inputs?.addSpnToEnvironment, f).toBe("true");
        expect(s.inputs?.inlineScript, f).toMatch(/^set -euo pipefail\n/);
        expect(s.env?.SYSTEM_ACCESSTOKEN, f).toBe("$(System.AccessToken)");
      }
    }
  });

  it("should carry the commit, pull request and run into the records", () => {
    const vars = (f: string) =>
      Object.fromEntries(
        (
          (read(readFileSync(join(dir, f), "utf8")) as { variables: { name?: string; value?: string }[] })
            .variables ?? []
        )
          .filter((v) => v.name)
          .map((v) => [v.name, v.value]),
      );
    const preview = vars("keyfleet-preview.yml");
    expect(preview.KEYFLEET_PULL_REQUEST).toBe("$[ variables['System.PullRequest.PullRequestId'] ]");
    expect(preview.KEYFLEET_GIT_COMMIT).toContain("System.PullRequest.SourceCommitId");
    expect(preview.KEYFLEET_PIPELINE_RUN).toContain("$(Build.BuildId)");
    expect(vars("keyfleet-deploy.yml").KEYFLEET_GIT_COMMIT).toBe("$(Build.SourceVersion)");
  });
});
