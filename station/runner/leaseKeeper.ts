// Keeps a ceremony's claim alive: while a key waits for a slow touch or Graph is throttled, the lease is
// renewed every third of its length, so no other station takes the task mid-ceremony. A renewal the store
// refuses (the task was cancelled, or taken after the lease ran out) loses the claim for good; a renewal
// that fails for another reason (the store unreachable) is retried, and the claim is doubted once the
// lease is nearly out. The ceremony asks `assertHeld()` at its safe points and stops there.
import { TaskStoreError } from "../../core/tasks/errors.js";
import type { TaskStore } from "../../core/tasks/store.js";
import type { LeaseRef } from "../../core/tasks/transitions.js";

/** The ceremony no longer holds its task: it stops without registering (failure.ts leaves the task alone). */
export class ClaimLost extends Error {
  readonly brand = "keyfleet.ClaimLost";
  static isInstance(e: unknown): e is ClaimLost {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.ClaimLost";
  }
  constructor(message: string) {
    super(message);
    this.name = "ClaimLost";
  }
}

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lost: string | undefined;
  private expiresAt: number;
  private stopped = false;
  /** Successful renewals so far (tests, the terminal's detail). */
  renewals = 0;

  constructor(
    private readonly store: TaskStore,
    private readonly taskId: string,
    private readonly lease: LeaseRef,
    private readonly leaseMs: number,
    expiresAt: string,
  ) {
    this.expiresAt = Date.parse(expiresAt);
  }

  /** Renews every third of the lease until stop(); the timer does not keep the process alive. */
  start(): this {
    this.schedule();
    return this;
  }

  /** Ends renewal (the ceremony finished or left); waits for a renewal already on its way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /**
   * Throws ClaimLost when the store refused a renewal, or when renewals have failed until less than a
   * quarter of the lease is left: another station may take the task before this one's next write lands.
   */
  assertHeld(): void {
    if (this.lost) throw new ClaimLost(this.lost);
    const left = this.expiresAt - Date.now();
    if (left < this.leaseMs / 4)
      throw new ClaimLost(
        `the lease of task ${this.taskId} could not be renewed and ends in ${Math.max(0, left)} ms; stopping before another station takes it`,
      );
  }

  private schedule(): void {
    if (this.stopped || this.lost) return;
    this.timer = setTimeout(
      () => {
        this.inFlight = this.renew().finally(() => {
          this.inFlight = undefined;
          this.schedule();
        });
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    try {
      const t = await this.store.renew(this.taskId, this.lease, this.leaseMs);
      if (t.lease) this.expiresAt = Date.parse(t.lease.expiresAt);
      this.renewals++;
    } catch (e) {
      if (TaskStoreError.isInstance(e) && ["lease-lost", "invalid-state", "not-found"].includes(e.code))
        this.lost = `the claim on task ${this.taskId} was lost: ${e.message}`;
      // Anything else (the store unreachable) is tried again; assertHeld watches the time left.
    }
  }
}
