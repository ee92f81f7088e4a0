// Errors of the WebAuthn layer: Entra's creationOptions that cannot be used, or a key that cannot honour
// them. Codes are string literals so the station can map them to task failure reasons.

export type WebAuthnErrorCode =
  /** The creationOptions JSON is malformed or asks for something CTAP cannot express. */
  | "bad-options"
  /** The key lacks something the options require (algorithm, rk, an enforced credProtect). */
  | "key-unsupported"
  /** User verification is required and the key has no PIN set (or none was given). */
  | "pin-required"
  /** The key's answer does not check out (signature, rpIdHash, credential id). */
  | "verification-failed";

export class WebAuthnError extends Error {
  readonly brand = "keyfleet.WebAuthnError";
  static isInstance(e: unknown): e is WebAuthnError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.WebAuthnError"
    );
  }
  constructor(
    readonly code: WebAuthnErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "WebAuthnError";
  }
}
