// The one entry point from a device string to a CtapDevice: `udp:host:port` for simulators and the
// virtual key served over UDP, anything else a HID path from `keyfleet key list`.
import type { CtapHidDeviceOpts } from "../ctaphid/hidDevice.js";
import { CtapHidDevice } from "../ctaphid/hidDevice.js";
import { NodeHidConnection } from "./hid.js";
import { parseUdpDevice, UdpConnection } from "./udp.js";

export interface OpenDeviceOpts extends CtapHidDeviceOpts {
  /** Local UDP port to receive replies on (default 7112; 0 for any free port). */
  udpLocalPort?: number;
}

export async function openDevice(device: string, opts: OpenDeviceOpts = {}): Promise<CtapHidDevice> {
  const udp = parseUdpDevice(device);
  const connection =
    udp !== undefined
      ? await UdpConnection.open(udp, opts.udpLocalPort === undefined ? {} : { localPort: opts.udpLocalPort })
      : await NodeHidConnection.open(device);
  return CtapHidDevice.open(connection, opts);
}
