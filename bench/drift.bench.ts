// `keyfleet drift` over a large synthetic tenant: the emulator runs in its own process (so the figures are
// drift's own), everyone is a member of one group the spec gives a key, a share of them hold keys (attested,
// synced, foreign, self-registered) with tasks done, pending and failed in a SQLite store. Reports Graph
// requests per person, time and peak memory of the read + compute + render, with and without throttling,
// at 25,000, 50,000 and 100,000 people (each size in a fresh process), beside the goals. Measures; never
// asserts.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeDrift, formatDriftMarkdown, readDriftState, renderDriftHtml } from "../core/drift/index.js";
import { EntraClient, listGroupUsers, resolveEntraConfig } from "../core/entra/index.js";
import { generateSigningKey } from "../core/signing/ed25519.js";
import { loadSpecFiles } from "../core/spec/index.js";
import { openTaskStore } from "../core/tasks/openTaskStore.js";
import type { TaskStore } from "../core/tasks/store.js";
import { EmulatorAdmin } from "../emulator/adminClient.js";
import { measure, printTable } from "./table.js";

const YK = "ee882879-721c-4913-9775-3dfcce97072a";
const OTHER = "833b721a-ff5f-4d00-bb2e-bdda3ec01e29";
const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

// By object id: the emulator answers $filter on users only, and a large tenant's groups span many pages.
const specYaml = (groupId: string) => `apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: yubikey-5
aaguids: [${YK}]
---
apiVersion: keyfleet.dev/v1
kind: GroupAssignment
name: all-staff
group: { objectId: ${groupId} }
profile: yubikey-5
keys: 1
`;

interface Emulator {
  url: string;
  caCertPath: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  adminSecret: string;
  child: ChildProcess;
}

/** Sizes the bench runs, each in a fresh process (its peaks are that size's own); KEYFLEET_BENCH_PEOPLE: one. */
const SIZES = process.env.KEYFLEET_BENCH_PEOPLE
  ? [Number(process.env.KEYFLEET_BENCH_PEOPLE)]
  : [25_000, 50_000, 100_000];
const CHILD_FLAG = "--keyfleet-drift-bench-child";
const GOAL_REQUESTS_PER_PERSON = 0.06;
const GOAL_SECONDS = 60;
/** 1 GB, in MiB. */
const GOAL_MIB = 1e9 / 2 ** 20;

/** One drift run (read + compute + render) as the child measured it. */
interface RunFigures {
  label: string;
  people: number;
  requests: number;
  throttled: number;
  findings: number;
  markdownChars: number;
  seconds: number;
  cpuSeconds: number;
  read: number;
  compute: number;
  render: number;
  /** The process's RSS when the run began (modules, task store, the previous run's garbage). */
  rssBeforeMiB: number;
  /** Sampled every 20 ms during the run. */
  peakRssMiB: number;
  peakHeapMiB: number;
  /** The process's peak so far (set-up included: the task store, the seeding). */
  maxRssMiB: number;
  /** One-minute load average after the run (2 cores: above 2, other work competed). */
  load: number;
}

interface SizeFigures {
  people: number;
  held: number;
  emulatorStartSeconds: number;
  seedSeconds: number;
  runs: RunFigures[];
}

const verdict = (ok: boolean) => (ok ? "met" : "missed");

export async function run(): Promise<void> {
  const sizes = SIZES.map(runSize);
  const all = sizes.flatMap((s) => s.runs);
  printTable(
    [
      "run",
      "people read",
      "Graph requests",
      "requests/person",
      "items retried (429)",
      "findings",
      "markdown chars",
      "seconds",
      "CPU s",
      "read s",
      "compute s",
      "render s",
      "RSS before MiB",
      "peak RSS MiB",
      "peak heap MiB",
      "load",
    ],
    all.map((r) => [
      r.label,
      r.people,
      r.requests,
      r.requests / Math.max(1, r.people),
      r.throttled,
      r.findings,
      r.markdownChars,
      r.seconds,
      r.cpuSeconds,
      r.read,
      r.compute,
      r.render,
      r.rssBeforeMiB,
      r.peakRssMiB,
      r.peakHeapMiB,
      r.load.toFixed(1),
    ]),
  );
  const rows: (string | number)[][] = [];
  for (const s of sizes) {
    const plain = s.runs[0] as RunFigures;
    const worst = (f: (r: RunFigures) => number) => Math.max(...s.runs.map(f));
    const perPerson = worst((r) => r.requests / Math.max(1, r.people));
    const seconds = worst((r) => r.seconds);
    const cpu = worst((r) => r.cpuSeconds);
    const rss = worst((r) => r.peakRssMiB);
    const n = s.people.toLocaleString("en-US");
    rows.push(
      [
        `${n}: Graph requests per person`,
        perPerson.toFixed(4),
        `<= ${GOAL_REQUESTS_PER_PERSON}`,
        verdict(perPerson <= GOAL_REQUESTS_PER_PERSON),
      ],
      [
        `${n}: seconds, wall (load ${plain.load.toFixed(1)} on 2 cores)`,
        seconds.toFixed(1),
        `<= ${GOAL_SECONDS}`,
        verdict(seconds <= GOAL_SECONDS),
      ],
      [
        `${n}: seconds, CPU of the drift process`,
        cpu.toFixed(1),
        `<= ${GOAL_SECONDS}`,
        verdict(cpu <= GOAL_SECONDS),
      ],
      [
        `${n}: peak RSS MiB (read + compute + render)`,
        Math.round(rss),
        `<= ${Math.round(GOAL_MIB)} (1 GB)`,
        verdict(rss <= GOAL_MIB),
      ],
    );
  }
  printTable(["measure (worst of the two runs)", "value", "goal", ""], rows);
  printTable(
    ["set-up", "people", "keys held", "seconds"],
    sizes.flatMap((s) => [
      ["emulator start (own process)", s.people, "", s.emulatorStartSeconds],
      ["seed passkeys and tasks", s.people, s.held, s.seedSeconds],
    ]),
  );
  process.stdout.write(
    "Peaks are the drift process's own (the emulator runs in a child process, each size in a fresh process).\n",
  );
}

function runSize(people: number): SizeFigures {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, CHILD_FLAG, String(people)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`drift bench at ${people} people failed (exit ${r.status})`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as SizeFigures;
}

async function child(people: number): Promise<void> {
  const held = Math.min(2_000, Math.floor(people / 10));
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-drift-bench-"));
  const started = await measure(() => startEmulatorProcess(people, dir));
  const emu = started.result;
  try {
    const caCertPem = readFileSync(emu.caCertPath, "utf8");
    const admin = new EmulatorAdmin({ url: emu.url, adminSecret: emu.adminSecret, caCertPem });
    const config = resolveEntraConfig({
      auth: "client-secret",
      cloud: "custom",
      authorityHost: emu.url,
      graphUrl: emu.url,
      graphScope: "https://graph.microsoft.com/.default",
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      caCertPem,
      concurrency: process.env.KEYFLEET_GRAPH_CONCURRENCY ?? 4,
    });
    const store = await openTaskStore(`sqlite:${join(dir, "tasks.db")}`);
    const probe = new EntraClient(config);
    let allStaff = "";
    for await (const page of probe.pages<{ id: string; displayName: string }>("/groups?$top=999")) {
      allStaff = page.find((g) => g.displayName === "Synthetic All Staff")?.id.toLowerCase() ?? allStaff;
    }
    const seeded = await measure(() => seed(store, admin, probe, allStaff, held));
    await probe.close();
    const spec = loadSpecFiles([{ path: "fleet.yaml", text: specYaml(allStaff) }]);
    if (!spec.ok) throw new Error(spec.issues.map((i) => i.message).join("; "));

    const runs: RunFigures[] = [];
    for (const [label, throttle] of [
      ["no throttling", null],
      ["throttled (4,000 requests per 2 s)", { requestsPerWindow: 4_000, windowSeconds: 2 }],
    ] as const) {
      await admin.setThrottle(throttle);
      const entra = new EntraClient(config);
      let findings = 0;
      let markdownChars = 0;
      const phases = { read: 0, compute: 0, render: 0 };
      const rssBefore = process.memoryUsage().rss / 2 ** 20;
      const cpuBefore = process.cpuUsage();
      const m = await measure(async () => {
        let t = performance.now();
        const tasks = await store.list();
        const { actual, timings } = await readDriftState(entra, spec.spec, tasks);
        phases.read = performance.now() - t;
        t = performance.now();
        const report = computeDrift(spec.spec, actual, {
          today: new Date().toISOString().slice(0, 10),
          timings,
        });
        phases.compute = performance.now() - t;
        t = performance.now();
        findings = report.findings.length;
        markdownChars = formatDriftMarkdown(report).length;
        renderDriftHtml(report);
        phases.render = performance.now() - t;
        return actual.people.length;
      });
      const cpu = process.cpuUsage(cpuBefore);
      await entra.close();
      runs.push({
        label,
        people: m.result,
        requests: entra.stats.requests,
        throttled: entra.stats.throttled,
        findings,
        markdownChars,
        seconds: m.ms / 1000,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        read: phases.read / 1000,
        compute: phases.compute / 1000,
        render: phases.render / 1000,
        rssBeforeMiB: rssBefore,
        peakRssMiB: m.peakRssMiB,
        peakHeapMiB: m.peakHeapMiB,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
        load: loadavg()[0] ?? 0,
      });
    }
    await admin.setThrottle({ requestsPerWindow: 130_000, windowSeconds: 10 });
    await store.close();
    const figures: SizeFigures = {
      people,
      held,
      emulatorStartSeconds: started.ms / 1000,
      seedSeconds: seeded.ms / 1000,
      runs,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    emu.child.kill("SIGTERM");
    await new Promise((resolve) => emu.child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `keyfleet emulator --synthetic N --json` in a child process; resolves with its connection details. */
function startEmulatorProcess(people: number, dir: string): Promise<Emulator> {
  const child = spawn(
    process.execPath,
    [cli, "emulator", "--synthetic", String(people), "--json", "--data-dir", join(dir, "emulator")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const end = out.indexOf("\n}");
      if (end >= 0) resolve({ ...(JSON.parse(out.slice(0, end + 2)) as Omit<Emulator, "child">), child });
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code} before it was ready`)));
  });
}

/**
 * Every tenth person (up to `held`) gets a key through a done task; among them some are synced, some not
 * attested, some foreign; as many again have a pending task, a tenth as many a failed one, and a tenth as
 * many a passkey they registered themselves.
 */
async function seed(
  store: TaskStore,
  admin: EmulatorAdmin,
  entra: EntraClient,
  groupId: string,
  held: number,
): Promise<void> {
  const signer = generateSigningKey();
  const users = await listGroupUsers(entra, groupId);
  const profile = {
    name: "yubikey-5",
    allowedAaguids: [YK],
    allowedModels: [],
    pinLength: 8,
    forceChangePin: true,
    credProtect: 3 as const,
    displayName: "group-all-staff-1 YK5",
  };
  const raise = (u: { id: string; userPrincipalName: string }) =>
    store.raise(
      {
        assignmentId: `${u.id.toLowerCase()}/group-all-staff-1`,
        generation: 1,
        person: { objectId: u.id.toLowerCase(), userPrincipalName: u.userPrincipalName },
        slot: "group-all-staff-1",
        profile,
      },
      signer,
    );
  // Done first, then failed, then pending: a claim takes the oldest claimable task.
  const failedFrom = held;
  const pendingFrom = held + Math.floor(held / 10);
  for (let i = 0; i < pendingFrom + held; i++) {
    const u = users[i * 10 + 1];
    if (!u) break;
    const { task } = await raise(u);
    if (i >= pendingFrom) continue;
    const claimed = await store.claimNext({ stationId: "bench", leaseMs: 60_000 });
    if (!claimed?.lease || claimed.id !== task.id) throw new Error("bench: claimed the wrong task");
    if (i >= failedFrom) {
      await store.fail(task.id, claimed.lease, { reason: "no key at hand", retryable: false });
      continue;
    }
    const m = await again(() =>
      admin.addSelfRegisteredPasskey(u.id, {
        aaGuid: i % 50 === 0 ? OTHER : YK,
        displayName: "group-all-staff-1 YK5",
        passkeyType: i % 40 === 0 ? "synced" : "deviceBound",
        attestationLevel: i % 30 === 0 ? "notAttested" : "attested",
      }),
    );
    const registering = await store.markRegistering(task.id, claimed.lease, { credentialId: m.id });
    await store.complete(task.id, registering.lease ?? claimed.lease, {
      kind: "registered",
      methodId: m.id,
      aaGuid: m.aaGuid,
      credentialId: m.id,
      registeredAt: new Date().toISOString(),
    });
  }
  for (let i = 0; i < held / 10; i++) {
    const u = users[i * 10 + 5];
    if (u)
      await again(() => admin.addSelfRegisteredPasskey(u.id, { aaGuid: OTHER, displayName: "my own key" }));
  }
}

/** The admin client sends once; a set-up call the busy emulator drops (socket hang up) is sent again. */
async function again<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= 3 || (err as NodeJS.ErrnoException).code !== "ECONNRESET") throw err;
      process.stderr.write(`drift bench: admin call dropped (attempt ${attempt}); sending again\n`);
    }
  }
}

if (process.argv[2] === CHILD_FLAG) await child(Number(process.argv[3]));
