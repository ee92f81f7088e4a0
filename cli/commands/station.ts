// `keyfleet station`: claim tasks and provision the keys plugged into this machine, many at once. Flags
// become StationSettings here; the work lives in station/runner, loaded lazily.
import type { Command } from "commander";
import { action, ExitCode, UsageError } from "../exit.js";

interface StationFlags {
  store?: string;
  stationId?: string;
  device: string[];
  hid: boolean;
  appCredential?: boolean;
  allowTestKeys?: boolean;
  unattended?: boolean;
  resetWithoutAsking?: boolean;
  pick?: boolean;
  dryRun?: boolean;
  json?: boolean;
  untilIdle?: boolean;
  pinDelivery: string;
  pinRecipient: string[];
  pinFolder?: string;
  leaseMinutes: string;
  anchor?: string;
  key?: string;
  pipelinePublicKey?: string;
}

const collect = (v: string, all: string[]) => [...all, v];

/** `udp:host:8111-8150` (the ports of `keyfleet virtual-key --count`) stands for one device per port. */
export function expandDevice(spec: string): string[] {
  const m = /^(udp:.+):(\d{1,5})-(\d{1,5})$/.exec(spec);
  if (!m) return [spec];
  const [from, to] = [Number(m[2]), Number(m[3])];
  if (to < from || to > 65535 || to - from >= 500)
    throw new UsageError(`--device ${spec}: a port range runs upwards, at most 500 ports, up to 65535`);
  return Array.from({ length: to - from + 1 }, (_, i) => `${m[1]}:${from + i}`);
}

export function registerStation(program: Command): void {
  program
    .command("station")
    .description("Claim tasks and provision keys plugged into this machine, each key its own ceremony")
    .option("--store <location>", "task store: sqlite:<path> or azure-table:<…> (env KEYFLEET_TASK_STORE)")
    .option(
      "--station-id <id>",
      "this station's name in every record (env KEYFLEET_STATION_ID; default hostname)",
    )
    .option(
      "--device <D>",
      "also use this device: udp:host:port, udp:host:first-last (one per port) or a HID path (repeatable)",
      collect,
      [],
    )
    .option("--no-hid", "do not poll USB keys")
    .option(
      "--app-credential",
      "sign in with the station's own credential (KEYFLEET_ENTRA_AUTH…), not the operator's",
    )
    .option("--allow-test-keys", "accept virtual and UDP keys against a real Entra (test tenants only)")
    .option("--unattended", "never ask: no resets, the next task in the queue for each key")
    .option("--reset-without-asking", "erase reused keys without asking (spare keys only)")
    .option("--pick", "ask which task each key takes (by person or scanned label)")
    .option("--dry-run", "check keys and tasks; write nothing")
    .option("--json", "one JSON event per line on stdout (errors too); never a PIN")
    .option("--until-idle", "stop once every plugged key has had its ceremony")
    .option("--pin-delivery <how>", "sealed (age, default), envelope or screen", "sealed")
    .option(
      "--pin-recipient <age1…>",
      "age recipient for sealed PINs (repeatable; env KEYFLEET_PIN_RECIPIENTS)",
      collect,
      [],
    )
    .option("--pin-folder <dir>", "the one folder sealed PINs or envelopes go to (env KEYFLEET_PIN_FOLDER)")
    .option("--lease-minutes <n>", "how long a claim lasts before another station may take it", "15")
    .option("--anchor <path>", "records anchor file (env KEYFLEET_RECORDS_ANCHOR)")
    .option("--key <path>", "the station's signing key (default .keyfleet/keys/station.ed25519)")
    .option("--pipeline-public-key <path>", "the pipeline's public key tasks must verify against")
    .action(
      action(async (flags: StationFlags) => {
        const { openStation } = await import("../../station/runner/openStation.js");
        const { runStation } = await import("../../station/runner/station.js");
        const { TerminalView } = await import("../../station/runner/terminalView.js");
        const { jsonEventWriter, fatalEvent } = await import("../../station/runner/jsonEvents.js");
        const { terminalOperator } = await import("../../station/runner/terminalOperator.js");
        const { crashAfterFromEnv } = await import("../../station/runner/steps.js");
        const json = flags.json === true;
        const emit = json
          ? jsonEventWriter((l) => process.stdout.write(l))
          : (
              (view) => (e: Parameters<typeof view.event>[0]) =>
                view.event(e)
            )(
              new TerminalView({
                write: (t) => process.stderr.write(t),
                isTTY: process.stderr.isTTY === true,
              }),
            );
        try {
          const leaseMinutes = Number(flags.leaseMinutes);
          if (!Number.isInteger(leaseMinutes) || leaseMinutes < 1 || leaseMinutes > 240)
            throw new UsageError("--lease-minutes must be 1 to 240");
          const operator = terminalOperator({
            event: emit,
            resetWithoutAsking: flags.resetWithoutAsking === true,
            askForTask: flags.pick === true,
          });
          const unattended = flags.unattended === true;
          const station = await openStation({
            ...(flags.store ? { store: flags.store } : {}),
            ...(flags.stationId ? { stationId: flags.stationId } : {}),
            devices: flags.device.flatMap(expandDevice),
            hid: flags.hid,
            appCredential: flags.appCredential === true,
            allowTestKeys: flags.allowTestKeys === true,
            attended: !unattended,
            delivery: await deliveryConfig(flags),
            leaseMs: leaseMinutes * 60_000,
            callTimeoutMs: 30_000,
            ...(flags.anchor ? { anchorPath: flags.anchor } : {}),
            ...(flags.key ? { stationKeyPath: flags.key } : {}),
            ...(flags.pipelinePublicKey ? { pipelinePublicKeyPath: flags.pipelinePublicKey } : {}),
            ...(crashAfterFromEnv() ? { crashAfter: crashAfterFromEnv()! } : {}),
            dryRun: flags.dryRun === true,
            operator: unattended
              ? {
                  ...operator,
                  confirmReset: async () => flags.resetWithoutAsking === true,
                  replug: async () => false,
                }
              : operator,
            onSignIn: (message) => process.stderr.write(`${message}\n`),
          });
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once("SIGINT", onSignal);
          process.once("SIGTERM", onSignal);
          try {
            const summary = await runStation(station.ctx, {
              sources: station.sources,
              untilIdle: flags.untilIdle === true || flags.dryRun === true,
              dryRun: flags.dryRun === true,
              signal: stop.signal,
            });
            return summary.outcomes.some((o) => o.status === "failed") ? ExitCode.Failure : ExitCode.Ok;
          } finally {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            operator.close();
            await station.close();
          }
        } catch (e) {
          if (!json) throw e;
          emit(fatalEvent(e));
          return ExitCode.Failure;
        }
      }),
    );
}

async function deliveryConfig(
  flags: StationFlags,
): Promise<import("../../station/pin/deliverPin.js").PinDeliveryConfig> {
  const folder = flags.pinFolder ?? process.env.KEYFLEET_PIN_FOLDER;
  switch (flags.pinDelivery) {
    case "sealed": {
      const recipients = [
        ...flags.pinRecipient,
        ...(process.env.KEYFLEET_PIN_RECIPIENTS ?? "").split(/[\s,]+/).filter(Boolean),
      ];
      if (recipients.length === 0)
        throw new UsageError(
          "sealed PINs need an age recipient: --pin-recipient age1… (or KEYFLEET_PIN_RECIPIENTS)",
        );
      if (!folder) throw new UsageError("sealed PINs need --pin-folder (or KEYFLEET_PIN_FOLDER)");
      return { method: "sealed", recipients, folder };
    }
    case "envelope":
      if (!folder) throw new UsageError("envelopes need --pin-folder (or KEYFLEET_PIN_FOLDER)");
      return { method: "envelope", folder };
    case "screen": {
      const { terminalPinScreen } = await import("../../station/runner/pinScreen.js");
      return { method: "screen", screen: terminalPinScreen(process.stderr) };
    }
    default:
      throw new UsageError("--pin-delivery must be sealed, envelope or screen");
  }
}
