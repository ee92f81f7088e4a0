// Spawning claimWorker.ts processes (through tsx) and collecting what each reports.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StoreRef } from "./backends.js";

const worker = fileURLToPath(new URL("./claimWorker.ts", import.meta.url));

export interface WorkerRun {
  child: ChildProcess;
  lines: Record<string, string>[];
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves with the first reported line. */
  firstLine: Promise<Record<string, string>>;
  /** Gated workers ("work-gated"): resolves once the worker has opened its store and waits. */
  ready: Promise<void>;
  /** Lets a gated worker start claiming. */
  go(): void;
}

export function startWorker(
  ref: StoreRef,
  stationId: string,
  leaseMs: number,
  mode = "work",
  /** PEM of the pipeline's public key: the worker runs as a whole station (audited, claimTrusted). */
  pipelinePublicKeyPem?: string,
): WorkerRun {
  const env = { ...process.env };
  if (pipelinePublicKeyPem) env.KEYFLEET_TEST_PIPELINE_PUBLIC_KEY = pipelinePublicKeyPem;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", worker, ref.location, JSON.stringify(ref.opts), stationId, String(leaseMs), mode],
    { stdio: [mode === "work-gated" ? "pipe" : "ignore", "pipe", "pipe"], env },
  );
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const lines: Record<string, string>[] = [];
  let buf = "";
  let stderr = "";
  let onFirst: (l: Record<string, string>) => void = () => {};
  const firstLine = new Promise<Record<string, string>>((r) => {
    onFirst = r;
  });
  child.stdout?.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = JSON.parse(buf.slice(0, i)) as Record<string, string>;
      buf = buf.slice(i + 1);
      if (line.ready) {
        onReady();
        continue;
      }
      lines.push(line);
      onFirst(line);
    }
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
    },
  );
  return { child, lines, exited, firstLine, ready, go: () => child.stdin?.end("go\n") };
}
