// openVirtualConnection keeps the HidConnection contract the station's framing relies on.
import { describe, expect, it } from "vitest";
import { openVirtualConnection } from "../../../station/virtual/connection.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";

describe("openVirtualConnection", () => {
  it("should answer INIT with a 64-byte report and refuse reports of another size", async () => {
    const conn = openVirtualConnection(await VirtualKey.create());
    const init = new Uint8Array(64);
    init.set([0xff, 0xff, 0xff, 0xff, 0x86, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    await conn.write(init);
    const reply = await conn.read(AbortSignal.timeout(5000));
    expect(reply).toHaveLength(64);
    expect(reply[4]).toBe(0x86);
    await expect(conn.write(new Uint8Array(65))).rejects.toThrow(/64 bytes/);
    await conn.close();
  });

  it("should reject a read with AbortError when its signal aborts, and pending reads on close", async () => {
    const conn = openVirtualConnection(await VirtualKey.create());
    const controller = new AbortController();
    const aborted = conn.read(controller.signal);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    const pending = conn.read();
    await conn.close();
    await expect(pending).rejects.toThrow(/closed/);
    await conn.close();
    await expect(conn.write(new Uint8Array(64))).rejects.toThrow(/closed/);
  });
});
