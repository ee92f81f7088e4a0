// Validate + plan at organisation scale: generated people (100,000 by default), one spec file per
// department (~50 departments), three group assignments, and a synthetic actual state in which about
// half the keys are already registered. Each size runs in a fresh process (so peak memory is that
// size's own), beside a plain parse of the same files by PyYAML's C loader (libyaml), the yardstick.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ActualState, parseActualState, plan, type TaskFact } from "../core/plan/index.js";
import { loadSpecDir } from "../core/spec/index.js";
import { measure, printTable } from "./table.js";

const PEOPLE = Number(process.env.KEYFLEET_BENCH_PEOPLE ?? 100_000);
/** Sizes whose peak memory the bench prints; KEYFLEET_BENCH_PEOPLE runs that one size only. */
const SIZES = process.env.KEYFLEET_BENCH_PEOPLE ? [PEOPLE] : [25_000, 50_000, 100_000];
const GOAL_MS = 10_000;
const GOAL_MIB = 1024;
const CHILD_FLAG = "--keyfleet-specs-bench-child";
const DEPARTMENTS = 50;
const YK = "ee882879-721c-4913-9775-3dfcce97072a";
const FT = "833b721a-ff5f-4d00-bb2e-bdda3ec01e29";
const MSA = "de1e552d-db1d-4423-a619-566b625cdc84";

const objectId = (i: number) =>
  `${i.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
const upn = (i: number) => `user${i}@bench.example`;

export function writeSpecs(dir: string, people = PEOPLE): number {
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
  const per = Math.ceil(people / DEPARTMENTS);
  for (let d = 0; d < DEPARTMENTS; d++) {
    const lines = [`${header}kind: People\npeople:`];
    for (let i = d * per; i < Math.min(people, (d + 1) * per); i++) {
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

function actualState(count: number): ActualState {
  const people: ActualState["people"] = [];
  const tasks: TaskFact[] = [];
  for (let i = 0; i < count; i++) {
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
    Array.from({ length: Math.floor(count / step) }, (_, k) => objectId(from + k * step)).filter(
      (_, k) => from + k * step < count,
    );
  const groups = [
    { id: objectId(900_000_000), displayName: "Admins", members: members(1, 1000) },
    { id: objectId(900_000_001), displayName: "Engineering", members: members(2, 5) },
    { id: objectId(900_000_002), displayName: "Plant", members: members(3, 20) },
  ];
  return { apiVersion: "keyfleet.dev/v1", kind: "ActualState", people, groups, tasks };
}

/** What one size measured, reported by its child process. */
interface SizeFigures {
  people: number;
  files: number;
  mib: number;
  validateMs: number;
  /** CPU time (user + system, all threads): what a busy machine's wall time hides. */
  validateCpuMs: number;
  validatePeakRssMiB: number;
  planMs: number;
  planCpuMs: number;
  planPeakRssMiB: number;
  actions: number;
  /** The process's peak resident memory over validate and plan (and the bench's own set-up). */
  maxRssMiB: number;
  /** Milliseconds PyYAML's CSafeLoader took to parse the same files, wall and CPU. */
  pyyamlMs: number;
  pyyamlCpuMs: number;
  /** One-minute load average when the size finished (2 cores: above 2, other work competed). */
  load: number;
}

async function measureCpu<T>(fn: () => Promise<T> | T) {
  const before = process.cpuUsage();
  const m = await measure(fn);
  const cpu = process.cpuUsage(before);
  return { ...m, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** The child: writes the specs for one size, validates, plans, times PyYAML, prints JSON. */
async function child(people: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kf-bench-specs-"));
  try {
    const bytes = writeSpecs(dir, people);
    const validate = await measureCpu(() => loadSpecDir(dir));
    const loaded = validate.result;
    if (!loaded.ok) throw new Error(`generated spec is invalid: ${loaded.issues[0]?.message}`);
    const actual = parseActualState(JSON.parse(JSON.stringify(actualState(people))));
    const planned = await measureCpu(() =>
      plan(loaded.spec, actual, { today: "2025-03-01", allowMassRevoke: true }),
    );
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    const pyyaml = pyyamlParse(dir);
    const figures: SizeFigures = {
      people,
      files: loaded.files,
      mib: bytes / 2 ** 20,
      validateMs: validate.ms,
      validateCpuMs: validate.cpuMs,
      validatePeakRssMiB: validate.peakRssMiB,
      planMs: planned.ms,
      planCpuMs: planned.cpuMs,
      planPeakRssMiB: planned.peakRssMiB,
      actions: planned.result.actions.length,
      maxRssMiB,
      pyyamlMs: pyyaml.ms,
      pyyamlCpuMs: pyyaml.cpuMs,
      load: loadavg()[0] ?? 0,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses every spec file under dir with PyYAML's C loader (load_all, as files hold several documents). */
function pyyamlParse(dir: string): { ms: number; cpuMs: number } {
  const script = [
    "import os, sys, time",
    "import yaml",
    "loader = yaml.CSafeLoader",
    "paths = sorted(os.path.join(r, f) for r, _, fs in os.walk(sys.argv[1]) for f in fs if f.endswith(('.yaml', '.yml')))",
    "t = time.perf_counter()",
    "c = time.process_time()",
    "docs = 0",
    "for p in paths:",
    "    with open(p, 'rb') as fh:",
    "        docs += sum(1 for _ in yaml.load_all(fh.read(), Loader=loader))",
    "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000, docs)",
  ].join("\n");
  const r = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(
      `PyYAML's C loader (yaml.CSafeLoader, Debian's python3-yaml) is needed for the comparison: apt-get install python3-yaml\n${r.error?.message ?? r.stderr}`,
    );
  }
  const [ms, cpuMs] = r.stdout.trim().split(/\s+/).map(Number);
  return { ms: ms ?? Number.NaN, cpuMs: cpuMs ?? Number.NaN };
}

function runSize(people: number): SizeFigures {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, CHILD_FLAG, String(people)], {
    encoding: "utf8",
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`spec bench at ${people} people failed:\n${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as SizeFigures;
}

const verdict = (ok: boolean) => (ok ? "met" : "missed");

export async function run(): Promise<void> {
  const sizes = SIZES.map(runSize);
  const top = sizes[sizes.length - 1] as SizeFigures;
  const both = top.validateMs + top.planMs;
  const bothCpu = top.validateCpuMs + top.planCpuMs;
  const ms = (wall: number, cpu: number) => `${fmt(wall)} ms (CPU ${fmt(cpu)} ms)`;
  printTable(
    [
      "measure",
      `${top.people.toLocaleString("en-US")} people, ${top.files} files, ${top.mib.toFixed(1)} MiB (load ${top.load.toFixed(1)})`,
      "goal",
      "",
    ],
    [
      [
        "validate (read + parse + schema + checks)",
        `${ms(top.validateMs, top.validateCpuMs)}, peak RSS ${fmt(top.validatePeakRssMiB)} MiB`,
        "",
        "",
      ],
      [
        "plan (core/plan plan(), synthetic actual state)",
        `${ms(top.planMs, top.planCpuMs)}, ${top.actions.toLocaleString("en-US")} actions`,
        "",
        "",
      ],
      ["validate + plan, CPU", `${fmt(bothCpu)} ms`, `<= ${fmt(GOAL_MS)} ms`, verdict(bothCpu <= GOAL_MS)],
      [
        `validate + plan, wall (load ${top.load.toFixed(1)} on 2 cores)`,
        `${fmt(both)} ms`,
        `<= ${fmt(GOAL_MS)} ms`,
        verdict(both <= GOAL_MS),
      ],
      [
        "peak RSS of the process (specs, actual state, validate, plan)",
        `${fmt(top.maxRssMiB)} MiB`,
        `<= ${fmt(GOAL_MIB)} MiB`,
        verdict(top.maxRssMiB <= GOAL_MIB),
      ],
      ["PyYAML CSafeLoader, parse only", ms(top.pyyamlMs, top.pyyamlCpuMs), "", ""],
      [
        "validate / CSafeLoader, CPU",
        `${(top.validateCpuMs / top.pyyamlCpuMs).toFixed(2)}x (wall ${(top.validateMs / top.pyyamlMs).toFixed(2)}x)`,
        "",
        "",
      ],
      [
        // CPU, not wall: on a shared machine wall time measures the neighbours.
        "(load + validate + plan) / CSafeLoader, CPU",
        `${(bothCpu / top.pyyamlCpuMs).toFixed(2)}x (wall ${(both / top.pyyamlMs).toFixed(2)}x)`,
        "<= 1x",
        verdict(bothCpu <= top.pyyamlCpuMs),
      ],
    ],
  );
  printTable(
    [
      "people",
      "validate ms",
      "validate CPU ms",
      "validate peak RSS MiB",
      "plan ms",
      "plan CPU ms",
      "plan peak RSS MiB",
      "process peak RSS MiB",
      "goal",
      "",
      "load",
    ],
    sizes.map((s) => [
      s.people,
      Math.round(s.validateMs),
      Math.round(s.validateCpuMs),
      Math.round(s.validatePeakRssMiB),
      Math.round(s.planMs),
      Math.round(s.planCpuMs),
      Math.round(s.planPeakRssMiB),
      Math.round(s.maxRssMiB),
      `<= ${GOAL_MIB} MiB`,
      verdict(s.maxRssMiB <= GOAL_MIB),
      s.load.toFixed(1),
    ]),
  );
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);
}

if (process.argv[2] === CHILD_FLAG) await child(Number(process.argv[3]));
