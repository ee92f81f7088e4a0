// Station benchmark: keys provisioned per minute with 1, 4 and 8 virtual keys in parallel (the real runner,
// the Entra emulator, the SQLite store with FULL sync, sealed PIN delivery), each key modelled as a real
// one is slow: a touch takes TOUCH_MS, and each CTAP command takes at least its crypto time below. The
// station's own overhead per key is the ceremony's wall time minus the time the key itself spent
// answering (measured per CTAP call at the HID reports).
import type { Task } from "../core/tasks/model.js";
import { CtapHidDevice } from "../station/ctaphid/hidDevice.js";
import type { KeySource } from "../station/runner/keySource.js";
import { runStation } from "../station/runner/station.js";
import { HID_REPORT_SIZE, type HidConnection } from "../station/transport/connection.js";
import { openVirtualConnection } from "../station/virtual/connection.js";
import { VirtualKey } from "../station/virtual/virtualKey.js";
import { ordinaryPeople, startWorld, TestOperator, virtualProfile } from "../tests/station/runner/world.js";
import { printTable } from "./table.js";

/** A touch as people give it: about half a second after the key blinks. */
const TOUCH_MS = 500;
/** Lower bounds of each CTAP2 command's time on a real key (P-256 on a secure element). */
const CRYPTO_MS: Record<number, number> = {
  1: 250, // makeCredential: key generation, attestation signature
  2: 120, // getAssertion: one signature
  4: 10, // getInfo
  6: 80, // clientPIN: ECDH, PIN hash check
  13: 60, // authenticatorConfig
  10: 60, // credential management
};
const ROUNDS: Record<number, number> = { 1: 3, 4: 2, 8: 2 };
const CBOR_INIT = 0x80 | 0x10;

interface KeyClock {
  /** Milliseconds the key spent answering CTAP2 commands, per key id. */
  busyMs: Map<string, number>;
}

/** A HID connection that holds each CTAP2 reply until the modelled crypto time has passed. */
function modelledConnection(key: VirtualKey, id: string, clock: KeyClock): HidConnection {
  const inner = openVirtualConnection(key);
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

function modelledSource(keys: Map<string, VirtualKey>, clock: KeyClock): KeySource {
  return {
    list: async () =>
      [...keys].map(([id, key]) => ({
        id,
        transport: "virtual" as const,
        open: (o?: Parameters<typeof CtapHidDevice.open>[1]) =>
          CtapHidDevice.open(modelledConnection(key, id, clock), o ?? {}),
      })),
  };
}

export async function run(): Promise<void> {
  const world = await startWorld();
  const people = ordinaryPeople();
  const throughput: (string | number)[][] = [];
  const overheads: number[] = [];
  const keyTimes: number[] = [];
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
        const keys = new Map<string, VirtualKey>();
        for (let i = 0; i < parallel; i++)
          keys.set(`${slot}:${i}`, await VirtualKey.create({ presence: { approveDelayMs: TOUCH_MS } }));
        const clock: KeyClock = { busyMs: new Map() };
        const operator = new TestOperator();
        const ctx = await world.station(`bench-${parallel}`, operator);
        const stamps = new Map<string, { start?: number; end?: number }>();
        const event = operator.event.bind(operator);
        operator.event = (e) => {
          event(e);
          if (e.type === "step" && e.step === "detect") stamps.set(e.keyId, { start: performance.now() });
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
          sources: [modelledSource(keys, clock)],
          untilIdle: true,
          pollMs: 10,
        });
        wallMs += performance.now() - start;
        keysDone += summary.outcomes.filter((o) => o.status === "provisioned").length;
        if (parallel === 1) {
          for (const [id, s] of stamps) {
            if (s.start === undefined || s.end === undefined) continue;
            const busy = clock.busyMs.get(id) ?? 0;
            keyTimes.push(busy);
            overheads.push(s.end - s.start - busy);
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
    `Keys provisioned per minute (touch ${TOUCH_MS} ms, makeCredential ≥ ${CRYPTO_MS[1]} ms, getAssertion ≥ ${CRYPTO_MS[2]} ms, clientPIN ≥ ${CRYPTO_MS[6]} ms; emulator, SQLite FULL sync):\n\n`,
  );
  printTable(["keys in parallel", "keys done", "wall s", "keys per minute", "× one key", "goal"], throughput);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  process.stdout.write(
    "Station overhead per key (one key at a time; ceremony wall time minus the key's own time):\n\n",
  );
  printTable(
    ["ceremonies", "key's own ms", "ceremony ms", "station overhead ms", "goal"],
    [[overheads.length, mean(keyTimes), mean(keyTimes) + mean(overheads), mean(overheads), "≤ 50 ms"]],
  );
}
