// Store hygiene, as a careless or hostile user meets it: a read never creates a store, read-only commands
// need no write access, a 0-byte file is no store, a signature is shown only as checked, a malformed row
// is named and the rest still listed, a location never echoes its password, and an Azure Table location
// uses only the credential configured (never an ambient one).
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { loadSigningKey } from "../../core/signing/keyFiles.js";
import { TaskStoreError } from "../../core/tasks/errors.js";
import type { Task } from "../../core/tasks/model.js";
import { openTaskStore, resolveStoreLocation } from "../../core/tasks/openTaskStore.js";
import { startAzuriteTable } from "../support/azurite.js";
import { cliPath, runCli } from "../support/cli.js";
import { sqliteBackend } from "./backends.js";
import { sampleRaise } from "./sampleTasks.js";

describe("store hygiene", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let dbPath: string;
  let location: string;
  const ids: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyfleet-hygiene-"));
    chmodSync(dir, 0o755);
    dbPath = join(dir, "keyfleet.db");
    location = `sqlite:${dbPath}`;
    env = {
      KEYFLEET_TASK_STORE: location,
      KEYFLEET_KEY_DIR: join(dir, "keys"),
      KEYFLEET_RECORDS_ANCHOR: join(dir, "anchor.json"),
    };
    expect((await runCli(["tasks", "keygen", "--role", "pipeline"], { env, cwd: dir })).code).toBe(0);
    const key = loadSigningKey(join(dir, "keys", "pipeline.ed25519"));
    const store = new AuditedTaskStore(
      await openTaskStore(location),
      await openRecordStore(location, { signer: key, anchorPath: env.KEYFLEET_RECORDS_ANCHOR }),
      { actor: { role: "pipeline" } },
    );
    for (let i = 1; i <= 3; i++) ids.push((await store.raise(sampleRaise(i), key)).task.id);
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("should refuse a mistyped --store for every read, and create nothing", async () => {
    const typo = join(dir, "keyflet.db");
    for (const args of [
      ["tasks", "list"],
      ["tasks", "show", "abcd1234"],
      ["records", "list"],
      ["records", "export"],
      ["records", "head"],
      ["records", "verify", "--allow-no-anchor"],
    ]) {
      const r = await runCli([...args, "--store", `sqlite:${typo}`], { env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`no store at ${typo}`);
    }
    expect(existsSync(typo)).toBe(false);
    await expect(openTaskStore(`sqlite:${typo}`, { readOnly: true })).rejects.toThrow(/no store at/);
    expect(existsSync(typo)).toBe(false);
  });

  it("should refuse a 0-byte file and a database that is no Keyfleet store", async () => {
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    const r = await runCli(["tasks", "list", "--store", `sqlite:${empty}`], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty \(0-byte\) file/);
    const other = join(dir, "other.db");
    new Database(other).exec("CREATE TABLE unrelated (x)");
    const o = await runCli(["records", "list", "--store", `sqlite:${other}`], { env });
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/is not a Keyfleet store \(it has no records table\)/);
  });

  it("should read a store it cannot write: owned by another user, in a folder it cannot write", async () => {
    chmodSync(dbPath, 0o644);
    // The public keys readable by the other user too (the private key stays 0600).
    chmodSync(join(dir, "keys"), 0o755);
    const asOther = (args: string[]) => runAs(["node", cliPath, ...args], env);
    const list = await asOther(["tasks", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("person2@contoso.example");
    const verify = await asOther(["records", "verify", "--allow-no-anchor"]);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    const head = await asOther(["records", "head"]);
    expect(JSON.parse(head.stdout)).toMatchObject({ seq: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(verify.stdout).toMatch(/^records intact: 3 records/);
    chmodSync(dbPath, 0o600);
  });

  it("should print 'signed by' only for a verified signature, and INVALID for a PIN length edited 8 → 4", async () => {
    const good = await runCli(["tasks", "show", ids[0]!], { env });
    expect(good.stdout).toMatch(/signed by\s+the pipeline's key [0-9a-f]{32} \(signature valid\)/);
    const t = JSON.parse((await runCli(["tasks", "show", ids[1]!, "--json"], { env })).stdout) as Task;
    expect(t.profile.pinLength).toBe(8);
    const { signatureValid: _v, ...row } = t as Task & { signatureValid?: boolean };
    await sqliteBackend.start().then(async (fx) => {
      await fx.putRaw({ location, opts: {} }, { ...row, profile: { ...row.profile, pinLength: 4 } });
      await fx.stop();
    });
    const edited = await runCli(["tasks", "show", ids[1]!], { env });
    expect(edited.code).toBe(0);
    expect(edited.stdout).toMatch(/PIN 4 digits/);
    expect(edited.stdout).toMatch(
      /signed by\s+signature INVALID: the task's signature \(key [0-9a-f]{32}\) is not the pipeline's/,
    );
    expect(edited.stdout).not.toMatch(/signature valid/);
    const json = JSON.parse((await runCli(["tasks", "show", ids[1]!, "--json"], { env })).stdout);
    expect(json.signatureValid).toBe(false);
    const unchecked = await runCli(["tasks", "show", ids[0]!], {
      env: { ...env, KEYFLEET_KEY_DIR: join(dir, "no-keys") },
    });
    expect(unchecked.stdout).toMatch(/signature NOT CHECKED \(no pipeline public key here\)/);
  });

  it("should name and mark a malformed task row and a malformed record, and list the rest", async () => {
    const copy = join(dir, "malformed.db");
    const src = new Database(dbPath);
    await src.backup(copy);
    src.close();
    const db = new Database(copy);
    db.prepare("UPDATE tasks SET doc = '{\"id\": 7' WHERE id = ?").run(ids[2]);
    const chain = db.prepare("SELECT chain FROM chain_records WHERE seq = 2").pluck().get() as string;
    db.prepare("UPDATE chain_records SET doc = 'not json at all' WHERE chain = ? AND seq = 2").run(chain);
    db.close();
    const at = chain.slice(0, 8);
    const store = `sqlite:${copy}`;
    const list = await runCli(["tasks", "list", "--store", store], { env });
    expect(list.code).toBe(1);
    expect(list.stdout).toContain("person1@contoso.example");
    expect(list.stdout).toMatch(
      new RegExp(`${ids[2]!.slice(0, 12)} MALFORMED\\s+the task document is not JSON`),
    );
    expect(list.stderr).toContain(`1 malformed task row (${ids[2]})`);
    expect(list.stderr).not.toMatch(/SyntaxError|at .*\.js:\d+/);
    const show = await runCli(["tasks", "show", ids[2]!, "--store", store], { env });
    expect(show.code).toBe(2);
    expect(show.stderr).toBe(`keyfleet: task row ${ids[2]} is malformed: the task document is not JSON\n`);

    const records = await runCli(["records", "list", "--store", store], { env });
    expect(records.code).toBe(1);
    expect(records.stdout).toMatch(new RegExp(`^\\s*${at}:1 .*raise`, "m"));
    expect(records.stdout).toMatch(new RegExp(`^\\s*${at}:2 {2}MALFORMED {4}not a well-formed record`, "m"));
    expect(records.stdout).toMatch(new RegExp(`^\\s*${at}:3 .*raise`, "m"));
    expect(records.stderr).toContain(`1 malformed record row (${chain.slice(0, 12)}:2)`);
    for (const format of ["jsonl", "csv"]) {
      const out = await runCli(["records", "export", "--format", format, "--store", store], { env });
      expect(out.code).toBe(1);
      expect(out.stdout.trim().split(/\r?\n/)).toHaveLength(format === "csv" ? 4 : 3);
      expect(out.stdout).toMatch(
        format === "csv"
          ? new RegExp(`^2,${chain},.*MALFORMED`, "m")
          : new RegExp(`\\{"chain":"${chain}","seq":2,"malformed":`),
      );
    }
  });

  it("should never echo a password or key from a store location", async () => {
    const secret = "hunter2-Sup3rSecret";
    for (const loc of [
      `postgres://keyfleet:${secret}@db.example/keyfleet`,
      `mysql:user=root;password=${secret}`,
      `${secret}`,
    ]) {
      let message = "";
      try {
        resolveStoreLocation(loc);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/unknown task store/);
      expect(message).not.toContain(secret);
      const r = await runCli(["tasks", "list", "--store", loc], { env });
      expect(r.code).toBe(2);
      expect(r.stderr + r.stdout).not.toContain(secret);
    }
  });

  it("should use only the Azure credential configured, say which, and never fall back to an ambient one", async () => {
    const endpoint = "azure-table:https://keyfleetnowhere.table.core.windows.net";
    const err = await openTaskStore(endpoint, { readOnly: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(TaskStoreError.isInstance(err) && err.code).toBe("bad-config");
    expect((err as Error).message).toMatch(
      /has no credential: set KEYFLEET_TASK_STORE_SAS .* KEYFLEET_TASK_STORE_CREDENTIAL=managed-identity\|workload-identity\|azure-cli\|environment \(Keyfleet never falls back to ambient Azure credentials\)/,
    );
    const cli = await runCli(["tasks", "list", "--store", endpoint], { env });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/has no credential/);
    const bogus = await runCli(["tasks", "list", "--store", endpoint], {
      env: { ...env, KEYFLEET_TASK_STORE_CREDENTIAL: "whatever-works" },
    });
    expect(bogus.stderr).toMatch(/unknown Azure credential kind 'whatever-works': use managed-identity/);

    const azurite = await startAzuriteTable();
    try {
      const store = await openTaskStore(`azure-table:${azurite.connectionString}`, {
        azure: { tablePrefix: "hyg" },
      });
      expect(store.location).toBe(`azure-table:${azurite.endpoint} (account key (connection string))`);
      expect(store.location).not.toContain("AccountKey");
      await store.close();
      const bySas = await openTaskStore(`azure-table:${azurite.endpoint}`, {
        azure: { tablePrefix: "hyg", sas: "sv=2020-08-04&ss=t&sig=abc" },
      });
      expect(bySas.location).toBe(`azure-table:${azurite.endpoint} (SAS token)`);
      await bySas.close();
      // Reads never create Azure tables either.
      await expect(
        openTaskStore(`azure-table:${azurite.connectionString}`, {
          readOnly: true,
          azure: { tablePrefix: "nope" },
        }),
      ).rejects.toThrow(/no table nopetasks/);
    } finally {
      await azurite.stop();
    }
  });
});

/** Runs a command as another (unprivileged) user: nobody when we are root, else ourselves with the files read-only. */
function runAs(
  cmd: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = process.getuid?.() === 0;
  if (!root) {
    for (const f of [env.KEYFLEET_TASK_STORE!.slice("sqlite:".length)]) chmodSync(f, 0o444);
  }
  const argv = root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd] : cmd;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", (e) =>
      reject(new Error(`cannot run ${argv[0]} (install util-linux for setpriv): ${e.message}`)),
    );
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
