// Errors of the CTAP2 layer: the device's status byte (CtapError, unknown codes kept) and replies that
// break the protocol (CtapProtocolError). Framing faults live in station/ctaphid/errors.ts.

/** CTAP status codes (CTAP 2.1 §8.2 "Status codes"). */
export const CtapStatus = {
  OK: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  INVALID_SEQ: 0x04,
  TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  LIMIT_EXCEEDED: 0x15,
  UNSUPPORTED_EXTENSION: 0x16,
  FP_DATABASE_FULL: 0x17,
  LARGE_BLOB_STORAGE_FULL: 0x18,
  CREDENTIAL_EXCLUDED: 0x19,
  PROCESSING: 0x21,
  INVALID_CREDENTIAL: 0x22,
  USER_ACTION_PENDING: 0x23,
  OPERATION_PENDING: 0x24,
  NO_OPERATIONS: 0x25,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  KEY_STORE_FULL: 0x28,
  NOT_BUSY: 0x29,
  NO_OPERATION_PENDING: 0x2a,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  PIN_TOKEN_EXPIRED: 0x38,
  REQUEST_TOO_LARGE: 0x39,
  ACTION_TIMEOUT: 0x3a,
  UP_REQUIRED: 0x3b,
  UV_BLOCKED: 0x3c,
  INTEGRITY_FAILURE: 0x3d,
  INVALID_SUBCOMMAND: 0x3e,
  UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
  OTHER: 0x7f,
} as const;
export type CtapStatus = (typeof CtapStatus)[keyof typeof CtapStatus];

const explanations: Partial<Record<number, string>> = {
  [CtapStatus.INVALID_COMMAND]: "the key does not know this command",
  [CtapStatus.INVALID_PARAMETER]: "the key rejected a parameter of the request",
  [CtapStatus.INVALID_LENGTH]: "the request length was wrong",
  [CtapStatus.INVALID_SEQ]: "the key saw a packet out of sequence",
  [CtapStatus.TIMEOUT]: "the key timed out waiting for the rest of the message",
  [CtapStatus.CHANNEL_BUSY]: "the key is busy with another client",
  [CtapStatus.LOCK_REQUIRED]: "the key requires a channel lock",
  [CtapStatus.INVALID_CHANNEL]: "the key does not know this channel",
  [CtapStatus.CBOR_UNEXPECTED_TYPE]: "the key found a parameter of the wrong type",
  [CtapStatus.INVALID_CBOR]: "the key could not parse the request",
  [CtapStatus.MISSING_PARAMETER]: "the request lacks a required parameter",
  [CtapStatus.LIMIT_EXCEEDED]: "a limit of the key was exceeded",
  [CtapStatus.UNSUPPORTED_EXTENSION]: "the key does not support a requested extension",
  [CtapStatus.FP_DATABASE_FULL]: "the key's fingerprint storage is full",
  [CtapStatus.LARGE_BLOB_STORAGE_FULL]: "the key's large-blob storage is full",
  [CtapStatus.CREDENTIAL_EXCLUDED]: "this key already holds a credential for this account (excluded)",
  [CtapStatus.PROCESSING]: "the key is still processing",
  [CtapStatus.INVALID_CREDENTIAL]: "the credential is not valid for this key",
  [CtapStatus.USER_ACTION_PENDING]: "the key waits for the user",
  [CtapStatus.OPERATION_PENDING]: "another operation is pending on the key",
  [CtapStatus.NO_OPERATIONS]: "no operations are pending",
  [CtapStatus.UNSUPPORTED_ALGORITHM]: "the key supports none of the requested algorithms",
  [CtapStatus.OPERATION_DENIED]: "the user or the key denied the operation",
  [CtapStatus.KEY_STORE_FULL]: "the key has no room for another discoverable credential",
  [CtapStatus.NOT_BUSY]: "the key is not busy",
  [CtapStatus.NO_OPERATION_PENDING]: "no operation is pending",
  [CtapStatus.UNSUPPORTED_OPTION]: "the key does not support a requested option",
  [CtapStatus.INVALID_OPTION]: "a requested option is not valid for this command",
  [CtapStatus.KEEPALIVE_CANCEL]: "the operation was cancelled",
  [CtapStatus.NO_CREDENTIALS]: "the key holds no matching credential",
  [CtapStatus.USER_ACTION_TIMEOUT]: "nobody touched the key in time",
  [CtapStatus.NOT_ALLOWED]: "the key does not allow this now",
  [CtapStatus.PIN_INVALID]: "wrong PIN",
  [CtapStatus.PIN_BLOCKED]: "the PIN is blocked: the key must be reset",
  [CtapStatus.PIN_AUTH_INVALID]: "the PIN/UV authentication was not accepted",
  [CtapStatus.PIN_AUTH_BLOCKED]: "too many wrong PINs in a row: unplug and replug the key",
  [CtapStatus.PIN_NOT_SET]: "the key has no PIN set",
  [CtapStatus.PUAT_REQUIRED]: "the key requires a PIN for this",
  [CtapStatus.PIN_POLICY_VIOLATION]: "the PIN does not meet the key's PIN policy",
  [CtapStatus.PIN_TOKEN_EXPIRED]: "the PIN token expired",
  [CtapStatus.REQUEST_TOO_LARGE]: "the request is too large for the key",
  [CtapStatus.ACTION_TIMEOUT]: "the action timed out",
  [CtapStatus.UP_REQUIRED]: "the key requires a touch",
  [CtapStatus.UV_BLOCKED]: "built-in user verification is blocked",
  [CtapStatus.INTEGRITY_FAILURE]: "the key reported an integrity failure",
  [CtapStatus.INVALID_SUBCOMMAND]: "the key does not know this subcommand",
  [CtapStatus.UV_INVALID]: "built-in user verification failed",
  [CtapStatus.UNAUTHORIZED_PERMISSION]: "the PIN token lacks the permission for this",
  [CtapStatus.OTHER]: "the key reported an unspecified error",
};

const names = new Map<number, string>(Object.entries(CtapStatus).map(([name, code]) => [code, name]));

/** Name of a status code, e.g. "PIN_INVALID"; extension and vendor ranges are named as such. */
export function statusName(code: number): string {
  const known = names.get(code);
  if (known !== undefined) return known;
  if (code >= 0xe0 && code <= 0xef) return "EXTENSION_ERROR";
  if (code >= 0xf0 && code <= 0xff) return "VENDOR_ERROR";
  return "UNKNOWN";
}

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;

/** A non-zero CTAP status from the device. Unknown codes are kept as they came. */
export class CtapError extends Error {
  readonly brand = "keyfleet.CtapError";
  static isInstance(e: unknown): e is CtapError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.CtapError";
  }
  readonly code: string;
  constructor(readonly status: number) {
    const code = statusName(status);
    super(
      `${hex2(status)} ${code}: ${explanations[status] ?? "the key reported an error Keyfleet does not know"}`,
    );
    this.name = "CtapError";
    this.code = code;
  }
}

/** A reply that breaks CTAP2: not CBOR, not canonical, not a map, or a field of the wrong type. */
export class CtapProtocolError extends Error {
  readonly brand = "keyfleet.CtapProtocolError";
  static isInstance(e: unknown): e is CtapProtocolError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.CtapProtocolError"
    );
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CtapProtocolError";
  }
}
