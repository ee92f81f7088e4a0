// Transports below CTAPHID: UDP device strings, the UDP connection over real sockets in the simulator
// convention, the bounded report queue, node-hid discovery, and plug/unplug polling.
import { createSocket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { TransportError } from "../../station/ctaphid/errors.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { type HidKeyInfo, listHidKeys, watchHidKeys } from "../../station/transport/hid.js";
import { ReportQueue } from "../../station/transport/reportQueue.js";
import { parseUdpDevice, UdpConnection } from "../../station/transport/udp.js";

describe("parseUdpDevice", () => {
  it("should read host and port, defaulting the port to 8111", () => {
    expect(parseUdpDevice("udp:127.0.0.1:8111")).toEqual({ host: "127.0.0.1", port: 8111 });
    expect(parseUdpDevice("udp:localhost")).toEqual({ host: "localhost", port: 8111 });
    expect(parseUdpDevice("udp:[::1]:9000")).toEqual({ host: "::1", port: 9000 });
    expect(parseUdpDevice("/dev/hidraw3")).toBeUndefined();
  });

  it("should refuse a bad port or a malformed string with a TransportError", () => {
    for (const bad of ["udp:host:0", "udp:host:70000", "udp:", "udp:a:b:c"]) {
      expect(() => parseUdpDevice(bad), bad).toThrow(TransportError);
    }
  });
});

describe("ReportQueue", () => {
  it("should keep only the newest reports when nobody reads", async () => {
    const q = new ReportQueue();
    for (let i = 0; i < 1000; i++) q.push(Uint8Array.of(i & 0xff, i >> 8));
    const first = await q.read();
    expect(first[0]! | (first[1]! << 8)).toBe(1000 - 256);
  });

  it("should reject a waiting read on abort and on failure", async () => {
    const q = new ReportQueue();
    const ac = new AbortController();
    const p = q.read(ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    const p2 = q.read();
    q.fail(new TransportError("io", "gone"));
    await expect(p2).rejects.toThrow("gone");
  });
});

describe("UdpConnection", () => {
  it("should speak the simulator convention: raw 64-byte datagrams, replies to the bound local port", async () => {
    const sim = createSocket("udp4");
    await new Promise<void>((r) => sim.bind(0, "127.0.0.1", r));
    const conn = await UdpConnection.open(
      { host: "127.0.0.1", port: sim.address().port },
      { localPort: 0, localAddress: "127.0.0.1" },
    );
    const cid = Buffer.from("0a0b0c0d", "hex");
    sim.on("message", (msg) => {
      expect(msg.length).toBe(64);
      const reply = Buffer.alloc(64);
      if (msg[4] === 0x86) {
        reply.writeUInt32BE(0xffffffff, 0);
        reply[4] = 0x86;
        reply.writeUInt16BE(17, 5);
        msg.copy(reply, 7, 7, 15);
        cid.copy(reply, 15);
        reply[19] = 2;
        reply[23] = 0x0c;
      } else {
        msg.copy(reply);
      }
      // A stray short datagram first: not a report, so it must be ignored.
      sim.send(Buffer.alloc(10), conn.localPort, "127.0.0.1");
      sim.send(reply, conn.localPort, "127.0.0.1");
    });
    const dev = await CtapHidDevice.open(conn);
    expect(dev.cid).toBe(0x0a0b0c0d);
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    expect(await dev.ping(data, { timeoutMs: 2000 })).toEqual(data);
    await dev.close();
    await expect(conn.read()).rejects.toThrow(TransportError);
    sim.close();
  });

  it("should time out with a typed error when nothing listens", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    const conn = await UdpConnection.open(
      { host: "127.0.0.1", port: silent.address().port },
      { localPort: 0 },
    );
    await expect(CtapHidDevice.open(conn, { initTimeoutMs: 100 })).rejects.toMatchObject({ kind: "timeout" });
    silent.close();
  });

  it("should report a local port already in use as a TransportError", async () => {
    const taken = createSocket("udp4");
    await new Promise<void>((r) => taken.bind(0, r));
    await expect(
      UdpConnection.open({ host: "127.0.0.1", port: 8111 }, { localPort: taken.address().port }),
    ).rejects.toThrow(TransportError);
    taken.close();
  });
});

describe("node-hid transport", () => {
  it("should load node-hid with the hidraw driver and list only FIDO keys", async () => {
    const keys = await listHidKeys();
    expect(Array.isArray(keys)).toBe(true);
    for (const k of keys) expect(typeof k.path).toBe("string");
  });

  it("should notice keys arriving and leaving by polling", async () => {
    const a: HidKeyInfo = { path: "/dev/hidraw1", vendorId: 0x1050, productId: 0x0407 };
    const b: HidKeyInfo = { path: "/dev/hidraw2", vendorId: 0x20a0, productId: 0x42b1 };
    const snapshots = [[a], [a, b], [b]];
    const changes: { added: string[]; removed: string[] }[] = [];
    await new Promise<void>((resolve) => {
      const stop = watchHidKeys(
        (c) => {
          changes.push({ added: c.added.map((k) => k.path), removed: c.removed.map((k) => k.path) });
          if (changes.length === 3) {
            stop();
            resolve();
          }
        },
        { intervalMs: 1, list: async () => snapshots[Math.min(changes.length, 2)]! },
      );
    });
    expect(changes).toEqual([
      { added: ["/dev/hidraw1"], removed: [] },
      { added: ["/dev/hidraw2"], removed: [] },
      { added: [], removed: ["/dev/hidraw1"] },
    ]);
  });
});
