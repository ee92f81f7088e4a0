// The firmware-simulator convention over UDP: one 64-byte report per datagram, no report-ID byte; the
// authenticator listens on 8111 and answers on 7112. We send to the configured target and receive on a
// bound local port (7112 by default, 0 for any free port when the authenticator answers the sender).
// The reply port is bound on loopback unless another address is named, and only datagrams from the key's
// own address and port are taken: anyone else on the machine could otherwise answer for the key. What is
// dropped (other senders, datagrams that are not one report) is counted for the timeout message.
import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
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

/** True for 127.0.0.0/8 and ::1 (IPv4-mapped loopback included). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

export class UdpConnection implements HidConnection {
  private readonly queue = new ReportQueue();
  private closed = false;
  private otherSenders = 0;
  private wrongSize = 0;
  private lastWrongSize = 0;

  private constructor(
    private readonly socket: Socket,
    readonly target: UdpTarget,
    private readonly targetAddress: string,
  ) {
    socket.on("message", (msg, rinfo) => {
      if (rinfo.address !== targetAddress || rinfo.port !== target.port) {
        this.otherSenders++;
        return;
      }
      if (msg.length !== HID_REPORT_SIZE) {
        this.wrongSize++;
        this.lastWrongSize = msg.length;
        return;
      }
      this.queue.push(Uint8Array.from(msg));
    });
    socket.on("error", (e) =>
      this.queue.fail(new TransportError("io", "the UDP socket failed", { cause: e })),
    );
    socket.on("close", () => this.queue.fail(new TransportError("io", "the UDP connection is closed")));
  }

  /**
   * Binds the local port (on loopback unless `localAddress` is given) and returns a connection that
   * sends to `target` and hears only from it. A target off this machine needs an explicit localAddress.
   */
  static async open(
    target: UdpTarget,
    opts: { localPort?: number; localAddress?: string } = {},
  ): Promise<UdpConnection> {
    let resolved: { address: string; family: number };
    try {
      resolved = isIP(target.host)
        ? { address: target.host, family: isIP(target.host) }
        : await lookup(target.host);
    } catch (cause) {
      throw new TransportError("io", `cannot resolve the UDP key's host '${target.host}'`, { cause });
    }
    const loopback = isLoopbackAddress(resolved.address);
    if (!loopback && opts.localAddress === undefined) {
      throw new TransportError(
        "io",
        `the UDP key at ${target.host} is not on this machine: name the local address to receive replies on`,
      );
    }
    const family = resolved.family === 6 ? "udp6" : "udp4";
    const localAddress = opts.localAddress ?? (family === "udp6" ? "::1" : "127.0.0.1");
    const localPort = opts.localPort ?? UDP_DEFAULT_LOCAL_PORT;
    const socket = createSocket(family);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(localPort, localAddress, () => {
        socket.off("error", reject);
        resolve();
      });
    }).catch((cause: unknown) => {
      socket.close();
      throw new TransportError("io", `cannot bind UDP port ${localPort} on ${localAddress}`, { cause });
    });
    return new UdpConnection(socket, target, resolved.address);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  get localAddress(): string {
    return this.socket.address().address;
  }

  dropped(): string | undefined {
    const notes: string[] = [];
    if (this.wrongSize > 0) {
      notes.push(
        `the key sent ${this.wrongSize} datagrams that are not one ${HID_REPORT_SIZE}-byte report ` +
          `(the last was ${this.lastWrongSize} bytes)`,
      );
    }
    if (this.otherSenders > 0) notes.push(`${this.otherSenders} datagrams from other senders were ignored`);
    return notes.length ? notes.join("; ") : undefined;
  }

  write(report: Uint8Array): Promise<void> {
    if (report.length !== HID_REPORT_SIZE) return Promise.reject(new RangeError("a report is 64 bytes"));
    if (this.closed) return Promise.reject(new TransportError("io", "the UDP connection is closed"));
    return new Promise((resolve, reject) => {
      this.socket.send(report, this.target.port, this.targetAddress, (err) =>
        err ? reject(err) : resolve(),
      );
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
