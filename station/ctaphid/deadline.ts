// One budget for a whole CTAPHID call (libfido2's `int *ms`): every write and read races the same timer
// and the caller's AbortSignal, and the loser becomes a TransportError naming which one fired.
import { TransportError } from "./errors.js";

export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly endsAt: number;
  private why: "timeout" | "cancelled" | undefined;
  private readonly onCallerAbort = (): void => this.fire("cancelled");

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.endsAt = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.fire("timeout"), timeoutMs);
    if (caller?.aborted) this.fire("cancelled");
    else caller?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  private fire(why: "timeout" | "cancelled"): void {
    if (this.why !== undefined) return;
    this.why = why;
    this.controller.abort(this.error());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.why !== undefined;
  }

  get remainingMs(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  error(): TransportError {
    return this.why === "cancelled"
      ? new TransportError("cancelled", "the request was cancelled")
      : new TransportError("timeout", "the key did not answer in time");
  }

  /** Resolves with `p`, or rejects with this deadline's error as soon as it fires. */
  run<T>(p: Promise<T>): Promise<T> {
    if (this.why !== undefined) {
      p.catch(() => {});
      return Promise.reject(this.error());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(this.error());
      this.signal.addEventListener("abort", onAbort, { once: true });
      p.then(
        (v) => {
          this.signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e: unknown) => {
          this.signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  /** Waits `ms` (for CHANNEL_BUSY backoff) unless the deadline fires first. */
  sleep(ms: number): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    return this.run(
      new Promise<void>((resolve) => {
        t = setTimeout(resolve, Math.min(ms, this.remainingMs));
      }),
    ).finally(() => clearTimeout(t));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener("abort", this.onCallerAbort);
  }
}
