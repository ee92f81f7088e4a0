// Property runs of the CTAPHID framer against hostile devices: random report streams, truncated and
// oversized reports, partial messages then silence. Every call must end in a value or a typed error
// within its deadline (a hang fails the suite's timeout), and leave no read pending.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CtapError } from "../../station/ctap2/errors.js";
import { TransportError } from "../../station/ctaphid/errors.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { CID, initThen, NONCE, ScriptedConnection } from "./scriptedConnection.js";

const cidBytes = Buffer.from(CID, "hex");

// Reports that are plausible enough to get past the first checks: mostly our channel, sometimes odd sizes.
const hostileReport = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .uint8Array({ minLength: 60, maxLength: 60 })
      .map((b) => Uint8Array.from([...cidBytes, ...b])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 130 }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(0x90, 0xbb, 0xbf, 0x00, 0x01, 0x7f),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ minLength: 57, maxLength: 57 }),
      )
      .map(([cmd, len, data]) => Uint8Array.from([...cidBytes, cmd, len >> 8, len & 0xff, ...data])),
  },
);

describe("CTAPHID framer under hostile replies", () => {
  it("should end every call in a value or a typed error within its deadline", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileReport, { maxLength: 8 }), async (replies) => {
        const conn = new ScriptedConnection(
          initThen((_r, c) => {
            for (const r of replies) c.push(r);
          }),
        );
        const dev = await CtapHidDevice.open(conn, {
          nonce: () => Uint8Array.from(Buffer.from(NONCE, "hex")),
        });
        const outcome = await dev.call(0x10, Uint8Array.of(4), { timeoutMs: 40 }).then(
          (v) => v,
          (e: unknown) => e,
        );
        if (!(outcome instanceof Uint8Array)) {
          expect(TransportError.isInstance(outcome) || CtapError.isInstance(outcome), String(outcome)).toBe(
            true,
          );
        }
        expect(conn.pendingReads).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
