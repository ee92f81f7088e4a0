// `keyfleet key …` as an operator runs it, against the virtual key served over UDP from this process.
// The PIN goes in on standard input or a file descriptor, never on the command line.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../station/virtual/udpServer.js";
import { type CliResult, cliPath, repoRoot, runCli } from "../support/cli.js";

/** Runs the CLI with `pin` written to file descriptor 3, as `keyfleet … --pin-fd 3 3<pinfile` would. */
function runWithPinFd(args: string[], pin: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    (child.stdio[3] as NodeJS.WritableStream).end(`${pin}\n`);
  });
}

const PIN = "cli-pin-31415";

describe("keyfleet key", () => {
  let server: VirtualKeyUdpServer;
  let device: string;
  beforeAll(async () => {
    server = await startVirtualKeyUdp({ port: 0, resetWindowMs: 60_000 });
    device = `udp:127.0.0.1:${server.address.port}`;
  });
  afterAll(async () => {
    await server.close();
  });
  const dev = (): string[] => ["--device", device, "--local-port", "0"];

  it("should describe a fresh key in plain words and as JSON", async () => {
    const text = await runCli(["key", "info", ...dev()]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/PIN set:\s+no/);
    expect(text.stdout).toContain("FIDO_2_1");
    const json = await runCli(["key", "info", ...dev(), "--json"]);
    const report = JSON.parse(json.stdout) as { pinSet: boolean; pinProtocols: number[]; aaguid: string };
    expect(report.pinSet).toBe(false);
    expect(report.pinProtocols).toEqual(expect.arrayContaining([1, 2]));
    expect(report.aaguid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("should refuse to test without a PIN, changing nothing", async () => {
    const r = await runCli(["key", "test", ...dev()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--pin-stdin or --pin-fd");
    const empty = await runCli(["key", "test", ...dev(), "--pin-stdin"], { input: "\n" });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("no PIN was given");
    const info = await runCli(["key", "info", ...dev(), "--json"]);
    expect(JSON.parse(info.stdout).pinSet).toBe(false);
  });

  it("should no longer take a PIN on the command line, and not echo the one given", async () => {
    const r = await runCli(["key", "test", ...dev(), "--pin", PIN]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown option '--pin'");
    expect(r.stdout + r.stderr).not.toContain(PIN);
  });

  it("should set the PIN on a key that has none, run the test ceremony, and never print the PIN", async () => {
    const r = await runCli(["key", "test", ...dev(), "--pin-stdin", "--json"], { input: `${PIN}\n` });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      pinSetNow: boolean;
      signatureValid: boolean;
      userVerified: boolean;
      rpId: string;
    };
    expect(report).toMatchObject({
      pinSetNow: true,
      signatureValid: true,
      userVerified: true,
      rpId: "keyfleet.test",
    });
    expect(r.stdout + r.stderr).not.toContain(PIN);
    const again = await runWithPinFd(["key", "test", ...dev(), "--pin-fd", "3"], PIN);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Key test passed");
    const info = await runCli(["key", "info", ...dev(), "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ pinSet: true, pinRetries: 8 });
  });

  it("should report a wrong PIN in plain words without echoing it", async () => {
    const r = await runCli(["key", "test", ...dev(), "--pin-stdin"], { input: "wrong-pin-999\r\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("wrong PIN");
    expect(r.stderr).not.toContain("wrong-pin-999");
  });

  it("should leave the key alone when the reset is not confirmed", async () => {
    const r = await runCli(["key", "reset", ...dev()], { input: "no\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("plug it back in");
    const info = await runCli(["key", "info", ...dev(), "--json"]);
    expect(JSON.parse(info.stdout).pinSet).toBe(true);
  });

  it("should reset the key after confirmation", async () => {
    const r = await runCli(["key", "reset", ...dev()], { input: "reset\n" });
    expect(r.code, r.stderr).toBe(0);
    const info = await runCli(["key", "info", ...dev(), "--json"]);
    expect(JSON.parse(info.stdout).pinSet).toBe(false);
  });

  it("should reject a bad device string and a bad local port as bad input", async () => {
    expect((await runCli(["key", "info", "--device", "udp:nowhere:99999", "--local-port", "0"])).code).toBe(
      2,
    );
    expect((await runCli(["key", "info", ...dev().slice(0, 2), "--local-port", "x"])).code).toBe(2);
  });

  it("should list plugged keys as JSON (none on this machine is fine)", async () => {
    const r = await runCli(["key", "list", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });
});

describe("keyfleet virtual-key --ctap 2.0", () => {
  it("should serve a CTAP 2.0 key with the given maxMsgSize, as key info reports it", async () => {
    const child = spawn(
      process.execPath,
      [cliPath, "virtual-key", "--udp", "127.0.0.1:0", "--ctap", "2.0", "--max-msg-size", "1200", "--json"],
      { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] },
    );
    try {
      const details = await new Promise<{ device: string }>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          try {
            resolve(JSON.parse(out) as { device: string });
          } catch {
            // Not the whole JSON object yet.
          }
        });
        child.on("exit", (code) => reject(new Error(`virtual-key exited with ${code}`)));
      });
      const r = await runCli(["key", "info", "--device", details.device, "--local-port", "0", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        versions: ["U2F_V2", "FIDO_2_0"],
        ctap21: false,
        pinProtocols: [1],
        maxMsgSize: 1200,
      });
    } finally {
      child.kill("SIGTERM");
    }
    const bad = await runCli(["virtual-key", "--udp", "127.0.0.1:0", "--ctap", "2.2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--ctap is 2.0 or 2.1");
  });
});
