// Task store throughput on both backends: raising (signing included), claiming, the full claim →
// registering → done lifecycle with 8 station processes (bare store, and as whole stations: audited,
// signed records and results, claimTrusted's records lookup — each station its own key, so its own
// record chain), and appending audit records. The racing rows are timed from the moment every station
// process has opened its store (start-up excluded). KEYFLEET_BENCH_TASKS=race runs only those rows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRecordStore } from "../core/records/openRecordStore.js";
import { generateSigningKey, publicKeyPem } from "../core/signing/ed25519.js";
import { type OpenTaskStoreOptions, openTaskStore } from "../core/tasks/openTaskStore.js";
import { startAzuriteTable } from "../tests/support/azurite.js";
import { sampleRaise } from "../tests/tasks/sampleTasks.js";
import { startWorker, type WorkerRun } from "../tests/tasks/workers.js";
import { measure, printTable } from "./table.js";

const key = generateSigningKey();
/** Issue 14: 100 desks × 8 keys at a 30 s ceremony must never wait on the store. */
const RACE_GOAL = "≥ 30 cycles/s";
/** KEYFLEET_BENCH_TASKS=race: only the racing rows (a quicker run while working on them). */
const raceOnly = process.env.KEYFLEET_BENCH_TASKS === "race";

async function race(
  ref: { location: string; opts: OpenTaskStoreOptions },
  pipelinePem?: string,
): Promise<{ result: number; ms: number }> {
  const workers: WorkerRun[] = Array.from({ length: 8 }, (_, i) =>
    startWorker(ref, `bench-${i}`, 600_000, "work-gated", pipelinePem),
  );
  await Promise.all(workers.map((w) => w.ready));
  return measure(async () => {
    for (const w of workers) w.go();
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const e of exits)
      if (e.code !== 0) throw new Error(`a bench station failed: ${e.stderr.slice(0, 500)}`);
    return workers.reduce((s, w) => s + w.lines.length, 0);
  });
}

interface Target {
  name: string;
  n: number;
  racers: number;
  /** KEYFLEET_SQLITE_SYNC for this target (the worker processes inherit it). */
  sync?: string;
  location: () => { location: string; opts: OpenTaskStoreOptions };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-bench-"));
  const azurite = await startAzuriteTable();
  let counter = 0;
  const targets: Target[] = [
    {
      name: "sqlite (WAL, FULL)",
      n: 2000,
      racers: 1000,
      location: () => ({ location: `sqlite:${join(dir, `b${++counter}.db`)}`, opts: {} }),
    },
    {
      name: "sqlite (WAL, NORMAL)",
      n: 2000,
      racers: 1000,
      sync: "NORMAL",
      location: () => ({ location: `sqlite:${join(dir, `b${++counter}.db`)}`, opts: {} }),
    },
    {
      name: "azure-table (Azurite)",
      n: 300,
      racers: 200,
      location: () => ({
        location: `azure-table:${azurite.connectionString}`,
        opts: { azure: { tablePrefix: `bench${++counter}x` } },
      }),
    },
  ];
  const rows: (string | number)[][] = [];
  try {
    for (const target of targets) {
      if (target.sync) process.env.KEYFLEET_SQLITE_SYNC = target.sync;
      else delete process.env.KEYFLEET_SQLITE_SYNC;
      if (!raceOnly) {
        const ref = target.location();
        const store = await openTaskStore(ref.location, ref.opts);
        const raise = await measure(async () => {
          for (let i = 0; i < target.n; i++) await store.raise(sampleRaise(i), key);
        });
        rows.push([
          target.name,
          "raise (signed), 1 process",
          target.n,
          raise.ms / 1000,
          (target.n * 1000) / raise.ms,
          "",
        ]);
        const again = await measure(async () => {
          for (let i = 0; i < target.n; i++) await store.raise(sampleRaise(i), key);
        });
        rows.push([
          target.name,
          "raise again (idempotent no-op)",
          target.n,
          again.ms / 1000,
          (target.n * 1000) / again.ms,
          "",
        ]);
        const claim = await measure(async () => {
          let c = 0;
          while (await store.claimNext({ stationId: "bench", leaseMs: 600_000 })) c++;
          return c;
        });
        rows.push([
          target.name,
          "claimNext, 1 process",
          claim.result,
          claim.ms / 1000,
          (claim.result * 1000) / claim.ms,
          "",
        ]);
        await store.close();
      }

      for (const audited of [false, true]) {
        const raceRef = target.location();
        const raceStore = await openTaskStore(raceRef.location, raceRef.opts);
        for (let i = 0; i < target.racers; i++) await raceStore.raise(sampleRaise(i), key);
        await raceStore.close();
        const r = await race(raceRef, audited ? publicKeyPem(key.publicKey) : undefined);
        rows.push([
          target.name,
          audited
            ? "8 racing stations, claim + registering + done (audited: signed records, claimTrusted)"
            : "8 racing processes, claim + registering + done (bare store, no records)",
          r.result,
          r.ms / 1000,
          (r.result * 1000) / r.ms,
          RACE_GOAL,
        ]);
      }

      if (raceOnly) continue;
      const logRef = target.location();
      const log = await openRecordStore(logRef.location, { ...logRef.opts, signer: key });
      const records = Math.min(target.n, 500);
      const append = await measure(async () => {
        for (let i = 0; i < records; i++) {
          await log.append({
            action: "claim",
            actor: { role: "station", stationId: "bench" },
            subject: { taskId: String(i) },
          });
        }
      });
      rows.push([
        target.name,
        "record append (signed, chained)",
        records,
        append.ms / 1000,
        (records * 1000) / append.ms,
        "",
      ]);
      await log.close();
    }
  } finally {
    delete process.env.KEYFLEET_SQLITE_SYNC;
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(["backend", "operation", "count", "seconds", "per second", "goal"], rows);
}
