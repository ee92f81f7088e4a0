// CTAPHID framing over any HidConnection (CTAP 2.1 §11.2): channel allocation with CTAPHID_INIT, whole
// messages split into and rebuilt from 64-byte reports, KEEPALIVE passed to the caller, CANCEL on abort,
// CTAPHID_ERROR as CtapError, CHANNEL_BUSY retried here and nowhere else. Reports that are not ours are
// skipped within the call's deadline, as libfido2 does: on Linux every process that has the key open sees
// every report, so other channels' traffic, INIT replies to another nonce and late answers to an earlier
// timed-out request all arrive here. A report on our channel that breaks the framing of our own reply is a
// TransportError at once. A timeout says what did arrive (busy answers, skipped or dropped reports).
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

/** What one call saw besides its answer, so a timeout can say what really happened. */
interface CallTrace {
  busy: number;
  skipped: number;
  lastWasBusy?: boolean;
}

/** Whether an init packet on our channel can start the reply to `cmd`. */
const isOurs = (got: number, cmd: number): boolean =>
  got === cmd || got === CtapHidCommand.KEEPALIVE || got === CtapHidCommand.ERROR;

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
      // INIT replies to other processes' nonces share the broadcast channel: only ours is taken.
      const reply = await framer.callAccepting(
        CtapHidCommand.INIT,
        nonce,
        { timeoutMs: opts.initTimeoutMs ?? 3000, ...(opts.signal ? { signal: opts.signal } : {}) },
        (m) => m.length >= 8 && Buffer.compare(m.subarray(0, 8), nonce) === 0,
      );
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

  private callNow(cmd: number, data: Uint8Array, opts: CallOptions): Promise<Uint8Array> {
    return this.callAccepting(cmd, data, opts, undefined);
  }

  private async callAccepting(
    cmd: number,
    data: Uint8Array,
    opts: CallOptions,
    accept: ((message: Uint8Array) => boolean) | undefined,
  ): Promise<Uint8Array> {
    if (this.closed) throw new TransportError("io", "the device is closed");
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const deadline = new Deadline(timeoutMs, opts.signal);
    const trace: CallTrace = { busy: 0, skipped: 0 };
    let backoff = this.opts.busyBackoffMs ?? 20;
    try {
      for (;;) {
        try {
          return await this.transact(cmd, data, deadline, opts.onKeepalive, trace, accept);
        } catch (e) {
          if (CtapError.isInstance(e) && e.status === CtapStatus.CHANNEL_BUSY) {
            trace.busy++;
            trace.lastWasBusy = true;
            await deadline.sleep(backoff).catch((x: unknown) => {
              throw this.explain(x, trace, timeoutMs);
            });
            backoff = Math.min(backoff * 2, 1000);
            continue;
          }
          if (TransportError.isInstance(e) && this.info.cid !== BROADCAST_CID) {
            if (deadline.expired) await this.cancelAndDrain();
            else if (e.kind === "framing") await this.flush();
          }
          throw this.explain(e, trace, timeoutMs);
        }
      }
    } finally {
      deadline.dispose();
    }
  }

  /** A timeout in the words of what happened during the call; other errors unchanged. */
  private explain(e: unknown, trace: CallTrace, timeoutMs: number): unknown {
    if (!TransportError.isInstance(e) || e.kind !== "timeout") return e;
    if (trace.lastWasBusy) {
      return new TransportError(
        "busy",
        `the key answered CHANNEL_BUSY ${trace.busy} times in ${timeoutMs} ms: another program is using it`,
      );
    }
    const notes: string[] = [];
    if (trace.skipped > 0) notes.push(`${trace.skipped} reports for other channels or requests were skipped`);
    const dropped = this.connection.dropped?.();
    if (dropped !== undefined) notes.push(dropped);
    if (notes.length === 0) return e;
    return new TransportError("timeout", `${e.message} (${notes.join("; ")})`);
  }

  private async transact(
    cmd: number,
    data: Uint8Array,
    deadline: Deadline,
    onKeepalive: ((status: number) => void) | undefined,
    trace: CallTrace,
    accept: ((message: Uint8Array) => boolean) | undefined,
  ): Promise<Uint8Array> {
    const cid = this.info.cid;
    for (const report of fragment(cid, cmd, data)) {
      await this.write(report, deadline);
    }
    let assembly: Reassembly | undefined;
    for (;;) {
      const packet = await this.readPacket(deadline);
      if (packet.cid !== cid) {
        // Another process's channel, or a broadcast INIT reply meant for someone else.
        trace.skipped++;
        continue;
      }
      if (assembly === undefined) {
        if (packet.kind !== "init" || !isOurs(packet.cmd, cmd)) {
          // The tail or the start of an answer to an earlier request that timed out.
          trace.skipped++;
          continue;
        }
        trace.lastWasBusy = false;
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
        assembly = new Reassembly(packet);
      } else {
        if (packet.kind === "init")
          throw new TransportError("framing", "init packet in the middle of a reply");
        assembly.add(packet);
      }
      if (assembly.complete) {
        if (accept === undefined || accept(assembly.message)) return assembly.message;
        trace.skipped++;
        assembly = undefined;
      }
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
        if (p.cid !== this.info.cid) continue;
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

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
