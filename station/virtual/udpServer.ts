// The virtual key over UDP, in the convention of firmware simulators: each datagram is one raw 64-byte
// report without a report-ID byte. Unlike simulators, which send every reply to 127.0.0.1:7112, it
// replies to each datagram's sender, so any number of clients on any port can use it.
import { createSocket, type Socket } from "node:dgram";
import { VirtualKey, type VirtualKeyOptions } from "./virtualKey.js";

export interface VirtualKeyUdpOptions extends VirtualKeyOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind (default 8111; 0 picks a free one). */
  port?: number;
  /** Use this key instead of creating one from the options. */
  key?: VirtualKey;
}

export interface VirtualKeyUdpServer {
  key: VirtualKey;
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startVirtualKeyUdp(opts: VirtualKeyUdpOptions = {}): Promise<VirtualKeyUdpServer> {
  const key = opts.key ?? (await VirtualKey.create(opts));
  const host = opts.host ?? "127.0.0.1";
  const socket: Socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(opts.port ?? 8111, host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  // A send that fails (the client went away) loses that reply; the server keeps serving.
  socket.on("error", () => {});
  socket.on("message", (msg, rinfo) => {
    key.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), (report) => {
      socket.send(report, rinfo.port, rinfo.address);
    });
  });
  const bound = socket.address();
  let closed = false;
  return {
    key,
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        key.device.reset();
        socket.close(() => resolve());
      }),
  };
}
