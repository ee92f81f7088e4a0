// The revocation rails through the real engine, against the emulator changed while it runs: a person removed
// from git is counted and shown by `keyfleet plan` as `pulumi preview` and `up` then act; removing people
// above the policy's share stops both and revokes nothing; a UPN renamed in Entra revokes nothing; an adopt
// slot converges to an empty plan and preview; a delete the plan did not foresee stops the run; and
// `pulumi destroy` revokes nothing unless the stack allows it.
import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { runCli } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { cliEnvFor, emulatorConfig } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import { entraClientFor, fido2MethodIds, openStationStore, runOneTask } from "./stationStandIn.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const people = {
  ada: { id: "9a0d258a-5fee-579a-93d8-9362d5365d67", upn: "ada.lindqvist@northwindforge.example" },
  ben: { id: "04a0bd23-7b75-581c-96d7-6d8a3642ac20", upn: "ben.adeyemi@northwindforge.example" },
  chloe: { id: "ddc71d2f-49e4-57c9-b8d3-dcdc68563b46", upn: "chloe.martin@northwindforge.example" },
  dev: { id: "d0420cc2-eb17-5803-a131-9d9c6fdfab7a", upn: "dev.patel@northwindforge.example" },
  elena: { id: "cfb25e23-fd7e-5e9b-a218-11ad0b9883b5", upn: "elena.rossi@northwindforge.example" },
  farid: { id: "cbe5393a-a1c9-5d2e-9be0-3af1a7e9ac79", upn: "farid.haddad@northwindforge.example" },
} as const;
type Name = keyof typeof people;

const profile = [
  "apiVersion: keyfleet.dev/v1",
  "kind: KeyProfile",
  "name: yubikey-5",
  `aaguids: [${yubikey5}]`,
  "credProtect: 2",
  'displayName: "{slot} YK5"',
  "",
].join("\n");

let emu: RunningEmulator;
let project: PulumiProject;
let store: TaskStore;
let entra: EntraClient;
let dbPath: string;
let stationKeys: string;

/** Writes the people file: each by UPN with a primary slot (`adopt` ones take over a fitting key). */
function writePeople(names: readonly Name[], adopt: readonly Name[] = []): void {
  const lines = ["apiVersion: keyfleet.dev/v1", "kind: People", "people:"];
  for (const n of names) {
    const a = adopt.includes(n) ? ", adopt: true" : "";
    lines.push(
      `  - userPrincipalName: ${people[n].upn}`,
      `    slots: { primary: { profile: yubikey-5${a} } }`,
    );
  }
  writeFileSync(join(project.specsDir, "people.yaml"), `${lines.join("\n")}\n`);
}

function cliEnv(): NodeJS.ProcessEnv {
  // The keys the pull request's plan checks rows and results against, as the pipeline's are.
  return cliEnvFor(emu, {
    taskStore: dbPath,
    pipelinePublicKey: join(project.dir, "pipeline.ed25519.pub"),
    stationKeys,
  });
}

interface PlanJson {
  actions: { kind: string; assignmentId?: string; personId?: string; cause?: string }[];
  notices: { kind: string; personId: string; message: string }[];
  summary: { revocations: number };
  blocked: boolean;
  blockedReasons: string[];
}

async function keyfleetPlan(): Promise<{ code: number; plan: PlanJson }> {
  const r = await runCli(["plan", project.specsDir, "--json"], { env: cliEnv() });
  if (r.code === 2 && !r.stdout.trim().startsWith("{")) throw new Error(`keyfleet plan failed: ${r.stderr}`);
  return { code: r.code, plan: JSON.parse(r.stdout) as PlanJson };
}

/** Resource name → the preview's step op, for KeyAssignments. */
async function previewOps(): Promise<Map<string, string>> {
  const r = await project.pulumi(["preview", "--json"]);
  if (r.code !== 0) throw new Error(`pulumi preview exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  const steps = (JSON.parse(r.stdout) as { steps?: { op: string; urn: string }[] }).steps ?? [];
  return new Map(
    steps
      .filter((s) => s.urn.includes("KeyAssignment"))
      .map((s) => [s.urn.slice(s.urn.lastIndexOf("::") + 2), s.op]),
  );
}

const methods = (n: Name) => fido2MethodIds(entra, people[n].id);

async function runStation(times: number): Promise<void> {
  for (let i = 0; i < times; i++) await runOneTask(store, entra, yubikey5);
}

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  emu = await startEmulator();
  const specs = join(emu.dataDir, "..", `rails-specs-${process.pid}`);
  mkdirSync(specs, { recursive: true });
  writeFileSync(join(specs, "profiles.yaml"), profile);
  writeFileSync(join(specs, "people.yaml"), "");
  project = await createPulumiProject({ specs });
  const keyPath = join(project.dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  dbPath = join(project.dir, "tasks.db");
  const station = await openStationStore(dbPath, project.dir);
  store = station.store;
  stationKeys = station.stationKeys;
  await project.configure(emulatorConfig(emu, { taskStore: dbPath, pipelineKey: keyPath, stationKeys }), {
    "keyfleet:entraClientSecret": emu.clientSecret,
  });
  entra = entraClientFor(emu);
  writePeople(["ada", "ben", "chloe", "dev", "elena"]);
  await project.ok(["up", "--yes", "--skip-preview"]);
  await runStation(5);
  await project.ok(["up", "--refresh", "--yes", "--skip-preview"]);
}, 600_000);

afterAll(async () => {
  await store?.close();
  await entra?.close();
  await emu?.stop();
  project?.remove();
});

describe("the revocation rails through plan, preview and up", () => {
  it("should start converged: every key active, an empty plan", async () => {
    expect((await project.outputs()).counts).toEqual({ pending: 0, active: 5 });
    const { code, plan } = await keyfleetPlan();
    expect(code, JSON.stringify(plan.actions)).toBe(0);
  }, 300_000);

  it("should count, show and revoke a person removed from git alike in plan, preview and up", async () => {
    const [elenasKey] = await methods("elena");
    writePeople(["ada", "ben", "chloe", "dev"]);
    const { code, plan } = await keyfleetPlan();
    expect(code).toBe(1);
    expect(plan.summary.revocations).toBe(1);
    expect(plan.actions.filter((a) => a.kind === "revoke")).toEqual([
      expect.objectContaining({ personId: people.elena.id, cause: "removed" }),
    ]);
    const ops = await previewOps();
    expect(ops.get(`${people.elena.id}-primary`)).toBe("delete");
    expect([...ops.values()].filter((op) => op !== "same")).toEqual(["delete"]);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect(await methods("elena")).toEqual([]);
    const records = await openRecordStore(`sqlite:${dbPath}`);
    try {
      const revoked = await records.list({ action: "revocation" });
      expect(revoked.map((r) => r.subject.methodId)).toEqual([elenasKey]);
      expect(revoked[0]?.detail).toMatch(/removed from the spec/);
    } finally {
      await records.close();
    }
  }, 300_000);

  it("should stop plan and up, revoking nothing, when removals pass the policy's share", async () => {
    writePeople(["ada", "dev"]);
    const { code, plan } = await keyfleetPlan();
    expect(code).toBe(2);
    expect(plan.blocked).toBe(true);
    expect(plan.summary.revocations).toBe(2);
    expect(plan.blockedReasons.join()).toMatch(/would revoke 2 of the 4 passkeys/);
    const up = await project.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/the run stops: would revoke 2 of the 4 passkeys/);
    expect(await methods("ben")).toHaveLength(1);
    expect(await methods("chloe")).toHaveLength(1);
    writePeople(["ada", "ben", "chloe", "dev"]);
  }, 300_000);

  it("should revoke nothing when Entra renames a person git still names by the old UPN", async () => {
    const before = await methods("ada");
    await emu.admin.renameUser(people.ada.id, "ada.lindqvist-berg@northwindforge.example");
    const { code, plan } = await keyfleetPlan();
    expect(plan.summary.revocations).toBe(0);
    expect(plan.actions.filter((a) => a.kind === "revoke" || a.kind === "unresolved")).toEqual([]);
    expect(plan.notices).toEqual([expect.objectContaining({ kind: "stale-upn", personId: people.ada.id })]);
    expect(plan.notices[0]?.message).toMatch(
      /write 'userPrincipalName: ada\.lindqvist-berg@northwindforge\.example'/,
    );
    expect(code).toBe(0);
    const ops = await previewOps();
    expect(ops.get(`${people.ada.id}-primary`)).not.toMatch(/delete|replace/);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect(await methods("ada")).toEqual(before);
  }, 300_000);

  it("should adopt a fitting key registered after the slot's task was raised, converging to an empty plan and preview", async () => {
    writePeople(["ada", "ben", "chloe", "dev", "farid"], ["farid"]);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect((await store.list({ assignmentId: `${people.farid.id}/primary` })).map((t) => t.state)).toEqual([
      "pending",
    ]);
    const own = await emu.admin.addSelfRegisteredPasskey(people.farid.id, {
      aaGuid: yubikey5,
      displayName: "Farid's own key",
    });
    const before = await keyfleetPlan();
    expect(before.plan.actions.filter((a) => a.personId === people.farid.id).map((a) => a.kind)).toEqual([
      "adopt",
    ]);
    await project.ok(["up", "--yes", "--skip-preview"]);
    const tasks = await store.list({ assignmentId: `${people.farid.id}/primary` });
    expect(tasks.map((t) => [t.generation, t.state, t.result?.kind])).toEqual([
      [1, "cancelled", undefined],
      [2, "done", "adopted"],
    ]);
    expect(tasks[1]?.result).toMatchObject({ methodId: own.id });
    const after = await keyfleetPlan();
    expect(after.code, JSON.stringify(after.plan.actions)).toBe(0);
    const quiet = await project.pulumi(["preview", "--expect-no-changes"]);
    expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
    const records = await openRecordStore(`sqlite:${dbPath}`);
    try {
      expect((await records.list({ action: "adoption" })).map((r) => r.subject.methodId)).toEqual([own.id]);
    } finally {
      await records.close();
    }
  }, 300_000);

  it("should quarantine a rewritten result and act on nothing it claims", async () => {
    // Someone with the store's credential points ben's done task at another method: the row no longer matches
    // the station's signature and record, so the plan holds the key and nothing is counted or revoked.
    const db = new Database(dbPath);
    const row = db
      .prepare("SELECT id, doc FROM tasks WHERE assignment_id = ? AND state = 'done'")
      .get(`${people.ben.id}/primary`) as { id: string; doc: string };
    const original = JSON.parse(row.doc) as { result: { methodId: string } };
    const forged = { ...original, result: { ...original.result, methodId: "forged-method-id" } };
    db.prepare("UPDATE tasks SET doc = ? WHERE id = ?").run(JSON.stringify(forged), row.id);
    try {
      const { plan } = await keyfleetPlan();
      const bens = plan.actions.filter((a) => a.personId === people.ben.id);
      expect(bens.map((a) => a.kind)).toEqual(["unresolved", "unmanaged-report"]);
      expect(JSON.stringify(bens[0])).toMatch(/quarantined: .*not signed by a trusted station key/);
      expect(plan.summary.revocations).toBe(0);
      const ops = await previewOps();
      // Held: the preview's summary leaves an unchanged resource out altogether.
      expect(ops.get(`${people.ben.id}-primary`) ?? "same").toBe("same");
      await project.ok(["up", "--yes", "--skip-preview"]);
      expect(await methods("ben")).toEqual([original.result.methodId]);
    } finally {
      db.prepare("UPDATE tasks SET doc = ? WHERE id = ?").run(row.doc, row.id);
      db.close();
    }
  }, 300_000);

  it("should stop the run, revoking nothing, when a delete was not in the plan", async () => {
    // Dev's tasks vanish from the store and dev leaves git: the reader cannot see dev, so the plan counts
    // nothing, while the stack still holds dev's resource. The provider refuses the delete.
    const db = new Database(dbPath);
    db.prepare("DELETE FROM tasks WHERE person_object_id = ?").run(people.dev.id);
    db.close();
    writePeople(["ada", "ben", "chloe", "farid"], ["farid"]);
    const { plan } = await keyfleetPlan();
    expect(plan.actions.filter((a) => a.personId === people.dev.id && a.kind !== "unmanaged-report")).toEqual(
      [],
    );
    const up = await project.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/this run's plan did not approve it: nothing was revoked/);
    expect(await methods("dev")).toHaveLength(1);
  }, 300_000);

  it("should revoke nothing on destroy, record why, and revoke only where the stack allows it", async () => {
    const held = await Promise.all((["ada", "ben", "chloe", "dev", "farid"] as const).map(methods));
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    expect(await Promise.all((["ada", "ben", "chloe", "dev", "farid"] as const).map(methods))).toEqual(held);
    const records = await openRecordStore(`sqlite:${dbPath}`);
    try {
      const released = await records.list({ action: "release" });
      expect(released.length).toBeGreaterThanOrEqual(5);
      expect(released.every((r) => /pulumi destroy: .* left the stack/.test(r.detail ?? ""))).toBe(true);
      expect(released.some((r) => /stays registered in Entra/.test(r.detail ?? ""))).toBe(true);
      expect((await records.list({ action: "revocation" })).length).toBe(1);
    } finally {
      await records.close();
    }
    // Back under management (the plan keeps what the store recorded), then a destroy the stack allows. The
    // engine configures destroy's providers with the settings of the last up, so the setting goes in first.
    await project.configure({ "keyfleet:allowDestroyRevocations": "true" });
    await project.ok(["up", "--yes", "--skip-preview"]);
    const destroyed = await project.ok(["destroy", "--yes", "--skip-preview"]);
    expect(await methods("ada"), destroyed).toEqual([]);
    expect(await methods("farid")).toEqual([]);
  }, 600_000);
});
