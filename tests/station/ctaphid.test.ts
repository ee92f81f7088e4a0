// CTAPHID framing against a scripted device: exact request reports, reassembly, keepalive, cancel,
// errors, busy retry, reports that are not ours (other channels, other nonces, late answers) skipped
// within the deadline, and hostile replies on our channel (sequence, length) refused.
import { describe, expect, it } from "vitest";
import { CtapError } from "../../station/ctap2/errors.js";
import { TransportError } from "../../station/ctaphid/errors.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { fragment, MAX_MESSAGE_SIZE } from "../../station/ctaphid/packets.js";
import { CID, initThen, NONCE, report, ScriptedConnection } from "./scriptedConnection.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const nonce = () => Uint8Array.from(Buffer.from(NONCE, "hex"));

async function open(then: ConstructorParameters<typeof ScriptedConnection>[0]) {
  const conn = new ScriptedConnection(initThen(then));
  const dev = await CtapHidDevice.open(conn, { nonce, timeoutMs: 2000 });
  return { conn, dev };
}

async function expectTransport(p: Promise<unknown>, kind: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(TransportError.isInstance(e), String(e)).toBe(true);
  expect((e as TransportError).kind).toBe(kind);
}

describe("CtapHidDevice", () => {
  it("should send INIT on the broadcast channel and take the allocated channel and capabilities", async () => {
    const { conn, dev } = await open(() => {});
    expect(hex(conn.written[0]!)).toBe(hex(report("ffffffff 86 0008", NONCE)));
    expect(dev.cid).toBe(0xa1b2c3d4);
    expect(dev.info).toEqual({
      cid: 0xa1b2c3d4,
      protocolVersion: 2,
      deviceVersion: { major: 5, minor: 4, build: 3 },
      capabilities: 0x0d,
    });
  });

  it("should fragment a 200-byte request into one init and three continuation reports", async () => {
    const data = Uint8Array.from({ length: 200 }, (_, i) => i);
    const { conn, dev } = await open((r, c) => {
      if (r[4] === 2) c.push(report(CID, "90 0001 00"));
    });
    const reply = await dev.call(0x10, data);
    expect(hex(reply)).toBe("00");
    const sent = conn.written.slice(1).map(hex);
    expect(sent).toEqual([
      hex(report(CID, "90 00c8", hex(data.subarray(0, 57)))),
      hex(report(CID, "00", hex(data.subarray(57, 116)))),
      hex(report(CID, "01", hex(data.subarray(116, 175)))),
      hex(report(CID, "02", hex(data.subarray(175)))),
    ]);
  });

  it("should reassemble a multi-report reply and echo PING", async () => {
    const { dev } = await open((r, c) => {
      // Echo whatever arrives, report for report, on the same channel.
      c.push(r);
    });
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    expect(await dev.ping(data)).toEqual(data);
  });

  it("should pass KEEPALIVE statuses to the caller and then return the reply", async () => {
    const { dev } = await open((_r, c) => {
      c.push(report(CID, "bb 0001 01"));
      c.push(report(CID, "bb 0001 02"));
      c.push(report(CID, "90 0002 00a0"));
    });
    const statuses: number[] = [];
    const reply = await dev.call(0x10, Uint8Array.of(4), { onKeepalive: (s) => statuses.push(s) });
    expect(statuses).toEqual([1, 2]);
    expect(hex(reply)).toBe("00a0");
  });

  it("should map CTAPHID_ERROR to CtapError keeping the code", async () => {
    const { dev } = await open((_r, c) => c.push(report(CID, "bf 0001 0b")));
    const e = await dev.call(0x10, Uint8Array.of(4)).catch((x: unknown) => x);
    expect(CtapError.isInstance(e)).toBe(true);
    expect((e as CtapError).status).toBe(0x0b);
    expect((e as CtapError).message).toContain("INVALID_CHANNEL");
  });

  it("should retry CHANNEL_BUSY until the key answers", async () => {
    let tries = 0;
    const { dev } = await open((_r, c) => {
      tries++;
      c.push(tries < 3 ? report(CID, "bf 0001 06") : report(CID, "90 0001 00"));
    });
    expect(hex(await dev.call(0x10, Uint8Array.of(4)))).toBe("00");
    expect(tries).toBe(3);
  });

  it("should send CANCEL when the caller aborts while the key waits for a touch", async () => {
    const ac = new AbortController();
    const { conn, dev } = await open((r, c) => {
      if (r[4] === 0x90) {
        c.push(report(CID, "bb 0001 02"));
      } else if (r[4] === 0x91) {
        c.push(report(CID, "90 0001 2d"));
      }
    });
    const p = dev.call(0x10, Uint8Array.of(1), { signal: ac.signal, onKeepalive: () => ac.abort() });
    await expectTransport(p, "cancelled");
    expect(hex(conn.written.at(-1)!)).toBe(hex(report(CID, "91 0000")));
    // The late KEEPALIVE_CANCEL reply was drained: the next call sees only its own reply.
    conn.push(report(CID, "90 0001 00"));
    expect(hex(await dev.call(0x10, Uint8Array.of(4), { timeoutMs: 500 }))).toBe("00");
  });

  it("should time out a silent key with a timeout TransportError", async () => {
    const { conn, dev } = await open(() => {});
    await expectTransport(dev.call(0x10, Uint8Array.of(4), { timeoutMs: 50 }), "timeout");
    expect(conn.pendingReads).toBe(0);
  });

  const hostile: [string, string[]][] = [
    ["a wrong sequence number", [`${CID} 90 0064 00`, `${CID} 01 00`]],
    ["an init packet mid-message", [`${CID} 90 0064 00`, `${CID} 90 0001 00`]],
    ["a length beyond the CTAPHID maximum", [`${CID} 90 ffff 00`]],
    ["an ERROR without a code", [`${CID} bf 0000`]],
    ["a KEEPALIVE of the wrong length", [`${CID} bb 0005 01`]],
  ];
  for (const [name, replies] of hostile) {
    it(`should fail at once with a framing TransportError on ${name}`, async () => {
      const { dev } = await open((_r, c) => {
        for (const h of replies) c.push(report(h));
      });
      await expectTransport(dev.call(0x10, Uint8Array.of(4), { timeoutMs: 5000 }), "framing");
    });
  }

  it("should refuse a short report with a framing TransportError", async () => {
    const { dev } = await open((_r, c) => c.push(new Uint8Array(10)));
    await expectTransport(dev.call(0x10, Uint8Array.of(4)), "framing");
  });

  it("should give up on INIT replies that all carry another nonce, say so, and close the connection", async () => {
    const conn = new ScriptedConnection((_r, c) =>
      c.push(report("ffffffff 86 0011 1111111111111111", CID, "0200000000")),
    );
    const e = await CtapHidDevice.open(conn, { nonce, initTimeoutMs: 100 }).catch((x: unknown) => x);
    expect((e as TransportError).kind).toBe("timeout");
    expect((e as TransportError).message).toMatch(/1 reports for other channels or requests were skipped/);
    expect(conn.closed).toBe(true);
  });

  it("should refuse a message larger than CTAPHID can carry", () => {
    expect(() => fragment(1, 0x10, new Uint8Array(MAX_MESSAGE_SIZE + 1))).toThrow(TransportError);
  });

  it("should reject calls after close", async () => {
    const { dev } = await open(() => {});
    await dev.close();
    await expectTransport(dev.call(0x10, Uint8Array.of(4)), "io");
  });
});

describe("reports that are not ours", () => {
  it("should skip another process's INIT reply on the broadcast channel and take its own", async () => {
    const conn = new ScriptedConnection((_r, c) => {
      c.push(report("ffffffff 86 0011 1111111111111111 99999999 0200000000"));
      c.push(report("ffffffff 86 0011", NONCE, CID, "02 05 04 03 0d"));
    });
    const dev = await CtapHidDevice.open(conn, { nonce, initTimeoutMs: 1000 });
    expect(dev.cid).toBe(0xa1b2c3d4);
  });

  it("should skip reports on other channels and answers to earlier requests, then return its own", async () => {
    const { dev } = await open((r, c) => {
      if (r[4] !== 0x90) return;
      c.push(report("deadbeef 90 0001 00")); // another process's channel
      c.push(report(CID, "01 55")); // the tail of an earlier, timed-out reply
      c.push(report(CID, "83 0050 00")); // a late U2F answer to an earlier request…
      c.push(report(CID, "00 00")); // …and its continuation
      c.push(report("deadbeef bb 0001 02"));
      c.push(report(CID, "90 0002 00a1"));
    });
    expect(hex(await dev.call(0x10, Uint8Array.of(4), { timeoutMs: 1000 }))).toBe("00a1");
  });

  it("should time out when only others' reports arrive, saying they were skipped", async () => {
    const { dev } = await open((_r, c) => {
      c.push(report("deadbeef 90 0001 00"));
      c.push(report("deadbeef 90 0001 00"));
    });
    const e = await dev.call(0x10, Uint8Array.of(4), { timeoutMs: 100 }).catch((x: unknown) => x);
    expect((e as TransportError).kind).toBe("timeout");
    expect((e as TransportError).message).toContain("2 reports for other channels or requests were skipped");
  });

  it("should say the key is busy when it answers CHANNEL_BUSY until the deadline", async () => {
    const { dev } = await open((_r, c) => c.push(report(CID, "bf 0001 06")));
    const e = await dev.call(0x10, Uint8Array.of(4), { timeoutMs: 200 }).catch((x: unknown) => x);
    expect(TransportError.isInstance(e)).toBe(true);
    expect((e as TransportError).kind).toBe("busy");
    expect((e as TransportError).message).toMatch(/CHANNEL_BUSY \d+ times in 200 ms: another program/);
  });
});

describe("CtapHidDevice after a framing fault", () => {
  it("should discard the rest of a broken reply so the next call reads only its own", async () => {
    let calls = 0;
    const { dev } = await open((_r, c) => {
      calls++;
      if (calls === 1) {
        // Our reply with a sequence gap, followed by the rest of its continuation packets.
        c.push(report(CID, "90 0080 00"));
        c.push(report(CID, "01 00"));
        c.push(report(CID, "02 00"));
      } else {
        c.push(report(CID, "90 0001 00"));
      }
    });
    await expectTransport(dev.call(0x10, Uint8Array.of(4)), "framing");
    expect(hex(await dev.call(0x10, Uint8Array.of(4), { timeoutMs: 500 }))).toBe("00");
  });
});
