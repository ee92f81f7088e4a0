// `keyfleet virtual-key`: serves a software FIDO2 key over UDP (one 64-byte HID report per datagram,
// replies to each sender) until SIGINT. Prints the bound address and where the attestation root is, so
// an emulator or a test can trust the key's attestation.
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface VirtualKeyFlags {
  udp: string;
  state?: string;
  aaguid?: string;
  model?: string;
  presence: string;
  presenceTimeout: string;
  resetWindow: string;
  rootOut?: string;
  ctap?: string;
  maxMsgSize?: string;
  json?: boolean;
}

export function registerVirtualKey(program: Command): void {
  program
    .command("virtual-key")
    .description("Serve a software FIDO2 (CTAP 2.1) key over UDP until interrupted")
    .option("--udp <host:port>", "address to listen on (port 0 picks a free one)", "127.0.0.1:8111")
    .option("--state <file>", "keep the key (credentials, PIN hash, attestation keys) in this JSON file")
    .option("--aaguid <uuid>", "AAGUID to report and certify (32 hex digits or a UUID)")
    .option("--model <name>", "model name in the batch certificate")
    .option("--presence <mode>", "what a touch request does: approve, deny or timeout", "approve")
    .option("--presence-timeout <ms>", "how long 'timeout' keeps the client waiting", "30000")
    .option("--reset-window <ms>", "how long after start (or a replug) a reset is accepted", "10000")
    .option("--root-out <file>", "write the attestation root certificate (PEM) here")
    .option(
      "--ctap <version>",
      "2.1, or 2.0 for a CTAP 2.0 key (protocol 1, getPinToken, 2.0 getInfo)",
      "2.1",
    )
    .option("--max-msg-size <bytes>", "maxMsgSize to advertise and enforce (default 2048)")
    .option("--json", "print the listening details as JSON")
    .addHelpText(
      "after",
      [
        "",
        "While it runs, lines on standard input change it:",
        "  presence approve|deny|timeout   what the next touch request does",
        "  replug                          simulate unplugging and plugging the key in again",
        "Reset is accepted only within --reset-window of start or of a replug, as real keys do.",
      ].join("\n"),
    )
    .action(action(async (flags: VirtualKeyFlags) => runVirtualKey(flags)));
}

async function runVirtualKey(flags: VirtualKeyFlags): Promise<ExitCode> {
  const { host, port } = parseHostPort(flags.udp);
  const presence = parsePresence(flags.presence);
  const timeoutMs = parseMs(flags.presenceTimeout, "--presence-timeout");
  const resetWindowMs = parseMs(flags.resetWindow, "--reset-window");
  if (flags.ctap !== "2.0" && flags.ctap !== "2.1")
    throw new UsageError(`--ctap is 2.0 or 2.1, not '${flags.ctap}'`);
  const ctapVersion: "2.0" | "2.1" = flags.ctap;
  let maxMsgSize: number | undefined;
  if (flags.maxMsgSize !== undefined) {
    maxMsgSize = Number(flags.maxMsgSize);
    // CTAP2's default is 1024; CTAPHID carries at most 7609 bytes.
    if (!/^\d+$/.test(flags.maxMsgSize) || maxMsgSize < 1024 || maxMsgSize > 7609)
      throw new UsageError("--max-msg-size must be 1024 to 7609 bytes");
  }

  const { writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join, resolve } = await import("node:path");
  const { startVirtualKeyUdp } = await import("../../station/virtual/udpServer.js");
  const { normaliseAaguid } = await import("../../station/virtual/authenticator.js");
  if (flags.aaguid !== undefined) {
    try {
      normaliseAaguid(flags.aaguid);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  const server = await startVirtualKeyUdp({
    host,
    port,
    ...(flags.state ? { statePath: resolve(flags.state) } : {}),
    ...(flags.aaguid ? { aaguid: flags.aaguid } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    presence: { mode: presence, timeoutMs },
    resetWindowMs,
    ctapVersion,
    ...(maxMsgSize !== undefined ? { maxMsgSize } : {}),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") throw new UsageError(`${flags.udp} is already in use`);
    throw err;
  });

  const rootPath = resolve(
    flags.rootOut ??
      (flags.state
        ? `${flags.state}.attestation-root.pem`
        : join(tmpdir(), `keyfleet-virtual-key-${server.address.port}-root.pem`)),
  );
  writeFileSync(rootPath, server.key.attestationRootPem);

  const address = server.address.host.includes(":")
    ? `[${server.address.host}]:${server.address.port}`
    : `${server.address.host}:${server.address.port}`;
  const details = {
    device: `udp:${address}`,
    host: server.address.host,
    port: server.address.port,
    aaguid: server.key.aaguidHex,
    attestationRoot: rootPath,
    state: flags.state ? resolve(flags.state) : null,
    presence,
  };
  if (flags.json) printJson(details);
  else {
    process.stdout.write(
      [
        `virtual key listening on udp:${address}`,
        `AAGUID ${details.aaguid}`,
        `attestation root: ${rootPath}`,
        `state: ${details.state ?? "memory only"}`,
        `presence: ${presence} (type 'presence approve|deny|timeout' or 'replug'; Ctrl-C stops)`,
        "",
      ].join("\n"),
    );
  }

  const { createInterface } = await import("node:readline");
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on("line", (line) => {
    const [word, arg] = line.trim().split(/\s+/);
    if (word === "presence" && (arg === "approve" || arg === "deny" || arg === "timeout")) {
      server.key.authenticator.setPresence(arg);
      process.stderr.write(`presence: ${arg}\n`);
    } else if (word === "replug") {
      server.key.powerCycle();
      process.stderr.write("replugged: reset window open again\n");
    } else if (word) {
      process.stderr.write(`unknown input '${word}': presence approve|deny|timeout, or replug\n`);
    }
  });

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  lines.close();
  await server.close();
  return ExitCode.Ok;
}

function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new UsageError(`--udp wants host:port (e.g. 127.0.0.1:8111), not '${value}'`);
  return { host: (m[1] ?? m[2])!, port };
}

function parsePresence(value: string): "approve" | "deny" | "timeout" {
  if (value === "approve" || value === "deny" || value === "timeout") return value;
  throw new UsageError(`--presence is approve, deny or timeout, not '${value}'`);
}

function parseMs(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} wants milliseconds, not '${value}'`);
  return n;
}
