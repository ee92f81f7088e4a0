// The firmware-simulator convention over UDP: one 64-byte report per datagram, no report-ID byte; the
// authenticator listens on 8111 and answers on 7112. We send to the configured target and receive on a
// bound local port (7112 by default, 0 for any free port when the authenticator answers the sender).
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { TransportError } from "../ctaphid/errors.js";
import { HID_REPORT_SIZE, type HidConnection } from "./connection.js";
import { ReportQueue } from "./reportQueue.js";

export const UDP_DEFAULT_DEVICE_PORT = 8111;
export const UDP_DEFAULT_LOCAL_PORT = 7112;

export interface UdpTarget {
  host: string;
  port: number;
}

/** Parses `udp:host:port` (port optional, default 8111); undefined when the string is not a UDP device. */
export function parseUdpDevice(device: string): UdpTarget | undefined {
  if (!device.startsWith("udp:")) return undefined;
  const rest = device.slice(4);
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(rest);
  if (!m) throw new TransportError("io", `'${device}' is not udp:host:port`);
  const host = m[1] ?? m[2]!;
  const port = m[3] === undefined ? UDP_DEFAULT_DEVICE_PORT : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TransportError("io", `'${device}' has no valid port`);
  return { host, port };
}

export class UdpConnection implements HidConnection {
  private readonly queue = new ReportQueue();
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly target: UdpTarget,
  ) {
    socket.on("message", (msg) => {
      // Only whole reports count; anything else on the port is somebody else's traffic.
      if (msg.length === HID_REPORT_SIZE) this.queue.push(Uint8Array.from(msg));
    });
    socket.on("error", (e) =>
      this.queue.fail(new TransportError("io", "the UDP socket failed", { cause: e })),
    );
    socket.on("close", () => this.queue.fail(new TransportError("io", "the UDP connection is closed")));
  }

  /** Binds the local port and returns a connection that sends to `target`. */
  static async open(
    target: UdpTarget,
    opts: { localPort?: number; localAddress?: string } = {},
  ): Promise<UdpConnection> {
    const family = isIP(target.host) === 6 ? "udp6" : "udp4";
    const socket = createSocket(family);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(opts.localPort ?? UDP_DEFAULT_LOCAL_PORT, opts.localAddress, () => {
        socket.off("error", reject);
        resolve();
      });
    }).catch((cause: unknown) => {
      socket.close();
      throw new TransportError("io", `cannot bind UDP port ${opts.localPort ?? UDP_DEFAULT_LOCAL_PORT}`, {
        cause,
      });
    });
    return new UdpConnection(socket, target);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  write(report: Uint8Array): Promise<void> {
    if (report.length !== HID_REPORT_SIZE) return Promise.reject(new RangeError("a report is 64 bytes"));
    if (this.closed) return Promise.reject(new TransportError("io", "the UDP connection is closed"));
    return new Promise((resolve, reject) => {
      this.socket.send(report, this.target.port, this.target.host, (err) => (err ? reject(err) : resolve()));
    });
  }

  read(signal?: AbortSignal): Promise<Uint8Array> {
    return this.queue.read(signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
