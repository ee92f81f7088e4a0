// The authenticator's pinUvAuthToken and its state (CTAP 2.1 §6.5.2.1): permissions, the permissions RP
// ID, the usage timer, and the flags cleared after use. One token serves both PIN/UV auth protocols; every
// new token (getPinToken, subcommand 9, changePIN, reset, power cycle) replaces the previous one.
import { randomBytes } from "node:crypto";
import type { PinUvAuthProtocol } from "../ctap2/pinProtocol.js";

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7). */
export const Permission = { mc: 0x01, ga: 0x02, cm: 0x04, be: 0x08, lbw: 0x10, acfg: 0x20 } as const;
/** Permissions this key can grant: no biometrics, no large blobs. */
export const SUPPORTED_PERMISSIONS = Permission.mc | Permission.ga | Permission.cm | Permission.acfg;

export class PinUvAuthToken {
  private token: Uint8Array = new Uint8Array(randomBytes(32));
  private startedAt: number | undefined;
  permissions = 0;
  rpId: string | undefined;

  constructor(
    /** How long a token may be used after it was issued (the spec's maximum usage time period). */
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** resetPinUvAuthToken(): a fresh random token; the old one stops working. */
  reset(): void {
    this.token.fill(0);
    this.token = new Uint8Array(randomBytes(32));
    this.stopUsing();
  }

  /** beginUsingPinUvAuthToken() with the permissions the platform asked for. */
  begin(permissions: number, rpId: string | undefined): void {
    this.permissions = permissions;
    this.rpId = rpId;
    this.startedAt = this.now();
  }

  stopUsing(): void {
    this.startedAt = undefined;
    this.permissions = 0;
    this.rpId = undefined;
  }

  get inUse(): boolean {
    if (this.startedAt === undefined) return false;
    if (this.now() - this.startedAt >= this.lifetimeMs) {
      this.stopUsing();
      return false;
    }
    return true;
  }

  /** The token as the platform receives it, to be encrypted with the shared secret. */
  get value(): Uint8Array {
    return this.token;
  }

  /** verify(pinUvAuthToken, message, pinUvAuthParam) for a token that is in use. */
  verify(protocol: PinUvAuthProtocol, message: Uint8Array, param: Uint8Array): boolean {
    return this.inUse && protocol.verify(this.token, message, param);
  }

  has(permission: number): boolean {
    return (this.permissions & permission) === permission;
  }

  /** After a touch was consumed: permissions go, except lbw (CTAP 2.1 makeCredential/getAssertion). */
  clearPermissionsExceptLbw(): void {
    this.permissions &= Permission.lbw;
  }
}
