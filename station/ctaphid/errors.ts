// Framing and transport faults below CTAP2: a broken report stream, a timeout, a cancel, a closed device.
// The device's own status codes (including CTAPHID_ERROR codes) are CtapError in station/ctap2/errors.ts.

export type TransportErrorKind =
  /** The deadline passed before the device answered. */
  | "timeout"
  /** The key answered CHANNEL_BUSY until the deadline: another program is using it. */
  | "busy"
  /** The caller aborted (the device was sent CTAPHID_CANCEL). */
  | "cancelled"
  /** The device sent reports that break CTAPHID: wrong channel, sequence, length, command or nonce. */
  | "framing"
  /** The message is larger than CTAPHID or the device allows. */
  | "too-large"
  /** The device went away or the connection failed. */
  | "io";

export class TransportError extends Error {
  readonly brand = "keyfleet.TransportError";
  static isInstance(e: unknown): e is TransportError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.TransportError"
    );
  }
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TransportError";
  }
}
