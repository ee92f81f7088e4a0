// Spawning appendWorker.ts processes (through tsx).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StoreRef } from "../tasks/backends.js";

const worker = fileURLToPath(new URL("./appendWorker.ts", import.meta.url));

export function startAppender(
  ref: StoreRef,
  writer: string,
  count: number,
  /** PEM of a private key to sign with, shared with other appenders (one chain); a fresh key otherwise. */
  sharedKeyPem?: string,
): { child: ChildProcess; exited: Promise<{ code: number | null; stderr: string }> } {
  const env = { ...process.env };
  if (sharedKeyPem) env.KEYFLEET_TEST_APPEND_KEY = sharedKeyPem;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", worker, ref.location, JSON.stringify(ref.opts), writer, String(count)],
    { stdio: ["ignore", "ignore", "pipe"], env },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return { child, exited: new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr }))) };
}
