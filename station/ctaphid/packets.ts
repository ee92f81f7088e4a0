// CTAPHID packet layout (CTAP 2.1 §11.2.4): pure building and parsing of 64-byte reports, shared by the
// client framer and the virtual authenticator. Init: CID(4) CMD|0x80 BCNTH BCNTL DATA(57);
// continuation: CID(4) SEQ(0..0x7f) DATA(59).
import { HID_REPORT_SIZE } from "../transport/connection.js";
import { TransportError } from "./errors.js";

export const CtapHidCommand = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

/** CTAPHID_INIT capability flags. */
export const CtapHidCapability = { WINK: 0x01, CBOR: 0x04, NMSG: 0x08 } as const;

/** CTAPHID_KEEPALIVE status bytes. */
export const KeepaliveStatus = { PROCESSING: 1, UPNEEDED: 2 } as const;

export const BROADCAST_CID = 0xffffffff;
export const INIT_DATA_SIZE = HID_REPORT_SIZE - 7;
export const CONT_DATA_SIZE = HID_REPORT_SIZE - 5;
/** The largest message CTAPHID can carry: one init packet and 128 continuation packets. */
export const MAX_MESSAGE_SIZE = INIT_DATA_SIZE + 128 * CONT_DATA_SIZE;

export type Packet =
  | { kind: "init"; cid: number; cmd: number; length: number; data: Uint8Array }
  | { kind: "cont"; cid: number; seq: number; data: Uint8Array };

/** Splits a message into reports for channel `cid` (zero-padded to 64 bytes each). */
export function fragment(cid: number, cmd: number, data: Uint8Array): Uint8Array[] {
  if (data.length > MAX_MESSAGE_SIZE) {
    throw new TransportError("too-large", `a CTAPHID message holds at most ${MAX_MESSAGE_SIZE} bytes`);
  }
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(HID_REPORT_SIZE);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid >>> 0);
  first[4] = 0x80 | cmd;
  view.setUint16(5, data.length);
  first.set(data.subarray(0, INIT_DATA_SIZE), 7);
  reports.push(first);
  let seq = 0;
  for (let at = INIT_DATA_SIZE; at < data.length; at += CONT_DATA_SIZE) {
    const r = new Uint8Array(HID_REPORT_SIZE);
    new DataView(r.buffer).setUint32(0, cid >>> 0);
    r[4] = seq++;
    r.set(data.subarray(at, at + CONT_DATA_SIZE), 5);
    reports.push(r);
  }
  return reports;
}

/** Parses one report; throws a framing TransportError if it is not exactly one report. */
export function parsePacket(report: Uint8Array): Packet {
  if (report.length !== HID_REPORT_SIZE) {
    throw new TransportError("framing", `a report must be ${HID_REPORT_SIZE} bytes, got ${report.length}`);
  }
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  const cid = view.getUint32(0);
  const b4 = report[4]!;
  if (b4 & 0x80) {
    return { kind: "init", cid, cmd: b4 & 0x7f, length: view.getUint16(5), data: report.subarray(7) };
  }
  return { kind: "cont", cid, seq: b4, data: report.subarray(5) };
}

/** Reassembles one message from its init packet and continuation packets, checking sequence and length. */
export class Reassembly {
  private readonly buffer: Uint8Array;
  private filled: number;
  private nextSeq = 0;

  constructor(readonly init: Extract<Packet, { kind: "init" }>) {
    if (init.length > MAX_MESSAGE_SIZE) {
      throw new TransportError("framing", `announced length ${init.length} exceeds the CTAPHID maximum`);
    }
    this.buffer = new Uint8Array(init.length);
    this.filled = Math.min(init.length, INIT_DATA_SIZE);
    this.buffer.set(init.data.subarray(0, this.filled));
  }

  get complete(): boolean {
    return this.filled === this.buffer.length;
  }

  add(packet: Extract<Packet, { kind: "cont" }>): void {
    if (this.complete) throw new TransportError("framing", "continuation packet beyond the announced length");
    if (packet.seq !== this.nextSeq) {
      throw new TransportError("framing", `expected sequence ${this.nextSeq}, got ${packet.seq}`);
    }
    this.nextSeq++;
    const n = Math.min(this.buffer.length - this.filled, CONT_DATA_SIZE);
    this.buffer.set(packet.data.subarray(0, n), this.filled);
    this.filled += n;
  }

  get message(): Uint8Array {
    return this.buffer;
  }
}
