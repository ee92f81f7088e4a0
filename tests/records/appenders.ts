// Spawning appendWorker.ts processes (through tsx).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StoreRef } from "../tasks/backends.js";

const worker = fileURLToPath(new URL("./appendWorker.ts", import.meta.url));

export function startAppender(
  ref: StoreRef,
  writer: string,
  count: number,
): { child: ChildProcess; exited: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", worker, ref.location, JSON.stringify(ref.opts), writer, String(count)],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return { child, exited: new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr }))) };
}
