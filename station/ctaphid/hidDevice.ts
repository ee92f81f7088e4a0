// CTAPHID framing over any HidConnection (CTAP 2.1 §11.2): channel allocation with CTAPHID_INIT, whole
// messages split into and rebuilt from 64-byte reports, KEEPALIVE passed to the caller, CANCEL on abort,
// CTAPHID_ERROR as CtapError, CHANNEL_BUSY retried here and nowhere else. Anything unexpected on the wire
// is a TransportError at once: waiting for a "better" report is how clients hang.
import { randomBytes } from "node:crypto";
import { CtapError, CtapStatus } from "../ctap2/errors.js";
import type { HidConnection } from "../transport/connection.js";
import { Deadline } from "./deadline.js";
import type { CallOptions, CtapDevice } from "./device.js";
import { TransportError } from "./errors.js";
import { BROADCAST_CID, CtapHidCommand, fragment, type Packet, parsePacket, Reassembly } from "./packets.js";

export interface CtapHidDeviceOpts {
  /** Default budget of each call in milliseconds (user presence included). */
  timeoutMs?: number;
  /** Budget of the CTAPHID_INIT exchange when opening. */
  initTimeoutMs?: number;
  /** Source of the 8-byte INIT nonce (tests inject a fixed one). */
  nonce?: () => Uint8Array;
  /** First CHANNEL_BUSY back-off in milliseconds; doubles up to 1 s. */
  busyBackoffMs?: number;
  signal?: AbortSignal;
}

export interface CtapHidInfo {
  cid: number;
  protocolVersion: number;
  deviceVersion: { major: number; minor: number; build: number };
  capabilities: number;
}

const DRAIN_AFTER_CANCEL_MS = 300;
const FLUSH_QUIET_MS = 30;

export class CtapHidDevice implements CtapDevice {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly connection: HidConnection,
    readonly info: CtapHidInfo,
    private readonly opts: CtapHidDeviceOpts,
  ) {}

  /** Allocates a channel with CTAPHID_INIT on the broadcast CID; closes the connection on failure. */
  static async open(connection: HidConnection, opts: CtapHidDeviceOpts = {}): Promise<CtapHidDevice> {
    const nonce = opts.nonce?.() ?? Uint8Array.from(randomBytes(8));
    if (nonce.length !== 8) throw new RangeError("the CTAPHID_INIT nonce is 8 bytes");
    const framer = new CtapHidDevice(
      connection,
      {
        cid: BROADCAST_CID,
        protocolVersion: 0,
        deviceVersion: { major: 0, minor: 0, build: 0 },
        capabilities: 0,
      },
      opts,
    );
    try {
      const reply = await framer.call(CtapHidCommand.INIT, nonce, {
        timeoutMs: opts.initTimeoutMs ?? 3000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return new CtapHidDevice(connection, parseInitReply(reply, nonce), opts);
    } catch (e) {
      await connection.close().catch(() => {});
      throw e;
    }
  }

  get cid(): number {
    return this.info.cid;
  }

  get capabilities(): number {
    return this.info.capabilities;
  }

  call(cmd: number, data: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array> {
    const run = (): Promise<Uint8Array> => this.callNow(cmd, data, opts);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }

  /** CTAPHID_PING: echoes `data` (round-trip checks and benchmarks). */
  async ping(data: Uint8Array, opts?: CallOptions): Promise<Uint8Array> {
    const reply = await this.call(CtapHidCommand.PING, data, opts);
    if (Buffer.compare(reply, data) !== 0)
      throw new TransportError("framing", "PING reply differs from the request");
    return reply;
  }

  async wink(opts?: CallOptions): Promise<void> {
    await this.call(CtapHidCommand.WINK, new Uint8Array(0), opts);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connection.close();
  }

  private async callNow(cmd: number, data: Uint8Array, opts: CallOptions): Promise<Uint8Array> {
    if (this.closed) throw new TransportError("io", "the device is closed");
    const deadline = new Deadline(opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000, opts.signal);
    let backoff = this.opts.busyBackoffMs ?? 20;
    try {
      for (;;) {
        try {
          return await this.transact(cmd, data, deadline, opts.onKeepalive);
        } catch (e) {
          if (CtapError.isInstance(e) && e.status === CtapStatus.CHANNEL_BUSY) {
            await deadline.sleep(backoff);
            backoff = Math.min(backoff * 2, 1000);
            continue;
          }
          if (TransportError.isInstance(e) && this.info.cid !== BROADCAST_CID) {
            if (deadline.expired) await this.cancelAndDrain();
            else if (e.kind === "framing") await this.flush();
          }
          throw e;
        }
      }
    } finally {
      deadline.dispose();
    }
  }

  private async transact(
    cmd: number,
    data: Uint8Array,
    deadline: Deadline,
    onKeepalive: ((status: number) => void) | undefined,
  ): Promise<Uint8Array> {
    const cid = this.info.cid;
    for (const report of fragment(cid, cmd, data)) {
      await this.write(report, deadline);
    }
    let assembly: Reassembly | undefined;
    for (;;) {
      const packet = await this.readPacket(deadline);
      if (packet.cid !== cid) {
        throw new TransportError("framing", `reply on channel ${hex8(packet.cid)}, expected ${hex8(cid)}`);
      }
      if (assembly === undefined) {
        if (packet.kind !== "init")
          throw new TransportError("framing", "continuation packet before an init packet");
        if (packet.cmd === CtapHidCommand.KEEPALIVE) {
          if (packet.length !== 1)
            throw new TransportError("framing", "KEEPALIVE must carry one status byte");
          onKeepalive?.(packet.data[0]!);
          continue;
        }
        if (packet.cmd === CtapHidCommand.ERROR) {
          if (packet.length !== 1) throw new TransportError("framing", "ERROR must carry one code byte");
          throw new CtapError(packet.data[0]!);
        }
        if (packet.cmd !== cmd) {
          throw new TransportError("framing", `reply command ${hex2(packet.cmd)} to request ${hex2(cmd)}`);
        }
        assembly = new Reassembly(packet);
      } else {
        if (packet.kind === "init")
          throw new TransportError("framing", "init packet in the middle of a reply");
        assembly.add(packet);
      }
      if (assembly.complete) return assembly.message;
    }
  }

  private async write(report: Uint8Array, deadline: Deadline): Promise<void> {
    try {
      await deadline.run(this.connection.write(report));
    } catch (e) {
      if (TransportError.isInstance(e)) throw e;
      throw new TransportError("io", "writing to the key failed", { cause: e });
    }
  }

  private async readPacket(deadline: Deadline): Promise<Packet> {
    let report: Uint8Array;
    try {
      report = await deadline.run(this.connection.read(deadline.signal));
    } catch (e) {
      if (TransportError.isInstance(e)) throw e;
      if (deadline.expired) throw deadline.error();
      throw new TransportError("io", "reading from the key failed", { cause: e });
    }
    return parsePacket(report);
  }

  /**
   * After a framing fault: discard whatever the broken reply still has in flight, until the line has
   * been quiet for a moment, so the next call starts from a clean report stream.
   */
  private async flush(): Promise<void> {
    for (let i = 0; i < 256; i++) {
      const quiet = new Deadline(FLUSH_QUIET_MS);
      try {
        await this.readPacket(quiet);
      } catch {
        return;
      } finally {
        quiet.dispose();
      }
    }
  }

  /**
   * After a timeout or abort: CTAPHID_CANCEL, then read briefly so the key's late answer (usually
   * KEEPALIVE_CANCEL) does not land in the next call. Failures here are ignored: the call already failed.
   */
  private async cancelAndDrain(): Promise<void> {
    const grace = new Deadline(DRAIN_AFTER_CANCEL_MS);
    try {
      const [cancel] = fragment(this.info.cid, CtapHidCommand.CANCEL, new Uint8Array(0));
      await this.write(cancel!, grace);
      for (;;) {
        const p = await this.readPacket(grace);
        if (p.kind === "init" && p.cmd !== CtapHidCommand.KEEPALIVE) {
          const rest = new Reassembly(p);
          while (!rest.complete) {
            const c = await this.readPacket(grace);
            if (c.kind !== "cont") break;
            rest.add(c);
          }
          return;
        }
      }
    } catch {
      // The call has already failed with its own error; the drain is best effort.
    } finally {
      grace.dispose();
    }
  }
}

function parseInitReply(reply: Uint8Array, nonce: Uint8Array): CtapHidInfo {
  if (reply.length < 17)
    throw new TransportError("framing", `INIT reply of ${reply.length} bytes, expected 17`);
  if (Buffer.compare(reply.subarray(0, 8), nonce) !== 0) {
    throw new TransportError("framing", "INIT reply carries another nonce");
  }
  const cid = new DataView(reply.buffer, reply.byteOffset + 8, 4).getUint32(0);
  if (cid === 0 || cid === BROADCAST_CID)
    throw new TransportError("framing", `INIT allocated channel ${hex8(cid)}`);
  return {
    cid,
    protocolVersion: reply[12]!,
    deviceVersion: { major: reply[13]!, minor: reply[14]!, build: reply[15]! },
    capabilities: reply[16]!,
  };
}

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;
const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
