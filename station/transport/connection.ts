// The seam between CTAPHID framing and whatever carries raw 64-byte HID reports: a USB key through
// node-hid, a UDP datagram socket for firmware simulators, or the virtual authenticator in process.
// A connection moves whole reports only; framing, channels and timeouts live once, in station/ctaphid.

/** Size of every CTAPHID report on the wire (FIDO HID usage page 0xF1D0). */
export const HID_REPORT_SIZE = 64;

export interface HidConnection {
  /** Sends one report of exactly HID_REPORT_SIZE bytes, without any report-ID prefix. */
  write(report: Uint8Array): Promise<void>;
  /**
   * Resolves with the next report the device sent (HID_REPORT_SIZE bytes, no report ID).
   * Rejects with an AbortError when `signal` aborts; never resolves with a partial report.
   */
  read(signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * What the connection dropped without passing it on (datagrams of the wrong size, from other senders),
   * in plain words, so a timeout can say what really arrived; undefined when nothing was dropped.
   */
  dropped?(): string | undefined;
  /** Releases the device; pending reads reject. Safe to call twice. */
  close(): Promise<void>;
}
