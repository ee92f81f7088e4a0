// `keyfleet tasks …` and `keyfleet records …` as an operator runs them, against a SQLite store.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import type { AuditRecord } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { loadSigningKey } from "../../core/signing/keyFiles.js";
import type { Task } from "../../core/tasks/model.js";
import { openTaskStore } from "../../core/tasks/openTaskStore.js";
import { runCli } from "../support/cli.js";
import { sampleRaise } from "./sampleTasks.js";

describe("keyfleet tasks and records", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let dbPath: string;
  const ids: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyfleet-cli-"));
    dbPath = join(dir, "keyfleet.db");
    env = {
      KEYFLEET_TASK_STORE: `sqlite:${dbPath}`,
      KEYFLEET_KEY_DIR: join(dir, "keys"),
      KEYFLEET_RECORDS_ANCHOR: join(dir, "anchor.json"),
    };
    const pipelineGen = await runCli(["tasks", "keygen", "--role", "pipeline", "--json"], { env, cwd: dir });
    expect(pipelineGen.code, pipelineGen.stderr).toBe(0);
    expect(statSync(join(dir, "keys", "pipeline.ed25519")).mode & 0o777).toBe(0o600);
    const stationGen = await runCli(["tasks", "keygen", "--role", "station"], { env, cwd: dir });
    expect(stationGen.code).toBe(0);
    expect((await runCli(["tasks", "keygen", "--role", "station"], { env, cwd: dir })).code).toBe(2);

    const pipelineKey = loadSigningKey(join(dir, "keys", "pipeline.ed25519"));
    const store = new AuditedTaskStore(
      await openTaskStore(`sqlite:${dbPath}`),
      await openRecordStore(`sqlite:${dbPath}`, {
        signer: pipelineKey,
        anchorPath: env.KEYFLEET_RECORDS_ANCHOR,
      }),
      { actor: { role: "pipeline" }, provenance: { pipelineRun: "run-1" } },
    );
    for (let i = 1; i <= 3; i++) ids.push((await store.raise(sampleRaise(i), pipelineKey)).task.id);
    const t = (await store.claimNext({ stationId: "desk-1", leaseMs: 60_000 }))!;
    await store.fail(t.id, t.lease!, { reason: "no key of an allowed model at hand", retryable: false });
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("should list tasks as a table and as JSON, with filters", async () => {
    const table = await runCli(["tasks", "list"], { env });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain("person2@contoso.example");
    expect(table.stdout).toMatch(/failed .*no key of an allowed model/);
    const json = await runCli(["tasks", "list", "--json", "--state", "pending"], { env });
    expect((JSON.parse(json.stdout) as Task[]).map((t) => t.state)).toEqual(["pending", "pending"]);
    const person = await runCli(["tasks", "list", "--json", "--person", "person3@contoso.example"], { env });
    expect(JSON.parse(person.stdout)).toHaveLength(1);
    const old = await runCli(["tasks", "list", "--json", "--older-than", "1h"], { env });
    expect(JSON.parse(old.stdout)).toEqual([]);
  });

  it("should show a task by id prefix", async () => {
    const r = await runCli(["tasks", "show", ids[1]!.slice(0, 8)], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/id\s+/);
    expect(r.stdout).toContain("person2@contoso.example");
    expect(r.stdout).toMatch(/signed by\s+the pipeline's key [0-9a-f]{32} \(signature valid\)/);
    expect((await runCli(["tasks", "show", "ffffffffffff"], { env })).code).toBe(2);
  });

  it("should cancel and retry tasks, each leaving a signed record", async () => {
    const pending = (
      JSON.parse((await runCli(["tasks", "list", "--json", "--state", "pending"], { env })).stdout) as Task[]
    )[0]!;
    const cancel = await runCli(
      ["tasks", "cancel", pending.id, "--reason", "person left", "--operator", "bob", "--json"],
      { env },
    );
    expect(cancel.code, cancel.stderr).toBe(0);
    expect((JSON.parse(cancel.stdout) as Task).state).toBe("cancelled");
    const failed = (
      JSON.parse((await runCli(["tasks", "list", "--json", "--state", "failed"], { env })).stdout) as Task[]
    )[0]!;
    const retry = await runCli(["tasks", "retry", failed.id, "--operator", "bob"], { env });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain("retrying");
    const records = JSON.parse(
      (await runCli(["records", "list", "--json"], { env })).stdout,
    ) as AuditRecord[];
    expect(records.map((r) => r.action)).toEqual([
      "raise",
      "raise",
      "raise",
      "claim",
      "failure",
      "cancellation",
      "retry",
    ]);
    expect(records[5]).toMatchObject({ actor: { role: "operator", operator: "bob" }, detail: "person left" });
    const again = await runCli(["tasks", "retry", failed.id], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("cannot retry");
  });

  it("should verify, export, and catch tampering with exit 1", async () => {
    const ok = await runCli(["records", "verify"], { env });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/records intact: \d+ records/);
    const csv = await runCli(["records", "export", "--format", "csv", "--action", "raise"], { env });
    expect(csv.stdout.trim().split("\r\n")).toHaveLength(4);
    const out = join(dir, "records.jsonl");
    expect((await runCli(["records", "export", "--out", out], { env })).code).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(7);

    // Record 2 of the chain holding the raises (the pipeline key's own).
    const db = new Database(dbPath);
    const doc = JSON.parse(
      db.prepare("SELECT doc FROM chain_records WHERE seq = 2 AND action = 'raise'").pluck().get() as string,
    ) as AuditRecord;
    db.prepare("UPDATE chain_records SET doc = ? WHERE chain = ? AND seq = 2").run(
      JSON.stringify({ ...doc, detail: "edited" }),
      doc.chain,
    );
    db.close();
    const bad = await runCli(["records", "verify", "--json"], { env });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      findings: [{ kind: "edit", chain: doc.chain, seq: 2 }],
    });
    const text = await runCli(["records", "verify"], { env });
    expect(text.stdout).toMatch(/TAMPERED[\s\S]*edit\s+at seq 2/);
  });

  it("should exit 2 on bad input and change nothing", async () => {
    const before = readFileSync(dbPath);
    for (const args of [
      ["tasks", "list", "--state", "nonsense"],
      ["tasks", "list", "--older-than", "soon"],
      ["tasks", "list", "--store", "ftp:somewhere"],
      ["tasks", "list", "--store", `sqlite:${join(dir, "missing.db")}`],
      ["records", "export", "--format", "xml"],
      ["records", "verify", "--anchor", join(dir, "no-anchor.json")],
      ["tasks", "cancel", "nope"],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^keyfleet: /);
    }
    expect(readFileSync(dbPath).equals(before)).toBe(true);
  });
});
