// Contract: creationOptions (v1.0 fixed 5 minutes; beta parenthesis, query and bare forms, 5–43,200) and
// registration verified for real — accepted packed (chain and self) and none; refused forged, replayed,
// expired, wrong-user, wrong-rp, wrong-origin, disallowed-AAGUID, unattested-under-enforcement, duplicate.
import type { GraphError } from "@microsoft/microsoft-graph-client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { expectGraphError, people, rawClient } from "./support/fixture.js";
import { graphClient, graphScope, secretCredential } from "./support/graphClients.js";
import {
  type AttestationChain,
  type CreationOptionsJson,
  createAttestationChain,
  type MakeOptions,
  makeRegistration,
} from "./support/softAuthenticator.js";

const yubikey = "2fc0579f-8113-47ea-b116-555a8db9202a";
const policyPath = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";
const defaultPolicy = {
  state: "enabled",
  isSelfServiceRegistrationAllowed: true,
  isAttestationEnforced: false,
  keyRestrictions: { isEnforced: false, enforcementType: "block", aaGuids: [] },
  includeTargets: [{ targetType: "group", id: "all_users", isRegistrationRequired: false }],
  excludeTargets: [],
  passkeyProfiles: [],
};

let emu: RunningEmulator;
let graph: ReturnType<typeof graphClient>;
let raw: ReturnType<typeof rawClient>;
let token: string;
let chain: AttestationChain;
let adaId: string;
let benId: string;

beforeAll(async () => {
  emu = await startEmulator();
  graph = graphClient(emu, secretCredential(emu));
  raw = rawClient(emu);
  token = (await secretCredential(emu).getToken(graphScope)).token;
  chain = await createAttestationChain();
  await emu.addTrustedRoot(chain.rootPem);
  adaId = (await graph.client.api(`/users/${encodeURIComponent(people.ada)}`).get()).id;
  benId = (await graph.client.api(`/users/${encodeURIComponent(people.ben)}`).get()).id;
});
afterAll(async () => {
  await graph?.close();
  await raw?.close();
  await emu?.stop();
});
beforeEach(async () => {
  expect((await raw.call("PATCH", policyPath, { token, body: defaultPolicy })).status).toBe(204);
});

async function options(userId: string, version = "v1.0", suffix = ""): Promise<CreationOptionsJson> {
  const r = await raw.call(
    "GET",
    `/${version}/users/${userId}/authentication/fido2Methods/creationOptions${suffix}`,
    { token },
  );
  expect(r.status).toBe(200);
  return (r.body as { publicKey: CreationOptionsJson }).publicKey;
}

async function register(userId: string, make: Partial<MakeOptions> = {}, opts?: CreationOptionsJson) {
  const reg = makeRegistration(opts ?? (await options(userId)), {
    attestation: "packed-chain",
    chain,
    aaguid: yubikey,
    ...make,
  });
  const r = await raw.call("POST", `/v1.0/users/${userId}/authentication/fido2Methods`, {
    token,
    body: reg.body,
  });
  return { reg, r };
}

describe("creationOptions", () => {
  it("should return Entra's shape with a 5-minute challenge on v1.0", async () => {
    const before = Date.now();
    const r = await graph.client.api(`/users/${adaId}/authentication/fido2Methods/creationOptions`).get();
    expect(r["@odata.context"]).toContain("$metadata#microsoft.graph.webauthnCredentialCreationOptions");
    const expiry = Date.parse(r.challengeTimeoutDateTime);
    expect(r.challengeTimeoutDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(expiry - before).toBeGreaterThan(4 * 60_000);
    expect(expiry - before).toBeLessThanOrEqual(5 * 60_000 + 1000);
    expect(r.publicKey.rp).toEqual({ id: "login.microsoft.com", name: "Microsoft" });
    expect(r.publicKey.user.name).toBe(people.ada);
    expect(Buffer.from(r.publicKey.user.id, "base64url").subarray(0, 3).toString()).toBe("OF:");
    expect(r.publicKey.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toEqual([-7, -257]);
    expect(r.publicKey.authenticatorSelection).toEqual({
      authenticatorAttachment: "cross-platform",
      requireResidentKey: true,
      userVerification: "required",
    });
    expect(r.publicKey.attestation).toBe("direct");
    expect(r.publicKey.challenge).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("should accept the beta parenthesis, query and bare forms and honour the timeout", async () => {
    const expiryOf = async (suffix: string) => {
      const r = await raw.call(
        "GET",
        `/beta/users/${adaId}/authentication/fido2Methods/creationOptions${suffix}`,
        { token },
      );
      expect(r.status).toBe(200);
      return (
        Date.parse((r.body as { challengeTimeoutDateTime: string }).challengeTimeoutDateTime) - Date.now()
      );
    };
    expect(await expiryOf("(challengeTimeoutInMinutes=60)")).toBeGreaterThan(59 * 60_000);
    expect(await expiryOf("?challengeTimeoutInMinutes=43200")).toBeGreaterThan(43_199 * 60_000);
    const bare = await expiryOf("");
    expect(bare).toBeGreaterThan(4 * 60_000);
    expect(bare).toBeLessThanOrEqual(5 * 60_000 + 1000);
  });

  it("should refuse a timeout outside 5..43200 on beta and any timeout on v1.0", async () => {
    for (const suffix of [
      "(challengeTimeoutInMinutes=4)",
      "?challengeTimeoutInMinutes=43201",
      "(challengeTimeoutInMinutes=abc)",
    ]) {
      expectGraphError(
        await raw.call("GET", `/beta/users/${adaId}/authentication/fido2Methods/creationOptions${suffix}`, {
          token,
        }),
        400,
        "badRequest",
      );
    }
    expectGraphError(
      await raw.call(
        "GET",
        `/v1.0/users/${adaId}/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=10)`,
        { token },
      ),
      400,
      "badRequest",
    );
  });

  it("should answer 404 for an unknown user", async () => {
    expectGraphError(
      await raw.call("GET", "/v1.0/users/nobody%40x.example/authentication/fido2Methods/creationOptions", {
        token,
      }),
      404,
      "Request_ResourceNotFound",
    );
  });
});

describe("accepted registrations", () => {
  it("should store a packed key with a trusted chain as attested, with thumbprints and model, and list/get/delete it", async () => {
    const { reg, r } = await register(benId);
    expect(r.status).toBe(201);
    const m = r.body as Record<string, unknown>;
    expect(m).toMatchObject({
      id: reg.expectedMethodId,
      displayName: "Test key",
      aaGuid: yubikey,
      model: "YubiKey 5 Series with NFC",
      attestationLevel: "attested",
      passkeyType: "deviceBound",
    });
    expect(m.attestationCertificates).toHaveLength(2);
    expect((m.attestationCertificates as string[])[0]).toMatch(/^[0-9a-f]{40}$/);
    const list = await graph.client.api(`/users/${benId}/authentication/fido2Methods`).get();
    expect(list.value.map((x: { id: string }) => x.id)).toContain(reg.expectedMethodId);
    const one = await graph.client
      .api(`/users/${benId}/authentication/fido2Methods/${reg.expectedMethodId}`)
      .get();
    expect(one.createdDateTime).toMatch(/Z$/);
    // beta lists the existing key in excludeCredentials in the padding-digit form; v1.0 in plain base64url.
    expect((await options(benId, "beta")).excludeCredentials).toContainEqual({
      id: reg.expectedMethodId,
      type: "public-key",
      transports: [],
    });
    expect((await options(benId)).excludeCredentials).toContainEqual({
      id: reg.credentialId.toString("base64url"),
      type: "public-key",
      transports: [],
    });
    await graph.client.api(`/users/${benId}/authentication/fido2Methods/${reg.expectedMethodId}`).delete();
    const err = await graph.client
      .api(`/users/${benId}/authentication/fido2Methods/${reg.expectedMethodId}`)
      .get()
      .catch((e: unknown) => e);
    expect((err as GraphError).statusCode).toBe(404);
    expectGraphError(
      await raw.call("DELETE", `/v1.0/users/${benId}/authentication/fido2Methods/${reg.expectedMethodId}`, {
        token,
      }),
      404,
      "itemNotFound",
    );
  });

  it("should store packed self attestation and none as notAttested, and a backed-up credential as synced", async () => {
    const self = await register(adaId, { attestation: "packed-self" });
    expect(self.r.body).toMatchObject({ attestationLevel: "notAttested", attestationCertificates: [] });
    const none = await register(adaId, {
      attestation: "none",
      aaguid: "00000000-0000-0000-0000-000000000000",
      flags: 0x5d,
    });
    expect(none.r.status).toBe(201);
    expect(none.r.body).toMatchObject({
      attestationLevel: "notAttested",
      passkeyType: "synced",
      model: null,
    });
  });

  it("should accept standard base64 with padding for clientDataJSON and attestationObject", async () => {
    const { r } = await register(adaId, { standardBase64: true });
    expect(r.status).toBe(201);
  });

  it("should accept a challenge fetched through the beta query form on the beta POST", async () => {
    const opts = await options(adaId, "beta", "?challengeTimeoutInMinutes=60");
    const reg = makeRegistration(opts, { attestation: "packed-chain", chain, aaguid: yubikey });
    const created = await graph.client
      .api(`/users/${adaId}/authentication/fido2Methods`)
      .version("beta")
      .post(reg.body);
    expect(created.id).toBe(reg.expectedMethodId);
    expect(created.lastUsedDateTime).toBeNull();
  });
});

describe("refused registrations", () => {
  async function refused(
    make: Partial<MakeOptions>,
    status = 400,
    code = "badRequest",
    userId = adaId,
    opts?: CreationOptionsJson,
  ) {
    const { r } = await register(userId, make, opts);
    return expectGraphError(r, status, code).message;
  }

  it("should refuse a forged attestation signature", async () => {
    expect(await refused({ forgeSignature: true })).toMatch(/could not be verified/);
  });

  it("should refuse a replayed challenge", async () => {
    const opts = await options(adaId);
    expect((await register(adaId, {}, opts)).r.status).toBe(201);
    expect(await refused({}, 400, "badRequest", adaId, opts)).toMatch(/already been used/);
  });

  it("should refuse an expired challenge", async () => {
    const opts = await options(adaId);
    await emu.setClockOffset(6 * 60_000);
    try {
      const { r } = await register(adaId, {}, opts);
      // The app token is still valid six minutes later; the challenge is not.
      expect(expectGraphError(r, 400, "badRequest").message).toMatch(/expired/);
    } finally {
      await emu.setClockOffset(0);
    }
  });

  it("should refuse a challenge issued for another user, and one this tenant never issued", async () => {
    expect(await refused({}, 400, "badRequest", adaId, await options(benId))).toMatch(/different user/);
    const opts = await options(adaId);
    expect(
      await refused(
        { challenge: Buffer.from("made-up.challenge").toString("base64url") },
        400,
        "badRequest",
        adaId,
        opts,
      ),
    ).toMatch(/not issued by this tenant/);
  });

  it("should refuse the wrong rp id, the wrong origin and the wrong clientData type", async () => {
    expect(await refused({ rpId: "login.example.com", origin: "https://login.microsoft.com" })).toMatch(
      /RP ID/i,
    );
    expect(await refused({ origin: "https://evil.example" })).toMatch(/origin/i);
    expect(await refused({ type: "webauthn.get" })).toMatch(/webauthn.create/);
  });

  it("should refuse a credential without user verification", async () => {
    expect(await refused({ flags: 0x41 })).toMatch(/verification/i);
  });

  it("should refuse a disallowed AAGUID under an allow list and a block list", async () => {
    await raw.call("PATCH", policyPath, {
      token,
      body: { keyRestrictions: { isEnforced: true, enforcementType: "allow", aaGuids: [yubikey] } },
    });
    expect(await refused({ aaguid: "73402251-f2a8-4f03-873e-3cb6db604b03" })).toMatch(
      /not in the allowed list/,
    );
    expect((await register(adaId)).r.status).toBe(201);
    await raw.call("PATCH", policyPath, {
      token,
      body: { keyRestrictions: { isEnforced: true, enforcementType: "block", aaGuids: [yubikey] } },
    });
    expect(await refused({})).toMatch(/blocked/);
  });

  it("should refuse unattested keys when attestation is enforced, and chains to untrusted roots", async () => {
    await raw.call("PATCH", policyPath, { token, body: { isAttestationEnforced: true } });
    expect(await refused({ attestation: "none", aaguid: "00000000-0000-0000-0000-000000000000" })).toMatch(
      /Attestation is enforced/,
    );
    expect(await refused({ attestation: "packed-self" })).toMatch(/Attestation is enforced/);
    const stranger = await createAttestationChain("Unknown Vendor");
    expect(await refused({ chain: stranger })).toMatch(/Attestation is enforced/);
    expect((await register(adaId)).r.status).toBe(201);
  });

  it("should refuse a duplicate credential with 409", async () => {
    const first = await register(adaId);
    expect(first.r.status).toBe(201);
    await refused({ credentialId: first.reg.credentialId }, 409, "conflict");
  });

  it("should refuse a body with @odata.type or without displayName, and a displayName over 30 characters", async () => {
    const reg = makeRegistration(await options(adaId), { attestation: "none" });
    const post = (body: unknown) =>
      raw.call("POST", `/v1.0/users/${adaId}/authentication/fido2Methods`, { token, body });
    const { message } = expectGraphError(
      await post({ "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", ...reg.body }),
      400,
      "badRequest",
    );
    expect(message).toContain("missing a fido2AuthenticationMethod entity");
    expectGraphError(await post({ publicKeyCredential: reg.body.publicKeyCredential }), 400, "badRequest");
    expectGraphError(await post({ ...reg.body, displayName: "x".repeat(31) }), 400, "badRequest");
    expectGraphError(
      await post({ displayName: "k", publicKeyCredential: { id: "!!", response: {} } }),
      400,
      "badRequest",
    );
  });

  it("should refuse when the policy is disabled, self-service set-up is off, or the user is out of scope", async () => {
    await raw.call("PATCH", policyPath, { token, body: { isSelfServiceRegistrationAllowed: false } });
    expect(await refused({})).toMatch(/self-service/);
    await raw.call("PATCH", policyPath, {
      token,
      body: { isSelfServiceRegistrationAllowed: true, state: "disabled" },
    });
    expect(await refused({})).toMatch(/disabled/);
    await raw.call("PATCH", policyPath, {
      token,
      body: {
        state: "enabled",
        includeTargets: [{ targetType: "group", id: "c1760e28-99a6-5388-be75-5ca89af53540" }],
      },
    });
    // Ada is in the pilot through the nested Engineering group; Jonas is not in it at all.
    expect((await register(adaId)).r.status).toBe(201);
    const jonasId = (await graph.client.api(`/users/${encodeURIComponent(people.jonas)}`).get()).id;
    expect(await refused({}, 400, "badRequest", jonasId)).toMatch(
      /error_user_group_restriction_policy_failure/,
    );
    await raw.call("PATCH", policyPath, {
      token,
      body: {
        includeTargets: [{ targetType: "group", id: "all_users" }],
        excludeTargets: [{ targetType: "group", id: "ea721d0a-bf67-5aae-bc84-6a2be743ccfd" }],
      },
    });
    expect(await refused({})).toMatch(/error_user_group_restriction_policy_failure/);
  });

  it("should apply passkey profiles: types, attestation enforcement and key restrictions per target", async () => {
    const strict = "00000000-0000-0000-0000-000000000001";
    const synced = "e47a833c-5dfa-45f1-9471-bb0cf0eb425b";
    const profiles = {
      defaultPasskeyProfile: strict,
      passkeyProfiles: [
        {
          id: strict,
          name: "Default passkey profile",
          passkeyTypes: "deviceBound",
          attestationEnforcement: "registrationOnly",
          keyRestrictions: { isEnforced: true, enforcementType: "allow", aaGuids: [yubikey] },
        },
        {
          id: synced,
          name: "synced",
          passkeyTypes: "synced",
          attestationEnforcement: "disabled",
          keyRestrictions: { isEnforced: false, enforcementType: "allow", aaGuids: [] },
        },
      ],
      includeTargets: [{ targetType: "group", id: "all_users" }],
    };
    expect((await raw.call("PATCH", policyPath, { token, body: profiles })).status).toBe(204);
    expect((await register(adaId)).r.status).toBe(201);
    expect(await refused({ attestation: "packed-self" })).toMatch(/enforces attestation/);
    expect(await refused({ attestation: "none", flags: 0x5d })).toMatch(/does not allow synced/);
    await raw.call("PATCH", policyPath, {
      token,
      body: {
        includeTargets: [{ targetType: "group", id: "all_users", allowedPasskeyProfiles: [strict, synced] }],
      },
    });
    expect((await register(adaId, { attestation: "none", flags: 0x5d })).r.status).toBe(201);
  });
});
