// The device side of CTAPHID (CTAP 2.1 §11.2): channel allocation, reassembly of requests from 64-byte
// reports, the device's error replies, KEEPALIVE while a request waits for the user, CANCEL, and
// fragmentation of replies. It knows nothing of CTAP2 itself: whole CBOR messages go to a handler.
// Every input is treated as hostile: a malformed report gets a CTAPHID error or is dropped, never a throw.
import { randomBytes } from "node:crypto";
import { HID_REPORT_SIZE } from "../transport/connection.js";
import { HidError } from "./status.js";

/** CTAPHID command bytes (without the 0x80 init-packet bit). */
export const HidCommand = {
  Ping: 0x01,
  Msg: 0x03,
  Lock: 0x04,
  Init: 0x06,
  Wink: 0x08,
  Cbor: 0x10,
  Cancel: 0x11,
  Keepalive: 0x3b,
  Error: 0x3f,
} as const;

/** KEEPALIVE status bytes. */
export const KeepaliveStatus = { Processing: 1, UpNeeded: 2 } as const;
export type KeepaliveStatus = (typeof KeepaliveStatus)[keyof typeof KeepaliveStatus];

export const BROADCAST_CID = 0xffffffff;
const INIT_DATA = HID_REPORT_SIZE - 7;
const CONT_DATA = HID_REPORT_SIZE - 5;
/** The largest message CTAPHID can carry: one init packet and 128 continuation packets. */
export const MAX_HID_MESSAGE = INIT_DATA + 128 * CONT_DATA;
/** Capability flags in the INIT reply: WINK and CBOR; NMSG because CTAP1/U2F is not offered. */
const CAPABILITIES = 0x01 | 0x04 | 0x08;
/** Allocated channels kept before the oldest is forgotten, so an INIT flood cannot grow memory. */
const MAX_CHANNELS = 256;

/** Where a request's replies go: the in-process connection's queue, or the UDP datagram's sender. */
export type ReportSink = (report: Uint8Array) => void;

export interface CborRequestContext {
  /** Aborts when the client sends CANCEL (reason "cancel") or re-INITs the channel (reason "init"). */
  signal: AbortSignal;
  /** The status that KEEPALIVE reports carry from now on (UPNEEDED while waiting for a touch). */
  setKeepaliveStatus(status: KeepaliveStatus): void;
}

/** Handles one CTAPHID_CBOR message (command byte + CBOR) and returns the reply (status byte + CBOR). */
export type CborHandler = (message: Uint8Array, ctx: CborRequestContext) => Promise<Uint8Array>;

export interface CtaphidDeviceOptions {
  handleCbor: CborHandler;
  /** Vendor commands (0x40–0x7f) the device answers: command byte → handler of the payload. */
  vendorCommands?: ReadonlyMap<number, (payload: Uint8Array) => Uint8Array>;
  /** Device version reported by INIT (major, minor, build). */
  deviceVersion?: readonly [number, number, number];
  /** How long a partly received message may wait for its next packet before ERR_MSG_TIMEOUT. */
  messageTimeoutMs?: number;
  /** Interval between KEEPALIVE reports while a CBOR request is being processed. */
  keepaliveIntervalMs?: number;
}

interface Assembly {
  cid: number;
  cmd: number;
  length: number;
  data: Uint8Array;
  received: number;
  nextSeq: number;
  reply: ReportSink;
  timer: NodeJS.Timeout;
}

interface Processing {
  cid: number;
  controller: AbortController;
}

export class CtaphidDevice {
  private readonly channels = new Set<number>();
  private assembly: Assembly | undefined;
  private processing: Processing | undefined;
  private readonly opts: Required<Omit<CtaphidDeviceOptions, "vendorCommands">> & {
    vendorCommands: ReadonlyMap<number, (payload: Uint8Array) => Uint8Array>;
  };
  /** How many times a client asked the key to wink (tests and the UDP server's log read it). */
  winks = 0;

  constructor(opts: CtaphidDeviceOptions) {
    this.opts = {
      handleCbor: opts.handleCbor,
      vendorCommands: opts.vendorCommands ?? new Map(),
      deviceVersion: opts.deviceVersion ?? [1, 0, 0],
      messageTimeoutMs: opts.messageTimeoutMs ?? 3000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 100,
    };
  }

  /** Takes one report from a client; every reply for it (now or later) goes to `reply`. */
  receive(report: Uint8Array, reply: ReportSink): void {
    if (report.length < 5) return; // not even a CID and a command byte: nothing to answer on
    const cid = readU32(report, 0);
    if (report.length !== HID_REPORT_SIZE) {
      sendError(reply, cid, HidError.InvalidLen);
      return;
    }
    const b4 = report[4]!;
    if (b4 & 0x80) this.initPacket(cid, b4 & 0x7f, report, reply);
    else this.continuationPacket(cid, b4, report, reply);
  }

  /** Forgets channels and aborts whatever is in flight (a simulated unplug). */
  reset(): void {
    this.dropAssembly();
    this.processing?.controller.abort("init");
    this.processing = undefined;
    this.channels.clear();
  }

  private initPacket(cid: number, cmd: number, report: Uint8Array, reply: ReportSink): void {
    const length = (report[5]! << 8) | report[6]!;
    if (cmd === HidCommand.Init) {
      this.init(cid, length, report.subarray(7, 7 + Math.min(length, INIT_DATA)), reply);
      return;
    }
    if (cid === 0 || cid === BROADCAST_CID || !this.channels.has(cid)) {
      sendError(reply, cid, HidError.InvalidChannel);
      return;
    }
    if (cmd === HidCommand.Cancel) {
      // CANCEL has no reply of its own: the request it cancels answers CTAP2_ERR_KEEPALIVE_CANCEL.
      if (this.processing?.cid === cid) this.processing.controller.abort("cancel");
      return;
    }
    if (this.assembly && this.assembly.cid !== cid) {
      sendError(reply, cid, HidError.ChannelBusy);
      return;
    }
    if (this.assembly) {
      // A new request on a channel still sending the previous one: the old one is abandoned.
      this.dropAssembly();
      sendError(reply, cid, HidError.InvalidSeq);
      return;
    }
    if (this.processing) {
      sendError(reply, cid, HidError.ChannelBusy);
      return;
    }
    if (length > MAX_HID_MESSAGE) {
      sendError(reply, cid, HidError.InvalidLen);
      return;
    }
    const data = new Uint8Array(length);
    const first = Math.min(length, INIT_DATA);
    data.set(report.subarray(7, 7 + first));
    if (first === length) {
      this.dispatch(cid, cmd, data, reply);
      return;
    }
    const timer = setTimeout(() => {
      if (this.assembly?.cid !== cid) return;
      this.assembly = undefined;
      sendError(reply, cid, HidError.MsgTimeout);
    }, this.opts.messageTimeoutMs);
    timer.unref?.();
    this.assembly = { cid, cmd, length, data, received: first, nextSeq: 0, reply, timer };
  }

  private continuationPacket(cid: number, seq: number, report: Uint8Array, reply: ReportSink): void {
    const a = this.assembly;
    // A continuation nobody is waiting for is ignored, as the spec asks of spurious packets.
    if (!a || a.cid !== cid) return;
    if (seq !== a.nextSeq) {
      this.dropAssembly();
      sendError(reply, cid, HidError.InvalidSeq);
      return;
    }
    const take = Math.min(a.length - a.received, CONT_DATA);
    a.data.set(report.subarray(5, 5 + take), a.received);
    a.received += take;
    a.nextSeq++;
    a.reply = reply;
    if (a.received === a.length) {
      this.dropAssembly();
      this.dispatch(cid, a.cmd, a.data, reply);
    }
  }

  private init(cid: number, length: number, nonce: Uint8Array, reply: ReportSink): void {
    if (cid === 0) {
      sendError(reply, cid, HidError.InvalidChannel);
      return;
    }
    if (length !== 8) {
      sendError(reply, cid, HidError.InvalidLen);
      return;
    }
    let assigned = cid;
    if (cid === BROADCAST_CID) {
      assigned = this.allocateChannel();
    } else if (this.channels.has(cid)) {
      // Resynchronisation: whatever this channel had in flight is abandoned, the channel stays.
      if (this.assembly?.cid === cid) this.dropAssembly();
      if (this.processing?.cid === cid) {
        this.processing.controller.abort("init");
        this.processing = undefined;
      }
    } else {
      sendError(reply, cid, HidError.InvalidChannel);
      return;
    }
    const body = new Uint8Array(17);
    body.set(nonce, 0);
    writeU32(body, 8, assigned);
    body[12] = 2; // CTAPHID protocol version
    body[13] = this.opts.deviceVersion[0];
    body[14] = this.opts.deviceVersion[1];
    body[15] = this.opts.deviceVersion[2];
    body[16] = CAPABILITIES;
    sendMessage(reply, cid, HidCommand.Init, body);
  }

  private allocateChannel(): number {
    let cid: number;
    do {
      cid = readU32(randomBytes(4), 0);
    } while (cid === 0 || cid === BROADCAST_CID || this.channels.has(cid));
    this.channels.add(cid);
    if (this.channels.size > MAX_CHANNELS) {
      const oldest = this.channels.values().next().value;
      if (oldest !== undefined && oldest !== this.processing?.cid) this.channels.delete(oldest);
    }
    return cid;
  }

  private dropAssembly(): void {
    if (!this.assembly) return;
    clearTimeout(this.assembly.timer);
    this.assembly = undefined;
  }

  private dispatch(cid: number, cmd: number, data: Uint8Array, reply: ReportSink): void {
    switch (cmd) {
      case HidCommand.Ping:
        sendMessage(reply, cid, HidCommand.Ping, data);
        return;
      case HidCommand.Wink:
        this.winks++;
        sendMessage(reply, cid, HidCommand.Wink, new Uint8Array(0));
        return;
      case HidCommand.Msg:
        // CTAP1/U2F is not offered (NMSG): answer every APDU with SW_INS_NOT_SUPPORTED.
        sendMessage(reply, cid, HidCommand.Msg, Uint8Array.of(0x6d, 0x00));
        return;
      case HidCommand.Cbor:
        if (data.length === 0) {
          sendError(reply, cid, HidError.InvalidLen);
          return;
        }
        this.processCbor(cid, data, reply);
        return;
      default: {
        const vendor = this.opts.vendorCommands.get(cmd);
        if (vendor) {
          sendMessage(reply, cid, cmd, vendor(data));
          return;
        }
        sendError(reply, cid, HidError.InvalidCmd);
      }
    }
  }

  private processCbor(cid: number, message: Uint8Array, reply: ReportSink): void {
    const controller = new AbortController();
    const job: Processing = { cid, controller };
    this.processing = job;
    let status: KeepaliveStatus = KeepaliveStatus.Processing;
    const keepalive = setInterval(() => {
      if (!controller.signal.aborted) sendMessage(reply, cid, HidCommand.Keepalive, Uint8Array.of(status));
    }, this.opts.keepaliveIntervalMs);
    keepalive.unref?.();
    const ctx: CborRequestContext = {
      signal: controller.signal,
      setKeepaliveStatus: (s) => {
        status = s;
      },
    };
    let result: Promise<Uint8Array>;
    try {
      result = this.opts.handleCbor(message, ctx);
    } catch {
      result = Promise.resolve(Uint8Array.of(0x7f));
    }
    result
      .catch(() => Uint8Array.of(0x7f))
      .then((response) => {
        clearInterval(keepalive);
        if (this.processing === job) this.processing = undefined;
        // A request abandoned by INIT gets no reply: the client has moved on.
        if (controller.signal.aborted && controller.signal.reason === "init") return;
        sendMessage(reply, cid, HidCommand.Cbor, response);
      });
  }
}

/** Splits a message into one init packet and as many continuation packets as needed. */
export function fragment(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(HID_REPORT_SIZE);
  writeU32(first, 0, cid);
  first[4] = 0x80 | cmd;
  first[5] = (payload.length >> 8) & 0xff;
  first[6] = payload.length & 0xff;
  first.set(payload.subarray(0, INIT_DATA), 7);
  reports.push(first);
  let at = INIT_DATA;
  for (let seq = 0; at < payload.length; seq++) {
    const cont = new Uint8Array(HID_REPORT_SIZE);
    writeU32(cont, 0, cid);
    cont[4] = seq & 0x7f;
    cont.set(payload.subarray(at, at + CONT_DATA), 5);
    reports.push(cont);
    at += CONT_DATA;
  }
  return reports;
}

function sendMessage(reply: ReportSink, cid: number, cmd: number, payload: Uint8Array): void {
  for (const report of fragment(cid, cmd, payload)) {
    try {
      reply(report);
    } catch {
      // A sink that fails (a closed socket, a closed connection) loses the reply; the device carries on.
      return;
    }
  }
}

function sendError(reply: ReportSink, cid: number, code: HidError): void {
  sendMessage(reply, cid, HidCommand.Error, Uint8Array.of(code));
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}
