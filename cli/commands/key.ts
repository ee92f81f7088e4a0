// `keyfleet key`: inspect, test and reset FIDO2 keys plugged into this machine or served over UDP.
// Flags become options objects here; the CTAP work lives in station/keyCommands, loaded lazily.
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface DeviceFlags {
  device: string;
  localPort?: string;
  json?: boolean;
}

const deviceHelp = "HID path from 'keyfleet key list', or udp:host:port for a simulator or virtual key";

function withDevice(cmd: Command): Command {
  return cmd
    .requiredOption("--device <D>", deviceHelp)
    .option("--local-port <port>", "UDP only: local port for replies (default 7112; 0 for any free port)")
    .option("--json", "machine-readable output");
}

function openOpts(flags: DeviceFlags): { udpLocalPort?: number } {
  if (flags.localPort === undefined) return {};
  const port = Number(flags.localPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError("--local-port must be 0 to 65535");
  return { udpLocalPort: port };
}

interface PinFlags {
  pinStdin?: boolean;
  pinFd?: string;
}

/**
 * The PIN never comes from argv (world-readable through ps) nor from the environment (inherited by
 * every child process, easily left in a shell's history or a CI log): the terminal without echo,
 * standard input, or an inherited file descriptor.
 */
async function readOperatorPin(flags: PinFlags): Promise<Buffer> {
  const input = await import("../../station/pin/pinInput.js");
  if (flags.pinStdin && flags.pinFd !== undefined)
    throw new UsageError("give --pin-stdin or --pin-fd, not both");
  try {
    if (flags.pinFd !== undefined) {
      if (!/^\d+$/.test(flags.pinFd)) throw new UsageError("--pin-fd needs a file descriptor number");
      return await input.readPinFromFd(Number(flags.pinFd));
    }
    if (flags.pinStdin) return await input.readPinFromStream(process.stdin);
    if (process.stdin.isTTY) {
      return await input.readPinFromTerminal(
        process.stdin,
        process.stderr,
        "PIN of the key (or the PIN to set if it has none): ",
      );
    }
  } catch (e) {
    if (e instanceof input.PinInputError) throw new UsageError(e.message);
    throw e;
  }
  throw new UsageError("the key's PIN is needed: type it at a terminal, or give --pin-stdin or --pin-fd N");
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function registerKey(program: Command): void {
  const key = program
    .command("key")
    .description("Inspect, test and reset FIDO2 keys plugged into this machine");

  key
    .command("list")
    .description("List plugged FIDO keys: path, vendor, product, AAGUID, model")
    .option("--json", "machine-readable output")
    .action(
      action(async (flags: { json?: boolean }) => {
        const { listKeys } = await import("../../station/keyCommands/keyList.js");
        const keys = await listKeys();
        if (flags.json) printJson(keys);
        else if (keys.length === 0) process.stdout.write("No FIDO keys found.\n");
        else {
          for (const k of keys) {
            const what = [k.manufacturer, k.model].filter(Boolean).join(" ") || "unknown model";
            process.stdout.write(
              `${k.path}  ${k.vendorId}:${k.productId}  ${k.aaguid ?? `(${k.error ?? "no AAGUID"})`}  ${what}\n`,
            );
          }
        }
        return ExitCode.Ok;
      }),
    );

  withDevice(
    key
      .command("info")
      .description("Show a key's getInfo in plain words: versions, PIN, protocols, features"),
  ).action(
    action(async (flags: DeviceFlags) => {
      const { openKeySession } = await import("../../station/keyCommands/session.js");
      const { describeKey, formatKeyInfo } = await import("../../station/keyCommands/keyInfo.js");
      const session = await openKeySession(flags.device, openOpts(flags));
      try {
        const report = await describeKey(session);
        if (flags.json) printJson(report);
        else process.stdout.write(`${formatKeyInfo(report).join("\n")}\n`);
        return ExitCode.Ok;
      } finally {
        await session.close();
      }
    }),
  );

  withDevice(
    key
      .command("test")
      .description(
        "Run a throwaway registration and sign-in on a test relying party and verify the signature",
      )
      .option("--pin-stdin", "read the key's PIN (or the PIN to set on a new key) from standard input")
      .option("--pin-fd <N>", "read the key's PIN from file descriptor N (e.g. 3<pinfile)")
      .option("--rp-id <id>", "test relying party", "keyfleet.test"),
  ).action(
    action(async (flags: DeviceFlags & PinFlags & { rpId: string }) => {
      const pin = await readOperatorPin(flags);
      try {
        const { openKeySession, touchPrompt } = await import("../../station/keyCommands/session.js");
        const { testKey } = await import("../../station/keyCommands/keyTest.js");
        const session = await openKeySession(flags.device, openOpts(flags));
        let report: Awaited<ReturnType<typeof testKey>>;
        try {
          report = await testKey(session, { pin, rpId: flags.rpId, onKeepalive: touchPrompt(say) });
        } finally {
          await session.close();
        }
        if (flags.json) printJson(report);
        else {
          if (report.pinSetNow) process.stdout.write("PIN set (the key had none).\n");
          process.stdout.write(
            `Key test passed on ${report.rpId}: ${report.fmt} attestation, algorithm ${report.alg}, ` +
              `user verified: ${report.userVerified ? "yes" : "no"}, assertion signature valid.\nAAGUID ${report.aaguid}\n`,
          );
        }
        return ExitCode.Ok;
      } finally {
        pin.fill(0);
      }
    }),
  );

  withDevice(
    key
      .command("reset")
      .description("Erase every credential and the PIN on a key (asks for confirmation)")
      .option("--yes", "do not ask for confirmation"),
  ).action(
    action(async (flags: DeviceFlags & { yes?: boolean }) => {
      const { RESET_WARNING, resetKey } = await import("../../station/keyCommands/keyReset.js");
      for (const line of RESET_WARNING) say(line);
      if (!flags.yes) {
        const answer = await ask(`Type 'reset' to erase the key at ${flags.device}: `);
        if (answer.trim() !== "reset") throw new UsageError("not confirmed: the key was left as it was");
      }
      const { openKeySession, touchPrompt } = await import("../../station/keyCommands/session.js");
      const session = await openKeySession(flags.device, openOpts(flags));
      try {
        await resetKey(session, { onKeepalive: touchPrompt(say) });
      } finally {
        await session.close();
      }
      if (flags.json) printJson({ device: flags.device, reset: true });
      else process.stdout.write("The key was reset: no credentials, no PIN.\n");
      return ExitCode.Ok;
    }),
  );
}

async function ask(question: string): Promise<string> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(question);
  return new Promise((resolve) => {
    let answered = false;
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!answered) resolve("");
    });
  });
}
