// Station benchmark: keys provisioned per minute with 1, 4 and 8 virtual keys in parallel (the real runner,
// the Entra emulator, the SQLite store with FULL sync, sealed PIN delivery), each key modelled as a real
// one is slow: a touch takes TOUCH_MS, and each CTAP command takes at least its crypto time below. The
// station's own overhead per key is the ceremony's wall time minus the time the key itself spent
// answering (measured per CTAP call at the HID reports).

import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import type { Task } from "../core/tasks/model.js";
import { CtapHidDevice } from "../station/ctaphid/hidDevice.js";
import type { KeySource } from "../station/runner/keySource.js";
import { runStation } from "../station/runner/station.js";
import { HID_REPORT_SIZE, type HidConnection } from "../station/transport/connection.js";
import { UdpConnection } from "../station/transport/udp.js";
import { ordinaryPeople, startWorld, TestOperator, virtualProfile } from "../tests/station/runner/world.js";
import { repoRoot } from "../tests/support/cli.js";
import { printTable } from "./table.js";

/** A touch as people give it: about half a second after the key blinks. */
const TOUCH_MS = 500;
/** Lower bounds of each CTAP2 command's time on a real key (P-256 on a secure element), touch included. */
const CRYPTO_MS: Record<number, number> = {
  1: TOUCH_MS + 250, // makeCredential: a touch, key generation, attestation signature
  2: TOUCH_MS + 120, // getAssertion (the self-test): a touch, one signature
  4: 10, // getInfo
  6: 80, // clientPIN: ECDH, PIN hash check
  13: 60, // authenticatorConfig
  10: 60, // credential management
};

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

const ROUNDS: Record<number, number> = { 1: 3, 4: 2, 8: 2 };
const CBOR_INIT = 0x80 | 0x10;

interface KeyClock {
  /** Milliseconds the key spent answering CTAP2 commands, per key id. */
  busyMs: Map<string, number>;
}

/** A HID connection that holds each CTAP2 reply until the modelled crypto time has passed. */
function modelledConnection(inner: HidConnection, id: string, clock: KeyClock): HidConnection {
  let pending: { cmd: number; at: number } | undefined;
  return {
    async write(report) {
      if (report.length === HID_REPORT_SIZE && report[4] === CBOR_INIT)
        pending = { cmd: report[7]!, at: performance.now() };
      await inner.write(report);
    },
    async read(signal) {
      const report = await inner.read(signal);
      if (pending && report[4] === CBOR_INIT) {
        const wait = (CRYPTO_MS[pending.cmd] ?? 5) - (performance.now() - pending.at);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        clock.busyMs.set(id, (clock.busyMs.get(id) ?? 0) + performance.now() - pending.at);
        pending = undefined;
      }
      return report;
    },
    close: () => inner.close(),
  };
}

/** The keys, served over UDP by another process (their CPU is the keys' own, as on real hardware). */
function modelledSource(ports: readonly number[], clock: KeyClock): KeySource {
  return {
    list: async () =>
      ports.map((port) => {
        const id = `udp:127.0.0.1:${port}`;
        return {
          id,
          transport: "udp" as const,
          open: async (o?: Parameters<typeof CtapHidDevice.open>[1]) =>
            CtapHidDevice.open(
              modelledConnection(
                await UdpConnection.open({ host: "127.0.0.1", port }, { localPort: 0 }),
                id,
                clock,
              ),
              o ?? {},
            ),
        };
      }),
  };
}

/** Starts `n` fresh virtual keys in one child process (the compiled build), one UDP port each. */
async function keyFarm(n: number): Promise<{ ports: number[]; stop(): void }> {
  const script = `
    const { startVirtualKeyUdp } = await import("./dist/station/virtual/udpServer.js");
    const ports = [];
    for (let i = 0; i < ${n}; i++) ports.push((await startVirtualKeyUdp({ port: 0 })).address.port);
    process.stdout.write(JSON.stringify(ports) + "\\n");`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.once("exit", (code) => reject(new Error(`the key farm exited with ${code}`)));
  });
  return { ports: JSON.parse(line) as number[], stop: () => child.kill("SIGTERM") };
}

export async function run(): Promise<void> {
  const world = await startWorld({ emulatorProcess: true });
  const people = ordinaryPeople();
  const throughput: (string | number)[][] = [];
  const single: { wall: number; key: number; graph: number; store: number; delivery: number }[] = [];
  let base = 0;
  try {
    for (const parallel of [1, 4, 8]) {
      let keysDone = 0;
      let wallMs = 0;
      for (let round = 0; round < ROUNDS[parallel]!; round++) {
        const slot = `bench-${parallel}-${round}`;
        const tasks: Task[] = [];
        for (let i = 0; i < parallel; i++) {
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
        const farm = await keyFarm(parallel);
        const clock: KeyClock = { busyMs: new Map() };
        const operator = new TestOperator();
        const ctx = await world.station(`bench-${parallel}`, operator);
        const graph = { ms: 0 };
        const store = { ms: 0 };
        const delivery = { ms: 0 };
        ctx.entra = timed(ctx.entra, graph, ["get", "postOnce", "delete", "postIdempotent"]);
        ctx.store = timed(ctx.store, store);
        ctx.delivery = timed(ctx.delivery, delivery);
        const stamps = new Map<string, { start?: number; end?: number }>();
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
        await ctx.entra.get("/me"); // the operator's sign-in happens once, before the first key
        const start = performance.now();
        const summary = await runStation(ctx, {
          sources: [modelledSource(farm.ports, clock)],
          untilIdle: true,
          pollMs: 10,
        }).finally(() => farm.stop());
        wallMs += performance.now() - start;
        keysDone += summary.outcomes.filter((o) => o.status === "provisioned").length;
        if (parallel === 1) {
          for (const [id, s] of stamps) {
            if (s.start === undefined || s.end === undefined) continue;
            const busy = clock.busyMs.get(id) ?? 0;
            const wall = s.end - s.start;
            single.push({ wall, key: busy, graph: graph.ms, store: store.ms, delivery: delivery.ms });
          }
        }
      }
      const perMinute = (keysDone / wallMs) * 60_000;
      if (parallel === 1) base = perMinute;
      throughput.push([
        parallel,
        keysDone,
        wallMs / 1000,
        perMinute,
        base > 0 ? perMinute / base : 0,
        parallel === 8 ? "≥ 6.5× one key" : "",
      ]);
    }
  } finally {
    await world.close();
  }
  process.stdout.write(
    `Keys provisioned per minute (modelled keys over UDP in another process: touch ${TOUCH_MS} ms, makeCredential ≥ ${CRYPTO_MS[1]! - TOUCH_MS} ms and getAssertion ≥ ${CRYPTO_MS[2]! - TOUCH_MS} ms after it, clientPIN ≥ ${CRYPTO_MS[6]} ms; the emulator in its own process; SQLite FULL sync; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores):\n\n`,
  );
  printTable(["keys in parallel", "keys done", "wall s", "keys per minute", "× one key", "goal"], throughput);
  const mean = (f: (x: (typeof single)[number]) => number) =>
    single.reduce((a, x) => a + f(x), 0) / Math.max(1, single.length);
  const own = (x: (typeof single)[number]) => x.wall - x.key - x.graph - x.store - x.delivery;
  process.stdout.write(
    "Where one key's ceremony goes (one key at a time; the key's time is measured at its HID reports):\n\n",
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
      "goal",
    ],
    [
      [
        single.length,
        mean((x) => x.wall),
        mean((x) => x.key),
        mean((x) => x.graph),
        mean((x) => x.store),
        mean((x) => x.delivery),
        mean(own),
        "own ≤ 50 ms",
      ],
    ],
  );
}
