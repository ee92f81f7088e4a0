// `keyfleet key list`: the FIDO keys plugged into this machine, with the AAGUID each reports.
import { listHidKeys } from "../transport/hid.js";
import { openKeySession } from "./session.js";

export interface KeyListEntry {
  path: string;
  vendorId: string;
  productId: string;
  manufacturer?: string;
  model?: string;
  aaguid?: string;
  versions?: string[];
  /** Why the key could not be asked for its AAGUID (busy, no permission). */
  error?: string;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, "0");

export async function listKeys(): Promise<KeyListEntry[]> {
  const out: KeyListEntry[] = [];
  for (const k of await listHidKeys()) {
    const entry: KeyListEntry = { path: k.path, vendorId: hex4(k.vendorId), productId: hex4(k.productId) };
    if (k.manufacturer) entry.manufacturer = k.manufacturer;
    if (k.product) entry.model = k.product;
    try {
      const s = await openKeySession(k.path, { initTimeoutMs: 2000 });
      entry.aaguid = s.info.aaguid;
      entry.versions = s.info.versions;
      await s.close();
    } catch (e) {
      entry.error = e instanceof Error ? e.message : String(e);
    }
    out.push(entry);
  }
  return out;
}
