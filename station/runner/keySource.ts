// Where plugged keys come from. node-hid has no plug events, so the station polls each source; a source
// lists what is there now, and each handle opens a fresh CTAPHID channel (after a replug, too).
import { CtapHidDevice, type CtapHidDeviceOpts } from "../ctaphid/hidDevice.js";
import { listHidKeys } from "../transport/hid.js";
import { openDevice } from "../transport/openDevice.js";
import { parseUdpDevice } from "../transport/udp.js";
import { openVirtualConnection } from "../virtual/connection.js";
import type { VirtualKey } from "../virtual/virtualKey.js";
import type { KeyView } from "./events.js";

export interface KeyHandle {
  id: string;
  transport: KeyView["transport"];
  /** What the operating system says the key is (HID product string), when it says. */
  model?: string;
  open(opts?: CtapHidDeviceOpts): Promise<CtapHidDevice>;
}

export interface KeySource {
  list(): Promise<KeyHandle[]>;
}

/** USB keys through node-hid (FIDO usage page). */
export function hidKeySource(): KeySource {
  return {
    async list() {
      return (await listHidKeys()).map((k) => {
        const h: KeyHandle = { id: k.path, transport: "hid", open: (o) => openDevice(k.path, o ?? {}) };
        if (k.product) h.model = k.product;
        return h;
      });
    },
  };
}

/**
 * Fixed device strings (`udp:host:port`, or HID paths): always listed. A UDP key replies to its sender
 * here (the virtual key's convention), so each channel binds its own free local port.
 */
export function fixedKeySource(devices: readonly string[], opts: { udpLocalPort?: number } = {}): KeySource {
  const handles = devices.map((d): KeyHandle => {
    const udp = parseUdpDevice(d) !== undefined;
    return {
      id: d,
      transport: udp ? "udp" : "hid",
      open: (o) => openDevice(d, { ...o, ...(udp ? { udpLocalPort: opts.udpLocalPort ?? 0 } : {}) }),
    };
  });
  return { list: async () => handles };
}

/** Virtual keys in this process (tests, benchmarks, the demo); `plugged` decides which are in. */
export function virtualKeySource(keys: ReadonlyMap<string, VirtualKey>): KeySource {
  return {
    async list() {
      return [...keys].map(
        ([id, key]): KeyHandle => ({
          id,
          transport: "virtual",
          open: (o) => CtapHidDevice.open(openVirtualConnection(key), o ?? {}),
        }),
      );
    },
  };
}
