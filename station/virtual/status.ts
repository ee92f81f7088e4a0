// CTAP status bytes and CTAPHID error codes the virtual authenticator answers with (CTAP 2.1 §8.2 and
// §11.2.9.1.6), and the one error type its command handlers throw to end a request with a status.

/** Status bytes that lead every CTAPHID_CBOR reply (CTAP 2.1 §8.2 "Status codes"). */
export const Status = {
  Ok: 0x00,
  InvalidCommand: 0x01,
  InvalidParameter: 0x02,
  InvalidLength: 0x03,
  CborUnexpectedType: 0x11,
  InvalidCbor: 0x12,
  MissingParameter: 0x14,
  LimitExceeded: 0x15,
  CredentialExcluded: 0x19,
  UnsupportedAlgorithm: 0x26,
  OperationDenied: 0x27,
  KeyStoreFull: 0x28,
  UnsupportedOption: 0x2b,
  InvalidOption: 0x2c,
  KeepaliveCancel: 0x2d,
  NoCredentials: 0x2e,
  UserActionTimeout: 0x2f,
  NotAllowed: 0x30,
  PinInvalid: 0x31,
  PinBlocked: 0x32,
  PinAuthInvalid: 0x33,
  PinAuthBlocked: 0x34,
  PinNotSet: 0x35,
  PuatRequired: 0x36,
  PinPolicyViolation: 0x37,
  RequestTooLarge: 0x39,
  InvalidSubcommand: 0x3e,
  UnauthorizedPermission: 0x40,
  Other: 0x7f,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** CTAPHID_ERROR payloads (CTAP 2.1 §11.2.9.1.6). */
export const HidError = {
  InvalidCmd: 0x01,
  InvalidPar: 0x02,
  InvalidLen: 0x03,
  InvalidSeq: 0x04,
  MsgTimeout: 0x05,
  ChannelBusy: 0x06,
  LockRequired: 0x0a,
  InvalidChannel: 0x0b,
  Other: 0x7f,
} as const;
export type HidError = (typeof HidError)[keyof typeof HidError];

/** Thrown inside a command handler to end the request with `status` (never leaves the authenticator). */
export class CtapStatusError extends Error {
  readonly brand = "keyfleet.virtual.CtapStatusError";
  static isInstance(e: unknown): e is CtapStatusError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.virtual.CtapStatusError"
    );
  }
  constructor(
    readonly status: Status,
    detail?: string,
  ) {
    super(`CTAP status 0x${status.toString(16).padStart(2, "0")}${detail ? `: ${detail}` : ""}`);
    this.name = "CtapStatusError";
  }
}

/** Shorthand for `throw new CtapStatusError(...)` in expression position. */
export function fail(status: Status, detail?: string): never {
  throw new CtapStatusError(status, detail);
}
