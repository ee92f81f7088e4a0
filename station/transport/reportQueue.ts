// A bounded queue of incoming reports with abortable waits: what turns push-style sources (node-hid
// 'data' events, UDP 'message' events) into HidConnection.read(). Bounded so a flooding device cannot
// grow memory: the oldest reports go first.
const MAX_QUEUED = 256;

export class ReportQueue {
  private readonly reports: Uint8Array[] = [];
  private readonly waiters: { resolve: (r: Uint8Array) => void; reject: (e: unknown) => void }[] = [];
  private failure: Error | undefined;

  push(report: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) {
      w.resolve(report);
      return;
    }
    if (this.reports.length >= MAX_QUEUED) this.reports.shift();
    this.reports.push(report);
  }

  /** Fails every pending and future read (device gone, socket closed). */
  fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  read(signal?: AbortSignal): Promise<Uint8Array> {
    const next = this.reports.shift();
    if (next) return Promise.resolve(next);
    if (this.failure) return Promise.reject(this.failure);
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
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const e = new Error("the read was aborted", { cause: signal?.reason });
  e.name = "AbortError";
  return e;
}
