// The device side of CTAPHID, report by report: channel allocation, reassembly, the error replies a key
// owes a confused or hostile client, KEEPALIVE and CANCEL.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  BROADCAST_CID,
  type CborHandler,
  CtaphidDevice,
  fragment,
  KeepaliveStatus,
} from "../../../station/virtual/ctaphidDevice.js";

const replies: Uint8Array[] = [];
const sink = (r: Uint8Array) => {
  replies.push(r);
};
let devices: CtaphidDevice[] = [];

function device(handleCbor?: CborHandler, messageTimeoutMs = 200) {
  const d = new CtaphidDevice({
    handleCbor: handleCbor ?? (async (m) => Uint8Array.of(0x00, ...m.subarray(1))),
    messageTimeoutMs,
    keepaliveIntervalMs: 10,
  });
  devices.push(d);
  return d;
}

function report(bytes: number[]): Uint8Array {
  const r = new Uint8Array(64);
  r.set(bytes);
  return r;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function init(d: CtaphidDevice): number {
  replies.length = 0;
  d.receive(report([...u32(BROADCAST_CID), 0x86, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]), sink);
  const r = replies.shift()!;
  return Buffer.from(r.subarray(15, 19)).readUInt32BE(0);
}

function errorOf(r: Uint8Array | undefined): number | undefined {
  return r && r[4] === 0xbf ? r[7] : undefined;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Waits until a reply satisfies `test` (polling, so the suite asserts behaviour, not timing). */
async function replyMatching(test: (r: Uint8Array) => boolean, limitMs = 5000): Promise<Uint8Array> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const found = replies.find(test);
    if (found) return found;
    if (Date.now() > deadline) throw new Error("no matching reply");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(() => {
  for (const d of devices) d.reset();
  devices = [];
  replies.length = 0;
});

describe("CtaphidDevice", () => {
  it("should allocate a fresh channel on INIT and echo the nonce with version and capabilities", () => {
    const d = device();
    d.receive(report([...u32(BROADCAST_CID), 0x86, 0, 8, 9, 8, 7, 6, 5, 4, 3, 2]), sink);
    const r = replies[0]!;
    expect([...r.subarray(0, 7)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x86, 0, 17]);
    expect([...r.subarray(7, 15)]).toEqual([9, 8, 7, 6, 5, 4, 3, 2]);
    const cid = Buffer.from(r.subarray(15, 19)).readUInt32BE(0);
    expect(cid).not.toBe(0);
    expect(cid).not.toBe(BROADCAST_CID);
    expect(r[19]).toBe(2);
    expect(r[23]! & 0x04).toBe(0x04); // CBOR
    expect(init(d)).not.toBe(cid);
  });

  it("should echo a PING that spans continuation packets", () => {
    const d = device();
    const cid = init(d);
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    for (const r of fragment(cid, 0x01, payload)) d.receive(r, sink);
    expect(replies.length).toBe(fragment(cid, 0x01, payload).length);
    const back = new Uint8Array(300);
    back.set(replies[0]!.subarray(7, 64));
    for (let i = 1, at = 57; i < replies.length; i++, at += 59)
      back.set(replies[i]!.subarray(5, 5 + Math.min(59, 300 - at)), at);
    expect(back).toEqual(payload);
  });

  it("should answer WINK and count it", () => {
    const d = device();
    const cid = init(d);
    d.receive(report([...u32(cid), 0x88, 0, 0]), sink);
    expect(replies[0]![4]).toBe(0x88);
    expect(d.winks).toBe(1);
  });

  it("should refuse commands on the broadcast channel, channel 0 and unknown channels", () => {
    const d = device();
    d.receive(report([...u32(BROADCAST_CID), 0x81, 0, 1, 0]), sink);
    d.receive(report([0, 0, 0, 0, 0x81, 0, 1, 0]), sink);
    d.receive(report([...u32(0x12345678), 0x81, 0, 1, 0]), sink);
    expect(replies.map(errorOf)).toEqual([0x0b, 0x0b, 0x0b]);
  });

  it("should answer ERR_INVALID_CMD to an unknown command and ERR_INVALID_LEN to a bad INIT", () => {
    const d = device();
    const cid = init(d);
    d.receive(report([...u32(cid), 0xa5, 0, 0]), sink);
    d.receive(report([...u32(BROADCAST_CID), 0x86, 0, 7, 1, 2, 3, 4, 5, 6, 7]), sink);
    expect(replies.map(errorOf)).toEqual([0x01, 0x03]);
  });

  it("should refuse a declared length beyond the largest CTAPHID message", () => {
    const d = device();
    const cid = init(d);
    d.receive(report([...u32(cid), 0x81, 0xff, 0xff]), sink);
    expect(errorOf(replies[0])).toBe(0x03);
  });

  it("should answer ERR_INVALID_SEQ to a continuation out of order", () => {
    const d = device();
    const cid = init(d);
    d.receive(report([...u32(cid), 0x81, 0, 100]), sink);
    d.receive(report([...u32(cid), 1]), sink);
    expect(errorOf(replies[0])).toBe(0x04);
  });

  it("should answer ERR_CHANNEL_BUSY to another channel while a message is being received", () => {
    const d = device();
    const a = init(d);
    const b = init(d);
    d.receive(report([...u32(a), 0x81, 0, 100]), sink);
    d.receive(report([...u32(b), 0x81, 0, 1, 0]), sink);
    expect(errorOf(replies[0])).toBe(0x06);
  });

  it("should give up on a partial message with ERR_MSG_TIMEOUT", async () => {
    const d = device(undefined, 20);
    const cid = init(d);
    d.receive(report([...u32(cid), 0x81, 0, 100]), sink);
    expect(errorOf(await replyMatching((r) => r[4] === 0xbf))).toBe(0x05);
  });

  it("should answer a short report with ERR_INVALID_LEN and ignore a stray continuation", () => {
    const d = device();
    const cid = init(d);
    d.receive(Uint8Array.of(...u32(cid), 0x81, 0), sink);
    d.receive(report([...u32(cid), 0]), sink);
    expect(replies.map(errorOf)).toEqual([0x03]);
  });

  it("should send KEEPALIVE with the handler's status, and turn CANCEL into the handler's reply", async () => {
    const d = device(
      (_m, ctx) =>
        new Promise((resolve) => {
          ctx.setKeepaliveStatus(KeepaliveStatus.UpNeeded);
          ctx.signal.addEventListener("abort", () => resolve(Uint8Array.of(0x2d)));
        }),
    );
    const cid = init(d);
    d.receive(report([...u32(cid), 0x90, 0, 1, 0x01]), sink);
    await replyMatching((r) => r[4] === 0xbb && r[7] === 2);
    d.receive(report([...u32(cid), 0x91, 0, 0]), sink);
    const last = await replyMatching((r) => r[4] === 0x90);
    expect(last[4]).toBe(0x90);
    expect(last[7]).toBe(0x2d);
  });

  it("should turn a handler that throws into CTAP1_ERR_OTHER", async () => {
    const d = device(async () => {
      throw new Error("boom");
    });
    const cid = init(d);
    d.receive(report([...u32(cid), 0x90, 0, 1, 0x04]), sink);
    expect((await replyMatching((r) => r[4] === 0x90))[7]).toBe(0x7f);
  });

  it("should survive arbitrary hostile reports and keep answering", async () => {
    const d = device();
    const cid = init(d);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 0, maxLength: 80 }),
            fc.uint8Array({ minLength: 59, maxLength: 59 }).map((b) => Uint8Array.of(...u32(cid), ...b)),
          ),
          { maxLength: 30 },
        ),
        async (reports) => {
          for (const r of reports) d.receive(r, sink);
          await tick();
          // Resynchronise with INIT on our channel, then a PING must still come back.
          replies.length = 0;
          d.receive(report([...u32(cid), 0x86, 0, 8, 1, 1, 1, 1, 1, 1, 1, 1]), sink);
          d.receive(report([...u32(cid), 0x81, 0, 2, 0xaa, 0xbb]), sink);
          await tick();
          const ping = replies.find((r) => r[4] === 0x81);
          expect(ping && [...ping.subarray(7, 9)]).toEqual([0xaa, 0xbb]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
