// Each credential type that can run here, against the emulator over real HTTPS with the real
// @azure/identity credentials and Graph client; secrets never appear in errors.
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential, EntraClient, EntraError, listGroupUsers } from "../../core/entra/index.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

const ALL_STAFF = "d397b649-2c1c-5ac0-8b47-8f0e52a76139";
let t: TestTenant;

beforeAll(async () => {
  t = await startTestTenant();
});
afterAll(async () => {
  await t?.stop();
});

async function readsAllStaff(entra: EntraClient): Promise<number> {
  try {
    return (await listGroupUsers(entra, ALL_STAFF)).length;
  } finally {
    await entra.close();
  }
}

describe("credentials against the emulator", () => {
  it("should sign in with a client secret and read through the Graph client", async () => {
    expect(await readsAllStaff(new EntraClient(t.config()))).toBe(8);
  });

  it("should sign in with a client certificate from a PEM file", async () => {
    const config = t.config({
      auth: "client-certificate",
      clientId: t.certApp.clientId,
      clientSecret: undefined,
      clientCertificatePath: t.certApp.pemPath,
    });
    expect(await readsAllStaff(new EntraClient(config))).toBe(8);
  });

  it("should sign in by workload identity federation from a token file, with no secret at all", async () => {
    const config = t.config({
      auth: "workload-identity",
      clientId: t.federatedApp.clientId,
      clientSecret: undefined,
      federatedTokenFile: t.federatedApp.tokenFile,
    });
    expect(config.clientSecret).toBeUndefined();
    expect(await readsAllStaff(new EntraClient(config))).toBe(8);
  });

  it("should sign an operator in by device code once the sign-in is approved", async () => {
    const prompts: string[] = [];
    const config = t.config({ auth: "device-code", clientSecret: undefined });
    const entra = new EntraClient(config, {
      credentialHooks: {
        onDeviceCode: (info) => {
          prompts.push(info.userCode);
          void t.emu.admin.approveDeviceCode(info.userCode, "mira.kovac@northwindforge.example");
        },
      },
    });
    expect(await readsAllStaff(entra)).toBe(8);
    expect(prompts).toHaveLength(1);
  });

  it("should fail a wrong client secret as Auth, showing neither that secret nor the real one", async () => {
    const wrong = "wrong-secret-0123456789abcdef";
    const entra = new EntraClient(t.config({ clientSecret: wrong }));
    const err = await listGroupUsers(entra, ALL_STAFF).catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(err)).toBe(true);
    if (!EntraError.isInstance(err)) return;
    expect(err.kind).toBe("Auth");
    for (const text of [err.message, JSON.stringify(err), inspect(err, { depth: 5 }), String(err.stack)]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(t.emu.clientSecret);
    }
  });

  it("should never put the access token into an error", async () => {
    const config = t.config();
    const token = await createCredential(config).getToken(config.graphScope);
    expect(token?.token.length).toBeGreaterThan(20);
    const entra = new EntraClient(config);
    const err = await entra.get("/users/nobody@northwindforge.example").catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(err) && err.kind).toBe("NotFound");
    const text = `${String((err as Error).message)} ${JSON.stringify(err)} ${inspect(err, { depth: 5 })}`;
    expect(text).not.toContain(token?.token ?? "-");
    expect(text).not.toMatch(/Bearer /);
  });
});
