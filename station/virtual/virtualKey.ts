// A virtual FIDO2 key: the CTAP 2.1 authenticator behind a device-side CTAPHID endpoint. Clients reach it
// with HID reports only — in process through openVirtualConnection(), or over UDP — so the same client
// code drives it as drives a USB key. A vendor CTAPHID command lets a test harness "replug" it.
import { VirtualAuthenticator, type VirtualAuthenticatorOptions } from "./authenticator.js";
import { CtaphidDevice, type ReportSink } from "./ctaphidDevice.js";
import { fileStore } from "./state.js";

/**
 * Vendor CTAPHID command (0x40–0x7f range) that simulates unplugging and replugging the key: clears
 * the power-cycle state (three wrong PINs), the token and the key agreement key, and reopens the reset
 * window. Replies with an empty payload. Real keys have no such command; it exists for test clients.
 */
export const VENDOR_POWER_CYCLE = 0x71;

export interface VirtualKeyOptions extends VirtualAuthenticatorOptions {
  /** Persist to this JSON file (created if missing). Overrides `store`. */
  statePath?: string;
  /** Partly received CTAPHID messages are dropped with ERR_MSG_TIMEOUT after this long. */
  messageTimeoutMs?: number;
  /** Interval of KEEPALIVE reports while a request waits. */
  keepaliveIntervalMs?: number;
}

export class VirtualKey {
  private constructor(
    readonly authenticator: VirtualAuthenticator,
    readonly device: CtaphidDevice,
  ) {}

  static async create(opts: VirtualKeyOptions = {}): Promise<VirtualKey> {
    const authenticator = await VirtualAuthenticator.create({
      ...opts,
      ...(opts.statePath ? { store: fileStore(opts.statePath) } : {}),
    });
    let key: VirtualKey | undefined;
    const device = new CtaphidDevice({
      handleCbor: (message, ctx) => authenticator.handle(message, ctx),
      vendorCommands: new Map([
        [
          VENDOR_POWER_CYCLE,
          () => {
            key?.powerCycle({ keepChannels: true });
            return new Uint8Array(0);
          },
        ],
      ]),
      deviceVersion: [1, 0, 0],
      ...(opts.messageTimeoutMs !== undefined ? { messageTimeoutMs: opts.messageTimeoutMs } : {}),
      ...(opts.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: opts.keepaliveIntervalMs } : {}),
    });
    key = new VirtualKey(authenticator, device);
    return key;
  }

  /** Feeds one 64-byte report from a client; replies go to `reply`. */
  receive(report: Uint8Array, reply: ReportSink): void {
    this.device.receive(report, reply);
  }

  /**
   * Simulates unplugging and replugging: volatile authenticator state is lost and the reset window
   * reopens. Channels are forgotten too, unless the replug was asked for over a channel (the vendor
   * command), whose client expects to carry on.
   */
  powerCycle(opts: { keepChannels?: boolean } = {}): void {
    if (!opts.keepChannels) this.device.reset();
    this.authenticator.powerCycle();
  }

  get attestationRootPem(): string {
    return this.authenticator.attestationRootPem;
  }

  get aaguidHex(): string {
    return this.authenticator.aaguidHex;
  }
}
