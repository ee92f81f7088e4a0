// USB FIDO keys through node-hid: discovery by the FIDO usage page, hidraw on Linux, a report-ID byte
// prepended on write, and polling for keys arriving and leaving (node-hid has no hot-plug events).
// node-hid is loaded lazily so that UDP and virtual keys work where its native module cannot load.
import { TransportError } from "../ctaphid/errors.js";
import { HID_REPORT_SIZE, type HidConnection } from "./connection.js";
import { ReportQueue } from "./reportQueue.js";

export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE = 0x01;

export interface HidKeyInfo {
  path: string;
  vendorId: number;
  productId: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
}

type NodeHid = typeof import("node-hid");
let loaded: Promise<NodeHid> | undefined;

async function nodeHid(): Promise<NodeHid> {
  loaded ??= import("node-hid")
    .then((m) => {
      const hid = ((m as { default?: NodeHid }).default ?? m) as NodeHid;
      // FIDO tools use hidraw on Linux: it needs no libusb detach and sees the usage page directly.
      if (process.platform === "linux") hid.setDriverType("hidraw");
      return hid;
    })
    .catch((cause: unknown) => {
      loaded = undefined;
      throw new TransportError("io", "node-hid cannot load (is libusb-1.0-0 installed?)", { cause });
    });
  return loaded;
}

/** FIDO keys plugged into this machine (usage page 0xF1D0, usage 1). */
export async function listHidKeys(): Promise<HidKeyInfo[]> {
  const hid = await nodeHid();
  const devices = await hid.devicesAsync();
  const out: HidKeyInfo[] = [];
  for (const d of devices) {
    if (d.usagePage !== FIDO_USAGE_PAGE || d.usage !== FIDO_USAGE || !d.path) continue;
    const info: HidKeyInfo = { path: d.path, vendorId: d.vendorId, productId: d.productId };
    if (d.manufacturer) info.manufacturer = d.manufacturer;
    if (d.product) info.product = d.product;
    if (d.serialNumber) info.serialNumber = d.serialNumber;
    out.push(info);
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Polls for keys arriving and leaving; calls back with each change. Returns a stop function.
 * The first poll reports every key already plugged in as added.
 */
export function watchHidKeys(
  onChange: (change: { added: HidKeyInfo[]; removed: HidKeyInfo[] }) => void,
  opts: { intervalMs?: number; list?: () => Promise<HidKeyInfo[]>; onError?: (e: unknown) => void } = {},
): () => void {
  const list = opts.list ?? listHidKeys;
  let known = new Map<string, HidKeyInfo>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async (): Promise<void> => {
    try {
      const now = new Map((await list()).map((k) => [k.path, k]));
      const added = [...now.values()].filter((k) => !known.has(k.path));
      const removed = [...known.values()].filter((k) => !now.has(k.path));
      known = now;
      if (!stopped && (added.length || removed.length)) onChange({ added, removed });
    } catch (e) {
      opts.onError?.(e);
    }
    if (!stopped) timer = setTimeout(poll, opts.intervalMs ?? 1000);
  };
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export class NodeHidConnection implements HidConnection {
  private readonly queue = new ReportQueue();
  private closed = false;

  private constructor(private readonly device: import("node-hid").HIDAsync) {
    device.on("data", (data: Buffer) => {
      // hidraw returns the report without a report ID; pad a short read defensively, drop longer ones.
      if (data.length <= HID_REPORT_SIZE) {
        const r = new Uint8Array(HID_REPORT_SIZE);
        r.set(data);
        this.queue.push(r);
      }
    });
    device.on("error", (e: unknown) =>
      this.queue.fail(new TransportError("io", "the key was unplugged or failed", { cause: e })),
    );
  }

  static async open(path: string): Promise<NodeHidConnection> {
    const hid = await nodeHid();
    try {
      return new NodeHidConnection(await hid.HIDAsync.open(path));
    } catch (cause) {
      throw new TransportError(
        "io",
        `cannot open ${path} (permissions? see station/udev/70-keyfleet-fido.rules)`,
        { cause },
      );
    }
  }

  async write(report: Uint8Array): Promise<void> {
    if (report.length !== HID_REPORT_SIZE) throw new RangeError("a report is 64 bytes");
    if (this.closed) throw new TransportError("io", "the key is closed");
    const withId = Buffer.alloc(HID_REPORT_SIZE + 1);
    withId.set(report, 1);
    await this.device.write(withId);
  }

  read(signal?: AbortSignal): Promise<Uint8Array> {
    return this.queue.read(signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.fail(new TransportError("io", "the key is closed"));
    await this.device.close().catch(() => {});
  }
}
