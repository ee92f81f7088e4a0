// Starts Microsoft's Azurite Table service on loopback, in memory, on a free port, for one suite; stop()
// ends it. Readiness is Azurite's own "successfully started" line.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const AZURITE_ACCOUNT = "devstoreaccount1";
/** Azurite's published development account key (not a secret). */
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const mainJs = fileURLToPath(new URL("../../node_modules/azurite/dist/src/table/main.js", import.meta.url));

export interface AzuriteTable {
  port: number;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  endpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startAzuriteTable(): Promise<AzuriteTable> {
  // The free port can be taken between our probe and Azurite's bind; try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const child = await spawnAzurite(port);
      const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
      return {
        port,
        endpoint,
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${endpoint};`,
        stop: () => stopChild(child),
      };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

function spawnAzurite(port: number): Promise<ChildProcess> {
  return spawnAzuriteService("Azurite", mainJs, [
    "--inMemoryPersistence",
    "--tableHost",
    "127.0.0.1",
    "--tablePort",
    String(port),
  ]);
}

/**
 * Starts one Azurite service (its `main.js`) on loopback, telemetry off, and resolves once it says it is up
 * (the Table service says "successfully started", the Blob service "successfully listens on").
 */
export function spawnAzuriteService(
  label: string,
  main: string,
  args: readonly string[],
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args, "--disableTelemetry", "--silent"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not start within 20 s: ${out.slice(-500)}`));
    }, 20_000);
    timer.unref();
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (/successfully (listens|started)/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before starting: ${out.slice(-500)}`));
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    kill.unref();
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGINT");
  });
}
