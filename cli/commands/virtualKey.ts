// `keyfleet virtual-key`: serves a software FIDO2 key over UDP (one 64-byte HID report per datagram,
// replies to each sender) until SIGINT, or `--count N` keys on consecutive ports from one process (a desk
// of blank keys for the hand-run loop). Prints the bound addresses and where the attestation roots are, so
// an emulator or a test can trust the keys' attestation.
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
  count: string;
  serial?: string;
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
    .option(
      "--count <n>",
      "serve N keys on consecutive ports from --udp's port (memory only; --root-out gets all N roots)",
      "1",
    )
    .option(
      "--serial <s[,s…]>",
      "offer enterprise attestation naming this device serial (with --count, one serial a key, in port order)",
    )
    .option("--json", "print the listening details as JSON")
    .addHelpText(
      "after",
      [
        "",
        "While it runs, lines on standard input change it:",
        "  presence approve|deny|timeout   what the next touch request does",
        "  replug                          simulate unplugging and plugging the key in again",
        "Reset is accepted only within --reset-window of start or of a replug, as real keys do.",
        "With --count, each line changes every key.",
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

  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { dirname, join, resolve } = await import("node:path");
  const { startVirtualKeyUdp } = await import("../../station/virtual/udpServer.js");
  const { normaliseAaguid } = await import("../../station/virtual/authenticator.js");
  if (flags.aaguid !== undefined) {
    try {
      normaliseAaguid(flags.aaguid);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  const count = Number(flags.count);
  if (!/^\d+$/.test(flags.count) || count < 1 || count > 500)
    throw new UsageError("--count must be a whole number from 1 to 500");
  if (count > 1 && flags.state) throw new UsageError("--state keeps one key: leave it out with --count");
  if (count > 1 && port !== 0 && port + count - 1 > 65535)
    throw new UsageError(`--count ${count} from port ${port} runs past 65535`);

  const serials = flags.serial === undefined ? [] : flags.serial.split(",").map((x) => x.trim());
  if (serials.some((x) => x === "") || serials.length > count)
    throw new UsageError(`--serial names at most ${count} serial(s), none empty`);

  const servers: Awaited<ReturnType<typeof startVirtualKeyUdp>>[] = [];
  const closeAll = async () => {
    for (const s of servers) await s.close();
  };
  for (let i = 0; i < count; i++) {
    const server = await startVirtualKeyUdp({
      host,
      port: port === 0 ? 0 : port + i,
      ...(flags.state ? { statePath: resolve(flags.state) } : {}),
      ...(flags.aaguid ? { aaguid: flags.aaguid } : {}),
      ...(flags.model ? { model: flags.model } : {}),
      presence: { mode: presence, timeoutMs },
      resetWindowMs,
      ctapVersion,
      ...(maxMsgSize !== undefined ? { maxMsgSize } : {}),
      ...(serials[i] !== undefined ? { enterpriseAttestation: { serial: serials[i]! } } : {}),
    }).catch(async (err: NodeJS.ErrnoException) => {
      await closeAll();
      if (err.code === "EADDRINUSE")
        throw new UsageError(`${host}:${port === 0 ? 0 : port + i} is already in use`);
      throw err;
    });
    servers.push(server);
  }
  const first = servers[0]!;

  const rootPath = resolve(
    flags.rootOut ??
      (flags.state
        ? `${flags.state}.attestation-root.pem`
        : join(tmpdir(), `keyfleet-virtual-key-${first.address.port}-root.pem`)),
  );
  try {
    mkdirSync(dirname(rootPath), { recursive: true });
    // Every key has a root of its own; with --count the file is a bundle of them all.
    writeFileSync(rootPath, `${servers.map((s) => s.key.attestationRootPem.trimEnd()).join("\n")}\n`);
  } catch (err) {
    // The sockets would keep the process alive after the error.
    await closeAll();
    throw err;
  }

  const addressOf = (a: { host: string; port: number }) =>
    a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  const devices = servers.map((s) => `udp:${addressOf(s.address)}`);
  const details = {
    device: devices[0]!,
    host: first.address.host,
    port: first.address.port,
    aaguid: first.key.aaguidHex,
    attestationRoot: rootPath,
    state: flags.state ? resolve(flags.state) : null,
    presence,
    ...(count > 1 ? { devices } : {}),
  };
  if (flags.json) printJson(details);
  else {
    process.stdout.write(
      [
        count === 1
          ? `virtual key listening on ${devices[0]}`
          : port === 0
            ? `${count} virtual keys listening on ${devices.join(" ")}`
            : `${count} virtual keys listening on ${devices[0]}-${first.address.port + count - 1} (one per port; keyfleet station --device takes the range)`,
        `AAGUID ${details.aaguid}`,
        `attestation root${count > 1 ? "s" : ""}: ${rootPath}`,
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
      for (const s of servers) s.key.authenticator.setPresence(arg);
      process.stderr.write(`presence: ${arg}\n`);
    } else if (word === "replug") {
      for (const s of servers) s.key.powerCycle();
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
  await closeAll();
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
