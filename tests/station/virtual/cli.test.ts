// `keyfleet virtual-key` as an operator runs it: it listens on UDP, says where, answers CTAPHID over
// datagrams to the sender, writes the attestation root, and stops cleanly on SIGINT.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliPath, repoRoot, runCli } from "../../support/cli.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("keyfleet virtual-key", () => {
  it("should serve CTAPHID over UDP, print where, and stop on SIGINT", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-vkey-cli-"));
    dirs.push(dir);
    const state = join(dir, "key.json");
    const child = spawn(
      process.execPath,
      [cliPath, "virtual-key", "--udp", "127.0.0.1:0", "--state", state, "--json"],
      {
        cwd: repoRoot,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    try {
      let stdout = "";
      const details = await new Promise<{ port: number; attestationRoot: string; device: string }>(
        (resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no startup output: ${stdout}`)), 30_000);
          child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
            try {
              const parsed = JSON.parse(stdout) as { port: number; attestationRoot: string; device: string };
              clearTimeout(timer);
              resolve(parsed);
            } catch {
              // not complete yet
            }
          });
          child.on("exit", (code) => reject(new Error(`exited early with ${code}`)));
        },
      );
      expect(details.device).toBe(`udp:127.0.0.1:${details.port}`);
      expect(readFileSync(details.attestationRoot, "utf8")).toContain("BEGIN CERTIFICATE");

      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no INIT reply")), 10_000);
        socket.once("message", (msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
        const init = Buffer.alloc(64);
        Buffer.from("ffffffff8600080102030405060708", "hex").copy(init);
        socket.send(init, details.port, "127.0.0.1");
      });
      socket.close();
      expect(reply.length).toBe(64);
      expect(reply.subarray(0, 7).toString("hex")).toBe("ffffffff860011");
      expect(reply.subarray(7, 15).toString("hex")).toBe("0102030405060708");

      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(JSON.parse(readFileSync(state, "utf8")).format).toBe("keyfleet-virtual-key/1");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("should refuse an unknown presence mode and a malformed address with exit 2", async () => {
    const bad = await runCli(["virtual-key", "--presence", "maybe"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("approve, deny or timeout");
    const addr = await runCli(["virtual-key", "--udp", "localhost"]);
    expect(addr.code).toBe(2);
    expect(addr.stderr).toContain("host:port");
  });
});
