// Writes: creationOptions (v1.0 and beta), registration with the no-blind-retry rule under injected
// faults, and deletion; against the emulator, which verifies the attestation and keeps the state.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  deleteFido2Method,
  EntraClient,
  EntraError,
  encodeUrlToken,
  getCreationOptions,
  listFido2Methods,
  registerFido2Method,
} from "../../core/entra/index.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";
import { makeNoneCredential } from "./support/noneAttestation.js";

let t: TestTenant;
const fast = { baseDelayMs: 10, maxDelayMs: 100 };
const USERS = {
  ada: "9a0d258a-5fee-579a-93d8-9362d5365d67",
  ben: "04a0bd23-7b75-581c-96d7-6d8a3642ac20",
  chloe: "ddc71d2f-49e4-57c9-b8d3-dcdc68563b46",
  dev: "d0420cc2-eb17-5803-a131-9d9c6fdfab7a",
  elena: "cfb25e23-fd7e-5e9b-a218-11ad0b9883b5",
};

beforeAll(async () => {
  t = await startTestTenant();
});
afterAll(async () => {
  await t?.stop();
});
afterEach(async () => {
  await t.emu.admin.clearFaults();
});

async function postsTo(userId: string): Promise<number> {
  const log = await t.emu.admin.requests();
  return log.filter(
    (r) => r.method === "POST" && r.path === `/v1.0/users/${userId}/authentication/fido2Methods`,
  ).length;
}

async function prepared(entra: EntraClient, userId: string, nonce: string) {
  const options = await getCreationOptions(entra, userId);
  const made = makeNoneCredential(options);
  return {
    userId,
    displayName: `primary ${nonce}`,
    nonce,
    credentialId: made.credentialId,
    publicKeyCredential: made.publicKeyCredential,
  };
}

describe("creationOptions", () => {
  it("should fetch v1.0 options by default and beta options with a configured challenge timeout", async () => {
    const v1 = new EntraClient(t.config());
    const beta = new EntraClient(t.config({ challengeTimeoutMinutes: 60 }));
    const a = await getCreationOptions(v1, USERS.ada);
    const b = await getCreationOptions(beta, USERS.ada);
    await v1.close();
    await beta.close();
    expect(typeof a.publicKey.challenge).toBe("string");
    const minutes = (o: { challengeTimeoutDateTime?: string }) =>
      (Date.parse(o.challengeTimeoutDateTime ?? "") - Date.now()) / 60_000;
    expect(minutes(a)).toBeLessThanOrEqual(5.1);
    expect(minutes(b)).toBeGreaterThan(50);
  });
});

describe("registration", () => {
  it("should register a key, list it under the UrlToken form of its credential id, and delete it", async () => {
    const entra = new EntraClient(t.config());
    const request = await prepared(entra, USERS.ada, "n0a1");
    const result = await registerFido2Method(entra, request);
    expect(result).toMatchObject({ recovered: false, posts: 1 });
    expect(result.method.id).toBe(encodeUrlToken(request.credentialId));
    expect((await listFido2Methods(entra, USERS.ada)).map((m) => m.id)).toContain(result.method.id);
    expect(await deleteFido2Method(entra, USERS.ada, result.method.id)).toBe("deleted");
    expect(await deleteFido2Method(entra, USERS.ada, result.method.id)).toBe("absent");
    await entra.close();
  });

  it("should recognise its own registration after the connection drops once Graph has committed it", async () => {
    const entra = new EntraClient(t.config(), { retry: fast });
    const request = await prepared(entra, USERS.ben, "n0b2");
    await t.emu.admin.clearRequests();
    await t.emu.admin.setFaults([{ kind: "drop", method: "POST", route: "/fido2Methods$", times: 1 }]);
    const ambiguous: EntraError[] = [];
    const result = await registerFido2Method(entra, request, { onAmbiguous: (e) => ambiguous.push(e) });
    await entra.close();
    expect(ambiguous.map((e) => e.kind)).toEqual(["Unavailable"]);
    expect(result).toMatchObject({ recovered: true, posts: 1 });
    expect(await postsTo(USERS.ben)).toBe(1);
    expect(await t.emu.admin.storedMethods(USERS.ben)).toHaveLength(1);
  });

  it("should check, then post again, when a 503 came before anything was committed", async () => {
    const entra = new EntraClient(t.config(), { retry: fast });
    const request = await prepared(entra, USERS.chloe, "n0c3");
    await t.emu.admin.clearRequests();
    await t.emu.admin.setFaults([
      { kind: "503", method: "POST", route: "/fido2Methods$", times: 1, retryAfterSeconds: 0 },
    ]);
    const result = await registerFido2Method(entra, request);
    await entra.close();
    expect(result).toMatchObject({ recovered: false, posts: 2 });
    const log = await t.emu.admin.requests();
    const sequence = log
      .filter((r) => r.path.startsWith(`/v1.0/users/${USERS.chloe}/authentication/fido2Methods`))
      .map((r) => `${r.method} ${r.status}`);
    // The POST, the check (a list), and only then the second POST.
    expect(sequence).toEqual(["POST 503", "GET 200", "POST 201"]);
    expect(await t.emu.admin.storedMethods(USERS.chloe)).toHaveLength(1);
  });

  it("should recognise its registration by the nonce in the display name", async () => {
    const entra = new EntraClient(t.config(), { retry: fast });
    const request = await prepared(entra, USERS.dev, "n0d4");
    await t.emu.admin.setFaults([{ kind: "drop", method: "POST", route: "/fido2Methods$", times: 1 }]);
    // The caller lost the credential id but kept the nonce: recognition still works.
    const result = await registerFido2Method(entra, { ...request, credentialId: "" });
    await entra.close();
    expect(result).toMatchObject({ recovered: true, posts: 1 });
    expect(result.method.displayName).toContain("n0d4");
  });

  it("should not repeat a POST that Graph clearly refused", async () => {
    const entra = new EntraClient(t.config(), { retry: fast });
    const request = await prepared(entra, USERS.elena, "n0e5");
    await t.emu.admin.clearRequests();
    const tampered = {
      ...request,
      publicKeyCredential: {
        ...request.publicKeyCredential,
        response: {
          ...request.publicKeyCredential.response,
          clientDataJSON: Buffer.from("{}").toString("base64url"),
        },
      },
    };
    const err = await registerFido2Method(entra, tampered).catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(err)).toBe(true);
    if (!EntraError.isInstance(err)) return;
    expect(err).toMatchObject({ kind: "BadRequest", status: 400, attempts: 1 });
    expect(err.requestId).toBeTruthy();
    expect(await postsTo(USERS.elena)).toBe(1);
  });
});
