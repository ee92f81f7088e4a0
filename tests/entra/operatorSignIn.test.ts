// An operator's device-code sign-in is asked for once per client, not once per Graph request: the station's
// ceremonies, running in parallel, and `keyfleet revoke`'s several reads share it (core/entra/credential.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntraClient, listGroupUsers } from "../../core/entra/index.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

const ALL_STAFF = "d397b649-2c1c-5ac0-8b47-8f0e52a76139";
let t: TestTenant;

beforeAll(async () => {
  t = await startTestTenant();
});
afterAll(async () => {
  await t?.stop();
});

describe("the operator's sign-in", () => {
  it("should prompt once for many requests, sequential and concurrent alike", async () => {
    const prompts: string[] = [];
    const entra = new EntraClient(t.config({ auth: "device-code", clientSecret: undefined }), {
      credentialHooks: {
        onDeviceCode: (info) => {
          prompts.push(info.userCode);
          void t.emu.admin.approveDeviceCode(info.userCode, "mira.kovac@northwindforge.example");
        },
      },
    });
    try {
      // Eight at once before anyone is signed in, as eight ceremonies starting together would.
      const first = await Promise.all(
        Array.from({ length: 8 }, () => entra.get<{ userPrincipalName: string }>("/me")),
      );
      expect(first.map((m) => m.userPrincipalName)).toEqual(
        Array(8).fill("mira.kovac@northwindforge.example"),
      );
      for (let i = 0; i < 3; i++) expect(await listGroupUsers(entra, ALL_STAFF)).toHaveLength(8);
      expect(prompts).toHaveLength(1);
    } finally {
      await entra.close();
    }
  });
});
