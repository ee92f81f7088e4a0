// Opening a key for an operator command: device string to a Ctap2 session with getInfo read, and the
// "touch the key" prompt wired to KEEPALIVE. Closing is the caller's, via the returned close().
import { Ctap2 } from "../ctap2/ctap2.js";
import { type AuthenticatorInfo, getInfo } from "../ctap2/getInfo.js";
import type { CtapHidDevice } from "../ctaphid/hidDevice.js";
import { KeepaliveStatus } from "../ctaphid/packets.js";
import { type OpenDeviceOpts, openDevice } from "../transport/openDevice.js";

export interface KeySession {
  device: CtapHidDevice;
  ctap: Ctap2;
  info: AuthenticatorInfo;
  close(): Promise<void>;
}

export async function openKeySession(device: string, opts: OpenDeviceOpts = {}): Promise<KeySession> {
  const dev = await openDevice(device, opts);
  try {
    const ctap = new Ctap2(dev);
    const info = await getInfo(ctap, { timeoutMs: 5000 });
    return { device: dev, ctap, info, close: () => dev.close() };
  } catch (e) {
    await dev.close().catch(() => {});
    throw e;
  }
}

/** A keepalive handler that tells the operator once per request to touch the key. */
export function touchPrompt(say: (line: string) => void): (status: number) => void {
  let told = false;
  return (status) => {
    if (status === KeepaliveStatus.UPNEEDED && !told) {
      told = true;
      say("Touch the key now.");
    }
  };
}
