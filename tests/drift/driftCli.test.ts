// `keyfleet drift` as a pipeline runs it (the compiled CLI in a child process): exit 0 when git and Entra
// agree, 1 when they differ, 2 on bad input; every format; --out; and against the emulator with a task store.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport } from "../../core/drift/index.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { emulatorEntraEnv, runCli } from "../support/cli.js";
import { PROFILES, personYaml, YK } from "./support/driftFleet.js";

const ADA = "11111111-1111-4111-8111-111111111111";
let dir: string;
let emu: RunningEmulator;

const actual = (methods: unknown[], tasks: unknown[]) => ({
  apiVersion: "keyfleet.dev/v1",
  kind: "ActualState",
  people: [{ id: ADA, userPrincipalName: "ada@corp.example", fido2Methods: methods }],
  groups: [],
  tasks,
});
const held = {
  id: "m1",
  displayName: "primary YK5",
  aaGuid: YK,
  model: null,
  createdDateTime: "2025-01-01T00:00:00Z",
  passkeyType: "deviceBound",
  attestationLevel: "attested",
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-drift-cli-"));
  writeFileSync(join(dir, "profiles.yaml"), PROFILES);
  writeFileSync(join(dir, "people.yaml"), personYaml("ada@corp.example", ["primary"]));
  writeFileSync(
    join(dir, "clean.json"),
    JSON.stringify(
      actual([held], [{ assignmentId: `${ADA}/primary`, generation: 1, state: "done", methodId: "m1" }]),
    ),
  );
  writeFileSync(join(dir, "drift.json"), JSON.stringify(actual([], [])));
  emu = await startEmulator({ dataDir: join(dir, "emulator") });
});
afterAll(async () => {
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const offline = (file: string, ...args: string[]) =>
  runCli(["drift", dir, "--actual", join(dir, file), "--today", "2025-03-01", ...args]);

describe("keyfleet drift", () => {
  it("should exit 0 with the coverage first when git and Entra agree", async () => {
    const r = await offline("clean.json");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("Coverage: 1/1 keys held (100%)");
    expect(r.stdout).toContain("No drift: git, the task store and Entra agree.");
  });

  it("should exit 1 and print JSON, Markdown and a table when they differ", async () => {
    const json = await offline("drift.json", "--format", "json");
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as DriftReport;
    expect(report.findings.map((f) => f.kind)).toEqual(["missing"]);
    expect(report.coverage).toMatchObject({ held: 0, desired: 1 });
    const md = await offline("drift.json", "--format", "markdown");
    expect(md.code).toBe(1);
    expect(md.stdout).toMatch(/^### Keyfleet drift\n\n\*\*Coverage: 0\/1 keys held \(0%\)\*\*/);
    expect(md.stdout).toContain("| high | missing | ada@corp.example | primary |");
    const table = await offline("drift.json");
    expect(table.stdout).toMatch(/HIGH\s+missing\s+ada@corp\.example\s+primary/);
  });

  it("should write the HTML report to --out and print the verdict", async () => {
    const out = join(dir, "report.html");
    const r = await offline("drift.json", "--format", "html", "--out", out);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Drift: 1 finding(s) (1 high). Report: ${out}\n`);
    expect(readFileSync(out, "utf8")).toMatch(/^<!doctype html>[\s\S]*0\/1 keys held \(0%\)/);
  });

  it("should exit 2 on bad input and change nothing", async () => {
    for (const args of [
      ["--format", "pdf"],
      ["--stale-after", "soon"],
      ["--today", "tomorrow"],
    ]) {
      const r = await offline("drift.json", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: /);
      expect(r.stdout).toBe("");
    }
    const missing = await runCli(["drift", dir, "--actual", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
  });

  it("should read Entra and the task store, and keep the client secret out of its output", async () => {
    const r = await runCli(["drift", dir, "--format", "json"], {
      env: {
        ...emulatorEntraEnv(emu),
        KEYFLEET_TASK_STORE: `sqlite:${join(dir, "tasks.db")}`,
      },
    });
    // ada@corp.example is not in the example organisation: the spec names someone the directory does not know.
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DriftReport;
    expect(report.findings.map((f) => f.kind)).toEqual(["stale-upn"]);
    expect(r.stdout + r.stderr).not.toContain(emu.clientSecret);
  });
});
