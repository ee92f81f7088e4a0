// One decider, three witnesses: `keyfleet plan --json` (the pull request's comment), `pulumi preview --json`
// and `pulumi up --json` run over one table of fixtures against the Entra emulator and one SQLite task store,
// and must agree action for action. The stack starts from tests/providers/agreement-specs/before (first `up`,
// the station stand-in registers the keys, `up --refresh`); the specs then become agreement-specs/after, whose
// rows cover a key matched by AAGUID and one by model (keep), a raised credProtect (replace), a new slot whose
// display-name template uses every placeholder, a lost key, a retired slot, adoption on a new and on an
// existing slot, a plain new key, a person still waiting for a station, and a person removed from git.
import "reflect-metadata";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { DISPLAY_NAME_BUDGET } from "../../core/plan/keyName.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { Task } from "../../core/tasks/model.js";
import { openSqliteTaskStore } from "../../core/tasks/sqliteTaskStore.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { type AssignmentWire, assignmentFromWire } from "../../providers/assignmentWire.js";
import { repoRoot, runCli } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import {
  type AgreementRow,
  agreementTable,
  describePlanRow,
  type EngineOp,
  engineOp,
  expectedOp,
  KEY_ASSIGNMENT_TYPE,
  type PlanJson,
  type PlanRow,
  parseEngineEvents,
  planRows,
  stepsByAssignment,
} from "./agreementOps.js";
import { backdateMethod, openAgreementStation, registerKeysFor } from "./agreementStation.js";
import { cliEnvFor, emulatorConfig } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import { entraClientFor, fido2MethodIds } from "./stationStandIn.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const specsRoot = join(repoRoot, "tests/providers/agreement-specs");
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
/** Another YubiKey 5 Series AAGUID: the by-model profile does not list it, the emulator names its model. */
const yubikey5Other = "ee882879-721c-4913-9775-3dfcce97072a";

const id = {
  ada: "9a0d258a-5fee-579a-93d8-9362d5365d67",
  ben: "04a0bd23-7b75-581c-96d7-6d8a3642ac20",
  chloe: "ddc71d2f-49e4-57c9-b8d3-dcdc68563b46",
  dev: "d0420cc2-eb17-5803-a131-9d9c6fdfab7a",
  elena: "cfb25e23-fd7e-5e9b-a218-11ad0b9883b5",
  farid: "cbe5393a-a1c9-5d2e-9be0-3af1a7e9ac79",
  ines: "3a62be78-e60b-5ac8-b5a5-420c58df8da3",
  jonas: "4eef5f39-cf29-556f-851f-bdb3492ccc7d",
  margaret: "8d6af455-80eb-5ca5-9135-a86aaeea675f",
  barbara: "c03d57e0-7f34-5141-9554-5840015cdb19",
  edsger: "83a386a7-3507-5e40-b647-e0827498c23d",
} as const;

interface Fixture {
  assignmentId: string;
  /** What the row is there to show. */
  covers: string;
  /** The plan's actions for it in the "after" specs (describePlanRow). */
  plan: string;
  /** The key the station registers in the "before" state (undefined: the task stays pending or there is none). */
  registers?: string;
}

/** The table: every row's intent, what the plan must say, and the key it starts with. */
const fixtures: readonly Fixture[] = [
  { assignmentId: `${id.ada}/primary`, covers: "matched by AAGUID", plan: "keep", registers: yubikey5 },
  { assignmentId: `${id.ben}/primary`, covers: "matched by model", plan: "keep", registers: yubikey5Other },
  {
    assignmentId: `${id.chloe}/primary`,
    covers: "credProtect raised 2 → 3",
    plan: "replace",
    registers: yubikey5,
  },
  { assignmentId: `${id.dev}/primary`, covers: "unchanged", plan: "keep", registers: yubikey5 },
  { assignmentId: `${id.dev}/bk`, covers: "every display-name placeholder", plan: "provision" },
  {
    assignmentId: `${id.elena}/primary`,
    covers: "lost",
    plan: "provision + revoke:lost",
    registers: yubikey5,
  },
  { assignmentId: `${id.farid}/primary`, covers: "unchanged", plan: "keep", registers: yubikey5 },
  { assignmentId: `${id.farid}/backup`, covers: "retired", plan: "revoke:retired", registers: yubikey5 },
  { assignmentId: `${id.ines}/primary`, covers: "adopt, existing slot", plan: "adopt" },
  {
    assignmentId: `${id.jonas}/primary`,
    covers: "removed from git",
    plan: "revoke:removed",
    registers: yubikey5,
  },
  { assignmentId: `${id.margaret}/primary`, covers: "task still pending", plan: "wait" },
  { assignmentId: `${id.barbara}/primary`, covers: "adopt, new slot", plan: "adopt" },
  { assignmentId: `${id.edsger}/primary`, covers: "plain new key", plan: "provision" },
];

const lostOn = "2024-02-01";
const registeredBeforeLoss = "2024-01-10T09:30:00Z";

let dir: string;
let emu: RunningEmulator;
let project: PulumiProject;
let store: TaskStore;
/** The same store as the enrolled station sees it: its results are signed and recorded. */
let station: TaskStore;
let pipelinePublicKey: string;
let stationKeys: string;
let entra: EntraClient;
let dbPath: string;
/** Method ids the station registered in the "before" state, by assignment. */
let registered: Map<string, string>;
/** The self-registered passkeys the adopt rows take over, by assignment. */
const selfRegistered = new Map<string, string>();
/** KeyAssignments the stack held before the specs changed. */
let existedBefore: Set<string>;
let planned: PlanJson;
let rows: Map<string, PlanRow>;
let previewOps: Map<string, EngineOp>;
/** Each KeyAssignment's inputs as the preview declared them (a replacement's: the new resource's). */
let previewInputs: Map<string, Record<string, unknown>>;

function planEnv(): NodeJS.ProcessEnv {
  return cliEnvFor(emu, { taskStore: dbPath, pipelinePublicKey, stationKeys });
}

/** `keyfleet plan <the project's specs> --json`, as the pull request's comment is made. */
async function keyfleetPlan(): Promise<PlanJson> {
  const r = await runCli(["plan", project.specsDir, "--json"], { env: planEnv(), timeoutMs: 120_000 });
  if (r.code !== 0 && r.code !== 1)
    throw new Error(`keyfleet plan exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout + r.stderr).not.toContain(emu.clientSecret);
  return JSON.parse(r.stdout) as PlanJson;
}

/** `pulumi preview|up --json`: the KeyAssignment steps by assignment. */
async function engineRun(args: string[]) {
  const r = await project.pulumi([...args, "--json"]);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout + r.stderr).not.toContain(emu.clientSecret);
  const steps = parseEngineEvents(r.stdout);
  if (args[0] === "up") {
    const unfinished = steps.filter((s) => !s.finished).map((s) => `${s.op} ${s.urn}`);
    expect(unfinished, "steps up announced and never finished").toEqual([]);
  }
  return stepsByAssignment(steps);
}

interface StateOutputs {
  assignmentId: string;
  status: string;
  generation: number;
  methodId: string;
  adopted: boolean;
}

/** The KeyAssignments in the stack's state, by assignment. */
async function stackState(): Promise<Map<string, StateOutputs>> {
  const state = JSON.parse(await project.ok(["stack", "export"])) as {
    deployment: { resources?: { type: string; outputs?: StateOutputs }[] };
  };
  return new Map(
    (state.deployment.resources ?? [])
      .filter((r) => r.type === KEY_ASSIGNMENT_TYPE && r.outputs)
      .map((r) => [r.outputs?.assignmentId ?? "", r.outputs as StateOutputs]),
  );
}

/** Every assignment the table, the plan or the stack names, sorted. */
function allAssignments(): string[] {
  return [...new Set([...fixtures.map((f) => f.assignmentId), ...rows.keys(), ...existedBefore])].sort();
}

function personOf(assignmentId: string): string {
  return assignmentId.split("/")[0] ?? "";
}

async function tasksOf(assignmentId: string): Promise<Task[]> {
  return (await store.list({ assignmentId, kind: "provision" })).sort((x, y) => x.generation - y.generation);
}

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  dir = mkdtempSync(join(tmpdir(), "keyfleet-agreement-"));
  const stateFile = join(dir, "tenant.json");
  emu = await startEmulator({ stateFile });
  project = await createPulumiProject({ specs: join(specsRoot, "before") });
  // `preview --json` then streams the engine's events as `up --json` does: unchanged resources included, and
  // both halves of a replacement in the order they run.
  project.env.PULUMI_ENABLE_STREAMING_JSON_PREVIEW = "true";
  const keyPath = join(project.dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  pipelinePublicKey = `${keyPath}.pub`;
  dbPath = join(project.dir, "tasks.db");
  ({ store: station, stationKeys } = await openAgreementStation(dbPath, join(dir, "station")));
  await project.configure(
    {
      ...emulatorConfig(emu, { taskStore: dbPath, pipelineKey: keyPath }),
      "keyfleet:stationKeys": stationKeys,
    },
    { "keyfleet:entraClientSecret": emu.clientSecret },
  );
  store = openSqliteTaskStore(dbPath);
  entra = entraClientFor(emu);

  // The starting state: a task per slot, the station registers every key but the waiting ones, the lost
  // slot's key is dated before its loss, and a refreshed `up` sees the keys active.
  await project.ok(["up", "--yes", "--skip-preview"]);
  const aaguids = Object.fromEntries(
    fixtures.filter((f) => f.registers).map((f) => [f.assignmentId, f.registers as string]),
  );
  registered = await registerKeysFor(station, entra, aaguids);
  expect([...registered.keys()].sort()).toEqual(Object.keys(aaguids).sort());
  backdateMethod(stateFile, registered.get(`${id.elena}/primary`) ?? "", registeredBeforeLoss);
  await project.ok(["up", "--refresh", "--yes", "--skip-preview"]);
  existedBefore = new Set((await stackState()).keys());

  // Two people register a fitting passkey themselves; the specs change to the "after" state.
  for (const who of [id.ines, id.barbara]) {
    const m = await emu.admin.addSelfRegisteredPasskey(who, { aaGuid: yubikey5, displayName: "my own key" });
    selfRegistered.set(`${who}/primary`, m.id);
  }
  rmSync(project.specsDir, { recursive: true, force: true });
  cpSync(join(specsRoot, "after"), project.specsDir, { recursive: true });
}, 600_000);

afterAll(async () => {
  await store?.close();
  await station?.close();
  await entra?.close();
  await emu?.stop();
  project?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("keyfleet plan, pulumi preview and pulumi up over one table of fixtures", () => {
  it("should start from the state the table describes", async () => {
    // Every slot of the "before" specs is in the stack; the waiting ones are pending, the rest active.
    expect([...existedBefore].sort()).toEqual(
      fixtures
        .filter(
          (f) => f.registers || [`${id.ines}/primary`, `${id.margaret}/primary`].includes(f.assignmentId),
        )
        .map((f) => f.assignmentId)
        .sort(),
    );
    const out = await project.outputs();
    expect(out.counts).toEqual({ pending: 2, active: registered.size });
  });

  it("should plan, for each row, the action the table names", async () => {
    planned = await keyfleetPlan();
    rows = planRows(planned);
    expect(planned.blocked, planned.blockedReasons.join("; ")).toBe(false);
    const got = fixtures.map(
      (f) => `${f.assignmentId} (${f.covers}): ${describePlanRow(rows.get(f.assignmentId))}`,
    );
    const want = fixtures.map((f) => `${f.assignmentId} (${f.covers}): ${f.plan}`);
    expect(got.join("\n")).toBe(want.join("\n"));
    // Nothing else: no assignment outside the table, and no credential the plan leaves unmanaged.
    expect([...rows.keys()].sort()).toEqual(fixtures.map((f) => f.assignmentId).sort());
    expect(planned.actions.filter((a) => !a.assignmentId)).toEqual([]);
    expect(planned.summary.revocations).toBe(3);
    const lost = rows.get(`${id.elena}/primary`)?.credential[0];
    expect(lost?.methodIds).toEqual([registered.get(`${id.elena}/primary`)]);
    expect(lost?.reason).toContain(lostOn);
  });

  it("should preview, for every assignment, the operation the plan's action means", async () => {
    const steps = await engineRun(["preview"]);
    previewOps = new Map(allAssignments().map((a) => [a, engineOp(steps.get(a))]));
    previewInputs = new Map(
      [...steps].flatMap(([a, list]) => {
        const inputs = list.filter((x) => x.newState?.inputs).at(-1)?.newState?.inputs;
        return inputs ? [[a, inputs] as const] : [];
      }),
    );
    const table: AgreementRow[] = allAssignments().map((a) => ({
      assignmentId: a,
      covers: fixtures.find((f) => f.assignmentId === a)?.covers ?? "",
      plan: describePlanRow(rows.get(a)),
      expected: expectedOp(rows.get(a), existedBefore.has(a)),
      preview: previewOps.get(a) ?? "none",
    }));
    const disagree = table.filter((r) => r.preview !== r.expected);
    expect(disagree, `plan and preview disagree:\n${agreementTable(table)}`).toEqual([]);
    // The preview wrote nothing: no task was raised, no key revoked.
    for (const f of fixtures.filter((x) => x.registers)) {
      expect(await fido2MethodIds(entra, personOf(f.assignmentId))).toContain(registered.get(f.assignmentId));
    }
  }, 300_000);

  it("should declare the display name the plan shows, every placeholder rendered within the budget", () => {
    const bk = rows.get(`${id.dev}/bk`)?.key;
    const name = bk?.displayName ?? "";
    // {slot} {model} {serial} {profile} {upn}: the inventory's model and serial, the UPN cut to fit.
    for (const part of ["bk", "K5", "F2-17", "nm", "dev"]) expect(name).toContain(part);
    expect(name.length).toBeLessThanOrEqual(DISPLAY_NAME_BUDGET);
    const declared = previewInputs.get(`${id.dev}/bk`)?.profile as { displayName?: unknown } | undefined;
    expect(declared?.displayName).toBe(name);
  });

  it("should hand every KeyAssignment the plan's own decision for it", () => {
    // What the provider executes (providers/assignmentDecision.ts), as the preview declared it, against the
    // plan's actions for the same assignment.
    const fromPlan = (row: PlanRow | undefined): string => {
      const k = row?.key;
      if (!k || !["provision", "wait", "keep", "adopt", "replace"].includes(k.kind)) return "(not declared)";
      const now = row.credential
        .flatMap((c) => (c.kind === "revoke" && c.cause === "lost" ? (c.methodIds ?? []) : []))
        .sort();
      const method = k.kind === "replace" ? k.retiringMethodId : (k.methodId ?? "");
      return `${k.kind} g${k.kind === "keep" ? 0 : k.generation} ${method || "-"} revokeNow=[${now.join(",")}]`;
    };
    const fromInputs = (inputs: Record<string, unknown> | undefined): string => {
      const d = inputs && assignmentFromWire(inputs as unknown as AssignmentWire).decision;
      if (!d) return "(not declared)";
      return `${d.kind} g${d.generation} ${d.methodId || "-"} revokeNow=[${[...d.revokeNow].sort().join(",")}]`;
    };
    const got = allAssignments().map((a) => `${a}: ${fromInputs(previewInputs.get(a))}`);
    const want = allAssignments().map((a) => `${a}: ${fromPlan(rows.get(a))}`);
    expect(got.join("\n")).toBe(want.join("\n"));
  });

  it("should carry out with up exactly the operations the preview showed", async () => {
    const steps = await engineRun(["up", "--yes", "--skip-preview"]);
    const table: AgreementRow[] = allAssignments().map((a) => ({
      assignmentId: a,
      covers: fixtures.find((f) => f.assignmentId === a)?.covers ?? "",
      plan: describePlanRow(rows.get(a)),
      expected: expectedOp(rows.get(a), existedBefore.has(a)),
      preview: previewOps.get(a) ?? "none",
      up: engineOp(steps.get(a)),
    }));
    const disagree = table.filter((r) => r.up !== r.expected || r.preview !== r.expected);
    expect(disagree, `plan, preview and up disagree:\n${agreementTable(table)}`).toEqual([]);
  }, 300_000);

  it("should leave Entra and the task store holding what the plan said", async () => {
    const problems: string[] = [];
    const methodsOf = new Map<string, string[]>();
    const methods = async (person: string) => {
      const cached = methodsOf.get(person);
      if (cached) return cached;
      const list = await fido2MethodIds(entra, person);
      methodsOf.set(person, list);
      return list;
    };
    const stack = await stackState();
    for (const [assignmentId, row] of rows) {
      const key = row.key;
      const state = stack.get(assignmentId);
      const say = (what: string) =>
        problems.push(`${assignmentId} ${describePlanRow(row)}: the stack ${what}`);
      if (!key || !["provision", "wait", "keep", "adopt", "replace"].includes(key.kind)) {
        if (state) say("still holds it");
        continue;
      }
      const want =
        key.kind === "keep" || key.kind === "adopt"
          ? `active ${key.methodId}${key.kind === "adopt" ? " adopted" : ""}`
          : `pending g${key.generation}`;
      const got = !state
        ? "nothing"
        : state.status === "active"
          ? `active ${state.methodId}${state.adopted ? " adopted" : ""}`
          : `pending g${state.generation}`;
      if (got !== want) say(`holds ${got}, not ${want}`);
    }
    for (const a of planned.actions) {
      if (!a.assignmentId) continue;
      const who = personOf(a.assignmentId);
      const held = await methods(who);
      const tasks = await tasksOf(a.assignmentId);
      const say = (what: string) =>
        problems.push(`${a.assignmentId} ${a.kind}${a.cause ? `:${a.cause}` : ""}: ${what}`);
      switch (a.kind) {
        case "revoke":
          for (const m of a.methodIds ?? []) if (held.includes(m)) say(`${m} is still registered`);
          break;
        case "keep":
          if (!held.includes(a.methodId ?? "")) say(`${a.methodId} is gone`);
          break;
        case "replace": {
          // Created before delete: the old key stays until its replacement is active.
          if (!held.includes(a.retiringMethodId ?? ""))
            say(`the retiring ${a.retiringMethodId} is gone already`);
          const next = tasks.find((t) => t.generation === a.generation);
          if (next?.state !== "pending")
            say(`task g${a.generation} is ${next?.state ?? "missing"}, not pending`);
          if (next && next.profile.credProtect !== 3)
            say(`task g${a.generation} asks for credProtect ${next.profile.credProtect}`);
          // ... and its revocation waits, signed, for the new generation to be done.
          const retire = await store.list({ assignmentId: `${a.assignmentId}~retire`, kind: "revoke" });
          const gated = retire.map(
            (t) => `${t.state} ${t.revoke?.methodId} after g${t.revoke?.afterGeneration}`,
          );
          if (gated.join() !== `pending ${a.retiringMethodId} after g${a.generation}`)
            say(`the deferred revocation reads [${gated.join("; ")}]`);
          break;
        }
        case "provision": {
          const next = tasks.find((t) => t.generation === a.generation);
          if (next?.state !== "pending")
            say(`task g${a.generation} is ${next?.state ?? "missing"}, not pending`);
          else if (next.profile.displayName !== a.displayName)
            say(
              `task g${a.generation} carries '${next.profile.displayName}', the plan showed '${a.displayName}'`,
            );
          break;
        }
        case "adopt": {
          if (!held.includes(a.methodId ?? "")) say(`${a.methodId} is gone`);
          const done = tasks.find((t) => t.generation === a.generation);
          if (
            done?.state !== "done" ||
            done.result?.kind !== "adopted" ||
            done.result.methodId !== a.methodId
          )
            say(
              `task g${a.generation} is ${done?.state ?? "missing"} (${done?.result?.kind ?? "no result"}), not adopted ${a.methodId}`,
            );
          for (const g of a.cancelGenerations ?? []) {
            const t = tasks.find((x) => x.generation === g);
            if (t?.state !== "cancelled") say(`task g${g} is ${t?.state ?? "missing"}, not cancelled`);
          }
          break;
        }
        case "wait": {
          const t = tasks.find((x) => x.generation === a.generation);
          if (t?.state !== "pending") say(`task g${a.generation} is ${t?.state ?? "missing"}, not pending`);
          break;
        }
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
    // The rows the table names, spelled out: the lost, retired and removed keys are revoked, on record.
    const revoked = [`${id.elena}/primary`, `${id.farid}/backup`, `${id.jonas}/primary`].map(
      (a) => registered.get(a) ?? "",
    );
    const records = await openRecordStore(`sqlite:${dbPath}`);
    try {
      const revocations = (await records.list({ action: "revocation" })).map((r) => r.subject.methodId);
      expect(revocations.sort()).toEqual([...revoked].sort());
    } finally {
      await records.close();
    }
    expect(selfRegistered.get(`${id.barbara}/primary`)).toBe(
      rows.get(`${id.barbara}/primary`)?.key?.methodId,
    );
    expect(selfRegistered.get(`${id.ines}/primary`)).toBe(rows.get(`${id.ines}/primary`)?.key?.methodId);
  }, 120_000);

  it("should then plan no revocation and preview no change: the three agree the work is under way", async () => {
    const again = await keyfleetPlan();
    const kinds = planRows(again);
    const got = [...kinds].map(([a, r]) => `${a}: ${describePlanRow(r)}`).sort();
    const want = allAssignments()
      .filter((a) => a !== `${id.jonas}/primary`)
      .map((a) => {
        const before = rows.get(a)?.key?.kind;
        if (a === `${id.farid}/backup`) return `${a}: gone:retired`;
        return `${a}: ${before === "keep" || before === "adopt" ? "keep" : "wait"}`;
      });
    expect(got.join("\n")).toBe(want.join("\n"));
    expect(again.summary.revocations).toBe(0);
    const steps = await engineRun(["preview"]);
    const changed = [...steps].map(([a, s]) => [a, engineOp(s)]).filter(([, op]) => op !== "same");
    expect(changed).toEqual([]);
  }, 300_000);
});
