// Station benchmark: keys provisioned per minute with 1, 4 and 8 keys in parallel (the real runner, the Entra
// emulator, the SQLite store with FULL sync, sealed PIN delivery), each key as slow as a real one: the keys
// run in a process of their own (bench/stationKeyFarm.ts) and wait out the touch and each command's crypto
// time there, the emulator runs in its own process too, so neither one's CPU is counted as the station's.
// Several runs (KEYFLEET_BENCH_RUNS, default 5); each table gives the median and the spread.
//
// The station's own overhead per key is one key's ceremony wall time minus the time the key spent answering
// (measured per CTAP call at the HID reports), Graph's answers, the task store and the PIN sealing. The CPU
// table says whose work the 8-key case waits for on this machine's cores.

import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import type { Task } from "../core/tasks/model.js";
import { CtapHidDevice } from "../station/ctaphid/hidDevice.js";
import type { KeySource } from "../station/runner/keySource.js";
import { runStation } from "../station/runner/station.js";
import { HID_REPORT_SIZE, type HidConnection } from "../station/transport/connection.js";
import { UdpConnection } from "../station/transport/udp.js";
import {
  ordinaryPeople,
  startWorld,
  TestOperator,
  virtualProfile,
  type World,
} from "../tests/station/runner/world.js";
import { repoRoot } from "../tests/support/cli.js";
import { printTable } from "./table.js";

/** A touch as people give it: about half a second after the key blinks. */
const TOUCH_MS = 500;
/** Each CTAP2 command's time on a real key (P-256 on a secure element), without the touch. */
const COMMAND_MS: Record<number, number> = {
  1: 250, // makeCredential: key generation, attestation signature
  2: 120, // getAssertion: one signature
  4: 10, // getInfo
  6: 80, // clientPIN: ECDH, PIN hash check
  13: 60, // authenticatorConfig
  10: 60, // credential management
  65: 60, // credential management (2.1-PRE)
};
const OTHER_MS = 5;
/** A getAssertion that finds no credential (the silent look for earlier passkeys on a fresh key). */
const NO_CREDENTIAL_MS = 10;

const PARALLEL = [1, 4, 8] as const;
const ROUNDS: Record<number, number> = { 1: 3, 4: 2, 8: 2 };
const RUNS = Math.max(1, Number(process.env.KEYFLEET_BENCH_RUNS ?? 5));
const CBOR_INIT = 0x80 | 0x10;

/** Wraps `target` so that the time spent in the named methods (all, when none are named) adds to `bucket`. */
function timed<T extends object>(target: T, bucket: { ms: number }, only?: readonly string[]): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v: unknown = Reflect.get(t, prop, receiver);
      if (typeof v !== "function" || (only && !only.includes(String(prop)))) return v;
      return (...args: unknown[]) => {
        const start = performance.now();
        const out: unknown = (v as (...a: unknown[]) => unknown).apply(only ? receiver : t, args);
        if (out instanceof Promise) return out.finally(() => (bucket.ms += performance.now() - start));
        bucket.ms += performance.now() - start;
        return out;
      };
    },
  });
}

/** A HID connection that adds the time from each CTAP2 request to its reply to the key's busy time. */
function measuredConnection(inner: HidConnection, id: string, busyMs: Map<string, number>): HidConnection {
  let askedAt: number | undefined;
  return {
    async write(report) {
      if (report.length === HID_REPORT_SIZE && report[4] === CBOR_INIT) askedAt = performance.now();
      await inner.write(report);
    },
    async read(signal) {
      const report = await inner.read(signal);
      if (askedAt !== undefined && report[4] === CBOR_INIT) {
        busyMs.set(id, (busyMs.get(id) ?? 0) + performance.now() - askedAt);
        askedAt = undefined;
      }
      return report;
    },
    close: () => inner.close(),
  };
}

function keySource(ports: readonly number[], busyMs: Map<string, number>): KeySource {
  return {
    list: async () =>
      ports.map((port) => {
        const id = `udp:127.0.0.1:${port}`;
        return {
          id,
          transport: "udp" as const,
          open: async (o?: Parameters<typeof CtapHidDevice.open>[1]) =>
            CtapHidDevice.open(
              measuredConnection(
                await UdpConnection.open({ host: "127.0.0.1", port }, { localPort: 0 }),
                id,
                busyMs,
              ),
              o ?? {},
            ),
        };
      }),
  };
}

/** The key farm: one child process for the whole benchmark, fresh keys for every round. */
async function startKeyFarm(): Promise<{ pid: number; keys(n: number): Promise<number[]>; stop(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/stationKeyFarm.ts"], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`the key farm exited with ${code}`))),
  );
  exited.catch(() => {});
  return {
    pid: child.pid ?? 0,
    async keys(n) {
      child.stdin.write(
        `${JSON.stringify({ keys: n, touchMs: TOUCH_MS, commandMs: COMMAND_MS, otherMs: OTHER_MS, noCredentialMs: NO_CREDENTIAL_MS })}\n`,
      );
      const line = await Promise.race([lines.next(), exited]);
      return (JSON.parse(String(line.value)) as { ports: number[] }).ports;
    },
    stop: () => child.kill("SIGTERM"),
  };
}

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim() || 100);

/** CPU time (user + system) a process has used so far, from /proc. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** This process's child running the emulator (startWorld's `keyfleet emulator`). */
function emulatorPid(): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes("emulator"))
        return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("the emulator's process was not found");
}

interface Ceremony {
  wall: number;
  key: number;
  graph: number;
  store: number;
  delivery: number;
}

interface RunResult {
  load: number;
  perMinute: Map<number, number>;
  /** CPU ms per provisioned key at each parallelism: the station's process, the emulator's, the keys'. */
  cpu: Map<number, { station: number; emulator: number; keys: number }>;
  single: Ceremony[];
}

async function raiseTasks(world: World, slot: string, n: number): Promise<Task[]> {
  const people = ordinaryPeople();
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const p = people[i % people.length]!;
    const { task } = await world.pipeline.raise(
      {
        assignmentId: `${p.objectId}/${slot}`,
        generation: 1,
        person: p,
        slot,
        profile: virtualProfile({ pinLength: 8 }),
      },
      world.pipelineKey,
    );
    tasks.push(task);
  }
  return tasks;
}

interface RoundResult {
  keysDone: number;
  wallMs: number;
  cpu: { station: number; emulator: number; keys: number };
  single: Ceremony[];
}

/** One round: `parallel` fresh tasks, as many fresh keys, one station run until it is idle. */
async function oneRound(
  world: World,
  farm: Awaited<ReturnType<typeof startKeyFarm>>,
  emuPid: number,
  name: string,
  parallel: number,
): Promise<RoundResult> {
  await raiseTasks(world, name, parallel);
  const ports = await farm.keys(parallel);
  const busyMs = new Map<string, number>();
  const operator = new TestOperator();
  const ctx = await world.station(name, operator);
  const graph = { ms: 0 };
  const store = { ms: 0 };
  const delivery = { ms: 0 };
  ctx.entra = timed(ctx.entra, graph, ["get", "postOnce", "delete", "postIdempotent"]);
  ctx.store = timed(ctx.store, store);
  ctx.delivery = timed(ctx.delivery, delivery);
  const stamps = new Map<string, { start: number; end?: number }>();
  const event = operator.event.bind(operator);
  operator.event = (e) => {
    event(e);
    if (e.type === "step" && e.step === "detect") {
      stamps.set(e.keyId, { start: performance.now() });
      if (parallel === 1) graph.ms = store.ms = delivery.ms = 0;
    }
    if (process.env.KEYFLEET_BENCH_STEPS && e.type === "step")
      process.stderr.write(`${performance.now().toFixed(0)} ${e.keyId} ${e.step}\n`);
    if (e.type === "provisioned") {
      const s = stamps.get(e.keyId);
      if (s) s.end = performance.now();
    }
  };
  await ctx.entra.get("/me"); // the operator signs in once, before the first key
  const before = { station: process.cpuUsage(), emulator: cpuMsOf(emuPid), keys: cpuMsOf(farm.pid) };
  const start = performance.now();
  const summary = await runStation(ctx, { sources: [keySource(ports, busyMs)], untilIdle: true, pollMs: 10 });
  const wallMs = performance.now() - start;
  const station = process.cpuUsage(before.station);
  const out: RoundResult = {
    keysDone: summary.outcomes.filter((o) => o.status === "provisioned").length,
    wallMs,
    cpu: {
      station: (station.user + station.system) / 1000,
      emulator: cpuMsOf(emuPid) - before.emulator,
      keys: cpuMsOf(farm.pid) - before.keys,
    },
    single: [],
  };
  if (parallel === 1) {
    for (const [id, s] of stamps) {
      if (s.end === undefined) continue;
      const c = { wall: s.end - s.start, key: busyMs.get(id) ?? 0 };
      out.single.push({ ...c, graph: graph.ms, store: store.ms, delivery: delivery.ms });
    }
  }
  return out;
}

/**
 * One run: the rounds of 1, 4 and 8 keys interleaved (1, 4, 8, 1, 4, 8, 1), so that a ratio compares rounds
 * measured under the same load on this shared machine, not a quiet minute against a busy one.
 */
async function oneRun(
  world: World,
  farm: Awaited<ReturnType<typeof startKeyFarm>>,
  emuPid: number,
  run: number,
): Promise<RunResult> {
  const result: RunResult = { load: loadavg()[0]!, perMinute: new Map(), cpu: new Map(), single: [] };
  const totals = new Map(
    PARALLEL.map((p) => [p, { keysDone: 0, wallMs: 0, station: 0, emulator: 0, keys: 0 }]),
  );
  for (let round = 0; round < Math.max(...Object.values(ROUNDS)); round++) {
    for (const parallel of PARALLEL) {
      if (round >= ROUNDS[parallel]!) continue;
      const r = await oneRound(world, farm, emuPid, `bench-${run}-${parallel}-${round}`, parallel);
      const t = totals.get(parallel)!;
      t.keysDone += r.keysDone;
      t.wallMs += r.wallMs;
      t.station += r.cpu.station;
      t.emulator += r.cpu.emulator;
      t.keys += r.cpu.keys;
      result.single.push(...r.single);
    }
  }
  for (const [parallel, t] of totals) {
    result.perMinute.set(parallel, (t.keysDone / t.wallMs) * 60_000);
    const per = Math.max(1, t.keysDone);
    result.cpu.set(parallel, { station: t.station / per, emulator: t.emulator / per, keys: t.keys / per });
  }
  return result;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const spread = (xs: readonly number[], digits: number) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

export async function run(): Promise<void> {
  const world = await startWorld({ emulatorProcess: true });
  const farm = await startKeyFarm();
  const runs: RunResult[] = [];
  try {
    const emuPid = emulatorPid();
    // Unmeasured: the first ceremonies compile the code paths (JIT) and open the emulator's caches.
    await oneRound(world, farm, emuPid, "bench-warm-1", 1);
    await oneRound(world, farm, emuPid, "bench-warm-8", 8);
    for (let r = 0; r < RUNS; r++) runs.push(await oneRun(world, farm, emuPid, r));
  } finally {
    farm.stop();
    await world.close();
  }
  const loads = runs.map((r) => r.load);
  // As core/tasks/sqliteDatabase.ts reads it: FULL unless KEYFLEET_SQLITE_SYNC=NORMAL (a diagnosis, not a result).
  const sqliteSync = process.env.KEYFLEET_SQLITE_SYNC?.toUpperCase() === "NORMAL" ? "NORMAL" : "FULL";
  process.stdout.write(
    `Keys provisioned per minute, ${RUNS} runs (keys over UDP in their own process: touch ${TOUCH_MS} ms, makeCredential ${COMMAND_MS[1]} ms and getAssertion ${COMMAND_MS[2]} ms after it (a silent one that finds nothing ${NO_CREDENTIAL_MS} ms), clientPIN ${COMMAND_MS[6]} ms; the emulator in its own process; SQLite ${sqliteSync} sync; ${cpus().length} cores, load average ${spread(loads, 1)} at the runs' starts):\n\n`,
  );
  const ratio = (r: RunResult, p: number) => r.perMinute.get(p)! / r.perMinute.get(1)!;
  printTable(
    [
      "keys in parallel",
      "keys a run",
      "keys per minute (median)",
      "spread",
      "× one key (median)",
      "spread",
      "goal",
    ],
    PARALLEL.map((p) => {
      const kpm = runs.map((r) => r.perMinute.get(p)!);
      const x = runs.map((r) => ratio(r, p));
      return [
        p,
        p * ROUNDS[p]!,
        median(kpm),
        spread(kpm, 0),
        median(x),
        spread(x, 2),
        p === 8 ? "≥ 6.5× one key in every run" : "",
      ];
    }),
  );
  printTable(
    ["run", "load average", "1 key /min", "4 keys /min", "8 keys /min", "8 keys × one"],
    runs.map((r, i) => [
      i + 1,
      r.load.toFixed(1),
      r.perMinute.get(1)!,
      r.perMinute.get(4)!,
      r.perMinute.get(8)!,
      ratio(r, 8),
    ]),
  );
  const single = runs.flatMap((r) => r.single);
  const med = (f: (c: Ceremony) => number) => median(single.map(f));
  const own = (c: Ceremony) => c.wall - c.key - c.graph - c.store - c.delivery;
  process.stdout.write(
    "Where one key's ceremony goes (one key at a time, medians; the key's time is measured at its HID reports):\n\n",
  );
  printTable(
    [
      "ceremonies",
      "ceremony ms",
      "key ms",
      "Graph (emulator) ms",
      "task store ms",
      "PIN sealing ms",
      "station's own ms",
      "spread of own",
      "goal",
    ],
    [
      [
        single.length,
        med((c) => c.wall),
        med((c) => c.key),
        med((c) => c.graph),
        med((c) => c.store),
        med((c) => c.delivery),
        med(own),
        spread(single.map(own), 0),
        "own ≤ 50 ms",
      ],
    ],
  );
  process.stdout.write("CPU time per key provisioned, by process (medians of the runs):\n\n");
  printTable(
    ["keys in parallel", "station ms", "emulator ms", "keys ms", "all ms"],
    PARALLEL.map((p) => {
      const c = runs.map((r) => r.cpu.get(p)!);
      const station = median(c.map((x) => x.station));
      const emulator = median(c.map((x) => x.emulator));
      const keys = median(c.map((x) => x.keys));
      return [p, station, emulator, keys, station + emulator + keys];
    }),
  );
}
