// Device-code sign-in for operators: codes handed out by /devicecode, approved either by the admin route
// (as a named operator) or automatically as the operator chosen for sign-ins, then redeemed once.
import { randomBytes } from "node:crypto";

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  /** User id once approved. */
  approvedUserId?: string;
  redeemed?: boolean;
}

const letters = "BCDFGHJKLMNPQRSTVWXZ";

export class DeviceCodes {
  private byDevice = new Map<string, DeviceCode>();
  /** When set, every new device code is approved at once as this user. */
  autoApproveUserId: string | undefined;

  issue(clientId: string, scopes: string[], nowMs: number, lifetimeSeconds = 900): DeviceCode {
    let userCode = "";
    for (const b of randomBytes(9)) userCode += letters[b % letters.length];
    const code: DeviceCode = {
      deviceCode: randomBytes(32).toString("base64url"),
      userCode,
      clientId,
      scopes,
      expiresAt: nowMs + lifetimeSeconds * 1000,
      ...(this.autoApproveUserId ? { approvedUserId: this.autoApproveUserId } : {}),
    };
    this.byDevice.set(code.deviceCode, code);
    return code;
  }

  find(deviceCode: string): DeviceCode | undefined {
    return this.byDevice.get(deviceCode);
  }

  approve(userCode: string, userId: string): boolean {
    for (const c of this.byDevice.values()) {
      if (c.userCode === userCode.toUpperCase() && !c.redeemed) {
        c.approvedUserId = userId;
        return true;
      }
    }
    return false;
  }

  pending(): DeviceCode[] {
    return [...this.byDevice.values()].filter((c) => !c.approvedUserId && !c.redeemed);
  }
}
