// openVirtualConnection(): an in-process HidConnection to a virtual key, so station code drives it
// exactly as it drives a USB key — 64-byte reports in, 64-byte reports out.
import { HID_REPORT_SIZE, type HidConnection } from "../transport/connection.js";
import type { VirtualKey } from "./virtualKey.js";

/** Reports queued for a reader that is slow to come back; beyond this the oldest are dropped. */
const MAX_QUEUED_REPORTS = 4096;

export function openVirtualConnection(key: VirtualKey): HidConnection {
  const queue: Uint8Array[] = [];
  const waiters: { resolve: (r: Uint8Array) => void; reject: (e: unknown) => void }[] = [];
  let closed = false;

  const deliver = (report: Uint8Array): void => {
    if (closed) return;
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(report);
    else {
      queue.push(report);
      if (queue.length > MAX_QUEUED_REPORTS) queue.shift();
    }
  };

  return {
    async write(report: Uint8Array): Promise<void> {
      if (closed) throw new Error("the virtual key connection is closed");
      if (report.length !== HID_REPORT_SIZE) {
        throw new RangeError(`a HID report is ${HID_REPORT_SIZE} bytes, not ${report.length}`);
      }
      // Copy, so the caller may reuse its buffer; deliver on a later tick as a real device would.
      const copy = Uint8Array.from(report);
      setImmediate(() => key.receive(copy, deliver));
    },
    read(signal?: AbortSignal): Promise<Uint8Array> {
      if (closed) return Promise.reject(new Error("the virtual key connection is closed"));
      const next = queue.shift();
      if (next) return Promise.resolve(next);
      if (signal?.aborted) return Promise.reject(abortError(signal));
      return new Promise((resolve, reject) => {
        const waiter = {
          resolve: (r: Uint8Array) => {
            signal?.removeEventListener("abort", onAbort);
            resolve(r);
          },
          reject: (e: unknown) => {
            signal?.removeEventListener("abort", onAbort);
            reject(e);
          },
        };
        const onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(abortError(signal!));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      queue.length = 0;
      for (const w of waiters.splice(0)) w.reject(new Error("the virtual key connection is closed"));
    },
  };
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const err = new Error("the read was aborted");
  err.name = "AbortError";
  return err;
}
