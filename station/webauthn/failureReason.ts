// One table from any error of the station's key stack to an operator-facing reason (STYLE.md §8, after
// python-fido2's _ctap2client_err): what went wrong in a word, whether trying again can help, and a
// message fit for a task record. The original error stays available as `cause`.
import { CborError } from "../cbor.js";
import { CtapError, CtapProtocolError, CtapStatus } from "../ctap2/errors.js";
import { TransportError } from "../ctaphid/errors.js";
import { WebAuthnError } from "./errors.js";

export type KeyFailureReason =
  | "pin-invalid"
  | "pin-blocked"
  | "pin-auth-blocked"
  | "pin-required"
  | "pin-policy"
  | "already-registered"
  | "key-full"
  | "user-absent"
  | "timeout"
  | "key-busy"
  | "cancelled"
  | "key-unsupported"
  | "bad-options"
  | "device-gone"
  | "protocol"
  | "verification-failed"
  | "other";

export interface KeyFailure {
  reason: KeyFailureReason;
  /** Whether the same step may succeed if repeated (after a replug or a touch, for some). */
  retryable: boolean;
  message: string;
  cause: unknown;
}

const byStatus: Partial<Record<number, [KeyFailureReason, boolean]>> = {
  [CtapStatus.PIN_INVALID]: ["pin-invalid", true],
  [CtapStatus.PIN_BLOCKED]: ["pin-blocked", false],
  [CtapStatus.PIN_AUTH_BLOCKED]: ["pin-auth-blocked", true],
  [CtapStatus.PIN_NOT_SET]: ["pin-required", false],
  [CtapStatus.PUAT_REQUIRED]: ["pin-required", false],
  [CtapStatus.PIN_POLICY_VIOLATION]: ["pin-policy", false],
  [CtapStatus.CREDENTIAL_EXCLUDED]: ["already-registered", false],
  [CtapStatus.KEY_STORE_FULL]: ["key-full", false],
  [CtapStatus.OPERATION_DENIED]: ["user-absent", true],
  [CtapStatus.USER_ACTION_TIMEOUT]: ["user-absent", true],
  [CtapStatus.ACTION_TIMEOUT]: ["timeout", true],
  [CtapStatus.KEEPALIVE_CANCEL]: ["cancelled", true],
  [CtapStatus.UNSUPPORTED_ALGORITHM]: ["key-unsupported", false],
  [CtapStatus.UNSUPPORTED_OPTION]: ["key-unsupported", false],
  [CtapStatus.UNSUPPORTED_EXTENSION]: ["key-unsupported", false],
  [CtapStatus.INVALID_COMMAND]: ["key-unsupported", false],
  [CtapStatus.PIN_AUTH_INVALID]: ["protocol", true],
  [CtapStatus.PIN_TOKEN_EXPIRED]: ["protocol", true],
  [CtapStatus.CHANNEL_BUSY]: ["timeout", true],
};

export function classifyKeyError(e: unknown): KeyFailure {
  const message = e instanceof Error ? e.message : String(e);
  const out = (reason: KeyFailureReason, retryable: boolean): KeyFailure => ({
    reason,
    retryable,
    message,
    cause: e,
  });
  if (CtapError.isInstance(e)) {
    const hit = byStatus[e.status];
    return hit ? out(hit[0], hit[1]) : out("other", false);
  }
  if (TransportError.isInstance(e)) {
    if (e.kind === "timeout") return out("timeout", true);
    if (e.kind === "busy") return out("key-busy", true);
    if (e.kind === "cancelled") return out("cancelled", true);
    if (e.kind === "io") return out("device-gone", true);
    if (e.kind === "too-large") return out("key-unsupported", false);
    return out("protocol", true);
  }
  if (CtapProtocolError.isInstance(e) || CborError.isInstance(e)) return out("protocol", false);
  if (WebAuthnError.isInstance(e)) {
    if (e.code === "bad-options") return out("bad-options", false);
    if (e.code === "pin-required") return out("pin-required", false);
    if (e.code === "key-unsupported") return out("key-unsupported", false);
    return out("verification-failed", false);
  }
  if (e instanceof RangeError) return out("pin-policy", false);
  return out("other", false);
}
