// A scripted HidConnection for framing tests: the edge nothing else can reach (a device that lies).
// Each write is handed to a responder that may queue any reports, well-formed or hostile.
import type { HidConnection } from "../../station/transport/connection.js";

export type Responder = (report: Uint8Array, conn: ScriptedConnection) => void;

export class ScriptedConnection implements HidConnection {
  readonly written: Uint8Array[] = [];
  private readonly queue: Uint8Array[] = [];
  private waiter: ((r: Uint8Array) => void) | undefined;
  closed = false;
  pendingReads = 0;

  constructor(private readonly responder: Responder) {}

  push(report: Uint8Array): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(report);
    } else {
      this.queue.push(report);
    }
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.closed) throw new Error("closed");
    this.written.push(Uint8Array.from(report));
    this.responder(Uint8Array.from(report), this);
  }

  read(signal?: AbortSignal): Promise<Uint8Array> {
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    if (this.closed) return Promise.reject(new Error("closed"));
    return new Promise((resolve, reject) => {
      this.pendingReads++;
      const onAbort = (): void => {
        this.waiter = undefined;
        this.pendingReads--;
        reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiter = (r) => {
        signal?.removeEventListener("abort", onAbort);
        this.pendingReads--;
        resolve(r);
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Builds one 64-byte report from hex fields (padded with zeros). */
export function report(...hexParts: string[]): Uint8Array {
  const bytes = Buffer.from(hexParts.join("").replace(/\s+/g, ""), "hex");
  const r = new Uint8Array(64);
  r.set(bytes.subarray(0, 64));
  return r;
}

export const NONCE = "0102030405060708";
export const CID = "a1b2c3d4";

/** A responder that answers INIT with channel CID, then defers to `then`. */
export function initThen(then: Responder): Responder {
  return (r, conn) => {
    if (r[4] === 0x86) {
      conn.push(report("ffffffff 86 0011", NONCE, CID, "02 05 04 03 0d"));
      return;
    }
    then(r, conn);
  };
}
