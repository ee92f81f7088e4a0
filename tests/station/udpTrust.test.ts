// The UDP transport trusts only the key: its reply port is on loopback, datagrams from any other sender
// are ignored (a forged getInfo from another port must not be taken as the key's answer), and a key that
// stays busy or sends datagrams that are not one report ends in an error that says so.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { type CborValue, encodeCanonical } from "../../station/cbor.js";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { getInfo } from "../../station/ctap2/getInfo.js";
import type { TransportError } from "../../station/ctaphid/errors.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { fragment } from "../../station/ctaphid/packets.js";
import { UdpConnection } from "../../station/transport/udp.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../station/virtual/udpServer.js";

const sockets: Socket[] = [];
const servers: VirtualKeyUdpServer[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const s of servers.splice(0)) await s.close();
});

async function udpSocket(
  onMessage?: (msg: Buffer, rinfo: RemoteInfo, self: Socket) => void,
): Promise<Socket> {
  const s = createSocket("udp4");
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  if (onMessage) s.on("message", (m, ri) => onMessage(m, ri, s));
  return s;
}

/** A simulator that answers INIT (channel 0a0b0c0d) and then hands every other report to `then`. */
function simulator(then: (msg: Buffer, rinfo: RemoteInfo, self: Socket) => void) {
  return (msg: Buffer, rinfo: RemoteInfo, self: Socket): void => {
    if (msg[4] !== 0x86) {
      then(msg, rinfo, self);
      return;
    }
    const reply = Buffer.alloc(64);
    reply.writeUInt32BE(0xffffffff, 0);
    reply[4] = 0x86;
    reply.writeUInt16BE(17, 5);
    msg.copy(reply, 7, 7, 15);
    reply.writeUInt32BE(0x0a0b0c0d, 15);
    reply[19] = 2;
    reply[23] = 0x0c;
    self.send(reply, rinfo.port, rinfo.address);
  };
}

describe("UdpConnection trust", () => {
  it("should bind its reply port on loopback by default", async () => {
    const server = await startVirtualKeyUdp({ port: 0 });
    servers.push(server);
    const conn = await UdpConnection.open({ host: "127.0.0.1", port: server.address.port }, { localPort: 0 });
    expect(conn.localAddress).toBe("127.0.0.1");
    await conn.close();
  });

  it("should ignore a forged getInfo from another port and take the key's own", async () => {
    const server = await startVirtualKeyUdp({ port: 0, aaguid: "00112233445566778899aabbccddeeff" });
    servers.push(server);
    const forger = await udpSocket();
    const conn = await UdpConnection.open({ host: "127.0.0.1", port: server.address.port }, { localPort: 0 });
    const dev = await CtapHidDevice.open(conn);
    const forgedInfo = new Map<number, CborValue>([
      [1, ["FIDO_2_0"]],
      [3, new Uint8Array(16).fill(0xee)],
    ]);
    const body = Uint8Array.from([0, ...encodeCanonical(forgedInfo)]);
    const forge = (): void => {
      for (const r of fragment(dev.cid, 0x10, body)) forger.send(r, conn.localPort, "127.0.0.1");
    };
    // The forged reply is waiting at the reply port before the request goes out, so it would be read first.
    forge();
    await new Promise((r) => setTimeout(r, 50));
    const info = await getInfo(new Ctap2(dev), { timeoutMs: 2000 });
    expect(info.aaguid).toBe("00112233-4455-6677-8899-aabbccddeeff");
    expect(conn.dropped()).toMatch(/datagrams from other senders were ignored/);
    await dev.close();
  });

  it("should say the key is busy when it answers CHANNEL_BUSY throughout", async () => {
    const sim = await udpSocket(
      simulator((msg, rinfo, self) => {
        const busy = Buffer.alloc(64);
        msg.copy(busy, 0, 0, 4);
        busy[4] = 0xbf;
        busy.writeUInt16BE(1, 5);
        busy[7] = 0x06;
        self.send(busy, rinfo.port, rinfo.address);
      }),
    );
    const conn = await UdpConnection.open({ host: "127.0.0.1", port: sim.address().port }, { localPort: 0 });
    const dev = await CtapHidDevice.open(conn);
    const e = (await dev
      .call(0x10, Uint8Array.of(4), { timeoutMs: 300 })
      .catch((x: unknown) => x)) as TransportError;
    expect(e.kind).toBe("busy");
    expect(e.message).toMatch(/answered CHANNEL_BUSY \d+ times in 300 ms/);
    await dev.close();
  });

  it("should say the key sent datagrams that are not one report", async () => {
    const sim = await udpSocket(
      simulator((msg, rinfo, self) => {
        // A report-ID byte in front: 65 bytes, as a careless simulator sends them.
        self.send(Buffer.concat([Buffer.of(0), msg]), rinfo.port, rinfo.address);
      }),
    );
    const conn = await UdpConnection.open({ host: "127.0.0.1", port: sim.address().port }, { localPort: 0 });
    const dev = await CtapHidDevice.open(conn);
    const e = (await dev
      .call(0x10, Uint8Array.of(4), { timeoutMs: 200 })
      .catch((x: unknown) => x)) as TransportError;
    expect(e.kind).toBe("timeout");
    expect(e.message).toMatch(
      /the key sent \d+ datagrams that are not one 64-byte report \(the last was 65 bytes\)/,
    );
    await dev.close();
  });

  it("should refuse a key that is not on this machine unless a local address is named, sending nothing", async () => {
    await expect(UdpConnection.open({ host: "192.0.2.1", port: 8111 }, { localPort: 0 })).rejects.toThrow(
      /is not on this machine/,
    );
  });
});
