// Validate + plan at organisation scale: 100,000 generated people, one spec file per department
// (~50 departments), three group assignments, and a synthetic actual state in which about half the
// keys are already registered. Prints time and peak memory per phase.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { type ActualState, parseActualState, plan, type TaskFact } from "../core/plan/index.js";
import { loadSpecDir } from "../core/spec/index.js";
import { measure, printTable } from "./table.js";

const PEOPLE = Number(process.env.KEYFLEET_BENCH_PEOPLE ?? 100_000);
const DEPARTMENTS = 50;
const YK = "ee882879-721c-4913-9775-3dfcce97072a";
const FT = "833b721a-ff5f-4d00-bb2e-bdda3ec01e29";
const MSA = "de1e552d-db1d-4423-a619-566b625cdc84";

const objectId = (i: number) =>
  `${i.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
const upn = (i: number) => `user${i}@bench.example`;

export function writeSpecs(dir: string): number {
  const header = "# yaml-language-server: $schema=../keyfleet.schema.json\napiVersion: keyfleet.dev/v1\n";
  writeFileSync(
    join(dir, "profiles.yaml"),
    `${header}kind: KeyProfile\nname: yk\naaguids: [${YK}]\n---\napiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: ft\naaguids: [${FT}]\n`,
  );
  writeFileSync(join(dir, "policy.yaml"), `${header}kind: Policy\nmaxRevokeShare: 0.1\n`);
  const groups = ["admins", "engineering", "plant"]
    .map(
      (g, k) =>
        `apiVersion: keyfleet.dev/v1\nkind: GroupAssignment\nname: ${g}\ngroup: { objectId: ${objectId(900_000_000 + k)} }\nprofile: ${k === 2 ? "ft" : "yk"}\nkeys: ${k === 0 ? 2 : 1}\n`,
    )
    .join("---\n");
  writeFileSync(join(dir, "groups.yaml"), `# yaml-language-server: $schema=keyfleet.schema.json\n${groups}`);
  mkdirSync(join(dir, "people"));
  let bytes = 0;
  const per = Math.ceil(PEOPLE / DEPARTMENTS);
  for (let d = 0; d < DEPARTMENTS; d++) {
    const lines = [`${header}kind: People\npeople:`];
    for (let i = d * per; i < Math.min(PEOPLE, (d + 1) * per); i++) {
      if (i % 10 === 0) lines.push(`  - objectId: ${objectId(i)}\n    keys: 2\n    profile: yk`);
      else {
        const backup =
          i % 3 === 0
            ? `\n      backup: { profile: ft${i % 97 === 0 ? ', state: lost, since: "2025-01-15"' : ""} }`
            : "";
        const leaving = i % 500 === 0 ? '\n    leaving: "2025-01-31"' : "";
        lines.push(
          `  - userPrincipalName: ${upn(i)}${leaving}\n    slots:\n      primary: { profile: yk }${backup}`,
        );
      }
    }
    const text = `${lines.join("\n")}\n`;
    bytes += text.length;
    writeFileSync(join(dir, "people", `department-${String(d).padStart(2, "0")}.yaml`), text);
  }
  return bytes;
}

function actualState(): ActualState {
  const people: ActualState["people"] = [];
  const tasks: TaskFact[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    const id = objectId(i);
    const methods: ActualState["people"][number]["fido2Methods"] = [];
    const slot = i % 10 === 0 ? "key-1" : "primary";
    if (i % 2 === 0) {
      methods.push({
        id: `m${i}`,
        displayName: "primary",
        aaGuid: YK,
        model: null,
        createdDateTime: "2024-10-01T00:00:00Z",
      });
      tasks.push({ assignmentId: `${id}/${slot}`, generation: 1, state: "done", methodId: `m${i}` });
    } else if (i % 7 === 0) tasks.push({ assignmentId: `${id}/${slot}`, generation: 1, state: "pending" });
    if (i % 13 === 0) {
      methods.push({
        id: `a${i}`,
        displayName: "phone",
        aaGuid: MSA,
        model: null,
        createdDateTime: "2024-01-01T00:00:00Z",
      });
    }
    people.push({ id, userPrincipalName: upn(i), fido2Methods: methods });
  }
  const members = (from: number, step: number) =>
    Array.from({ length: Math.floor(PEOPLE / step) }, (_, k) => objectId(from + k * step)).filter(
      (_, k) => from + k * step < PEOPLE,
    );
  const groups = [
    { id: objectId(900_000_000), displayName: "Admins", members: members(1, 1000) },
    { id: objectId(900_000_001), displayName: "Engineering", members: members(2, 5) },
    { id: objectId(900_000_002), displayName: "Plant", members: members(3, 20) },
  ];
  return { apiVersion: "keyfleet.dev/v1", kind: "ActualState", people, groups, tasks };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kf-bench-specs-"));
  try {
    const gen = await measure(() => writeSpecs(dir));
    const yamlOnly = await measure(async () => {
      let docs = 0;
      for (const f of readdirSync(join(dir, "people"))) {
        docs += parseAllDocuments(readFileSync(join(dir, "people", f), "utf8"), {
          lineCounter: new LineCounter(),
        }).length;
      }
      return docs;
    });
    const validate = await measure(() => loadSpecDir(dir));
    if (!validate.result.ok)
      throw new Error(`generated spec is invalid: ${validate.result.issues[0]?.message}`);
    const spec = validate.result.spec;
    const json = JSON.stringify(actualState());
    const parse = await measure(() => parseActualState(JSON.parse(json)));
    const planned = await measure(() =>
      plan(spec, parse.result, { today: "2025-03-01", allowMassRevoke: true }),
    );
    const c = planned.result.summary.counts;
    printTable(
      ["phase", "items", "ms", "peak RSS MiB", "peak heap MiB"],
      [
        [
          "write 50 department files",
          `${(gen.result / 2 ** 20).toFixed(1)} MiB YAML`,
          gen.ms,
          gen.peakRssMiB,
          gen.peakHeapMiB,
        ],
        [
          "YAML parsing alone (yaml library)",
          `${yamlOnly.result} documents`,
          yamlOnly.ms,
          yamlOnly.peakRssMiB,
          yamlOnly.peakHeapMiB,
        ],
        [
          "validate (load + schema + checks)",
          `${spec.people.length} people`,
          validate.ms,
          validate.peakRssMiB,
          validate.peakHeapMiB,
        ],
        [
          "parse actual state",
          `${(json.length / 2 ** 20).toFixed(1)} MiB JSON`,
          parse.ms,
          parse.peakRssMiB,
          parse.peakHeapMiB,
        ],
        [
          "plan",
          `${planned.result.actions.length} actions`,
          planned.ms,
          planned.peakRssMiB,
          planned.peakHeapMiB,
        ],
      ],
    );
    printTable(
      ["desired keys", "provision", "keep", "wait", "revoke", "unmanaged"],
      [[planned.result.summary.desiredKeys, c.provision, c.keep, c.wait, c.revoke, c["unmanaged-report"]]],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
