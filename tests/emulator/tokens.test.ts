// Contract: the Entra side, driven by the real @azure/identity credentials (client secret, certificate,
// federated assertion, device code) and by raw calls for the exact OAuth error shapes.
import { ClientAssertionCredential, CredentialUnavailableError } from "@azure/identity";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectoryRole, type RunningEmulator, startEmulator } from "../../emulator/index.js";
import {
  apps,
  federatedAssertion,
  makeTestKeys,
  people,
  rawClient,
  type TestKeys,
  testTenant,
} from "./support/fixture.js";
import {
  certificateCredential,
  deviceCodeCredential,
  graphClient,
  graphScope,
  secretCredential,
} from "./support/graphClients.js";

let emu: RunningEmulator;
let keys: TestKeys;
let raw: ReturnType<typeof rawClient>;

beforeAll(async () => {
  keys = await makeTestKeys();
  emu = await startEmulator({ tenant: await testTenant(keys) });
  raw = rawClient(emu);
});
afterAll(async () => {
  await raw?.close();
  await emu?.stop();
});

describe("OpenID metadata", () => {
  it("should serve the four keys MSAL requires, with the issuer on the authority host", async () => {
    const r = await raw.call("GET", `/${emu.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    const doc = r.body as Record<string, string>;
    expect(doc.issuer).toBe(`${emu.url}/${emu.tenantId}/v2.0`);
    expect(doc.token_endpoint).toBe(`${emu.url}/${emu.tenantId}/oauth2/v2.0/token`);
    expect(doc.authorization_endpoint).toBeTruthy();
    expect(doc.jwks_uri).toBeTruthy();
    const jwks = await raw.call("GET", new URL(doc.jwks_uri as string).pathname);
    expect((jwks.body as { keys: { kty: string; d?: string }[] }).keys[0]?.kty).toBe("RSA");
    expect((jwks.body as { keys: { d?: string }[] }).keys[0]?.d).toBeUndefined();
  });

  it("should answer the tenant's domain too and refuse an unknown tenant with AADSTS90002", async () => {
    expect(
      (await raw.call("GET", "/northwindforge.example/v2.0/.well-known/openid-configuration")).status,
    ).toBe(200);
    const r = await raw.call(
      "GET",
      "/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration",
    );
    expect(r.status).toBe(400);
    expect((r.body as { error_codes: number[] }).error_codes).toEqual([90002]);
  });
});

describe("client credentials", () => {
  it("should issue a signed Graph token with roles to ClientSecretCredential", async () => {
    const token = await secretCredential(emu).getToken(graphScope);
    const claims = decodeJwt(token.token);
    expect(claims.aud).toBe("https://graph.microsoft.com");
    expect(claims.tid).toBe(emu.tenantId);
    expect(claims.roles).toContain("UserAuthenticationMethod.ReadWrite.All");
    expect(claims.idtyp).toBe("app");
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it("should refuse a wrong client secret with invalid_client AADSTS7000215", async () => {
    await expect(secretCredential(emu, "wrong-secret").getToken(graphScope)).rejects.toThrow(/7000215/);
    const r = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: "client_credentials",
        client_id: emu.clientId,
        client_secret: "nope",
        scope: graphScope,
      },
    });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: "invalid_client", error_codes: [7000215] });
    expect(r.text).not.toContain(emu.clientSecret);
  });

  it("should refuse an unknown client, an unsupported grant and a scope without /.default", async () => {
    const unknown = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: "client_credentials",
        client_id: "99999999-9999-4999-8999-999999999999",
        client_secret: "x",
        scope: graphScope,
      },
    });
    expect(unknown.body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
    const grant = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
      form: { grant_type: "password", client_id: emu.clientId },
    });
    expect(grant.body).toMatchObject({ error: "unsupported_grant_type" });
    const scope = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: "client_credentials",
        client_id: emu.clientId,
        client_secret: emu.clientSecret,
        scope: "User.Read",
      },
    });
    expect(scope.body).toMatchObject({ error: "invalid_scope" });
  });

  it("should issue a token to ClientCertificateCredential after checking the assertion against the registered certificate", async () => {
    const token = await certificateCredential(
      emu,
      apps.certificate.clientId,
      keys.certificateAndKeyPem,
    ).getToken(graphScope);
    const claims = decodeJwt(token.token);
    expect(claims.appid).toBe(apps.certificate.clientId);
    expect(claims.appidacr).toBe("2");
    const other = await makeTestKeys();
    await expect(
      certificateCredential(emu, apps.certificate.clientId, other.certificateAndKeyPem).getToken(graphScope),
    ).rejects.toThrow(/700027/);
  });

  it("should accept a federated assertion from the configured issuer and refuse another subject", async () => {
    const ok = new ClientAssertionCredential(
      emu.tenantId,
      apps.federated.clientId,
      () => federatedAssertion(keys),
      {
        authorityHost: emu.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caCertPem },
      },
    );
    expect(decodeJwt((await ok.getToken(graphScope)).token).roles).toEqual(["User.Read.All"]);
    const wrong = new ClientAssertionCredential(
      emu.tenantId,
      apps.federated.clientId,
      () => federatedAssertion(keys, "repo:evil/fork:ref:refs/heads/main"),
      {
        authorityHost: emu.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caCertPem },
      },
    );
    await expect(wrong.getToken(graphScope)).rejects.toThrow(/70021/);
  });
});

describe("device code sign-in for operators", () => {
  it("should sign in the chosen operator and put scp and directory roles in the token", async () => {
    await emu.admin.setSignInOperator(people.mira);
    try {
      const token = await deviceCodeCredential(emu).getToken(graphScope);
      const claims = decodeJwt(token.token);
      expect(claims.upn).toBe(people.mira);
      expect(String(claims.scp).split(" ")).toContain("UserAuthenticationMethod.ReadWrite.All");
      expect(claims.wids).toEqual([DirectoryRole["Authentication Administrator"]]);
      expect(claims.idtyp).toBe("user");
    } finally {
      await emu.admin.setSignInOperator(null);
    }
  });

  it("should answer authorization_pending until an admin approves the user code", async () => {
    const start = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/devicecode`, {
      form: { client_id: emu.clientId, scope: graphScope },
    });
    const dc = start.body as {
      device_code: string;
      user_code: string;
      interval: number;
      verification_uri: string;
      message: string;
    };
    expect(dc.message).toContain(dc.user_code);
    const poll = () =>
      raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
        form: {
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
          client_id: emu.clientId,
          device_code: dc.device_code,
        },
      });
    const pending = await poll();
    expect(pending.status).toBe(400);
    expect(pending.body).toMatchObject({ error: "authorization_pending", error_codes: [70016] });
    expect((await emu.admin.pendingDeviceCodes()).map((p) => p.userCode)).toContain(dc.user_code);
    await emu.admin.approveDeviceCode(dc.user_code, people.sam);
    const done = await poll();
    expect(done.status).toBe(200);
    const body = done.body as { access_token: string; id_token: string };
    expect(decodeJwt(body.access_token).wids).toEqual([
      DirectoryRole["Privileged Authentication Administrator"],
    ]);
    expect(decodeJwt(body.id_token).preferred_username).toBe(people.sam);
    expect((await poll()).body).toMatchObject({ error: "invalid_grant" });
  });

  it("should approve a code entered on the page the sign-in message names, as the account given there", async () => {
    const start = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/devicecode`, {
      form: { client_id: emu.clientId, scope: graphScope },
    });
    const dc = start.body as { device_code: string; user_code: string; verification_uri: string };
    const page = new URL(dc.verification_uri).pathname;
    const form = await raw.call("GET", page);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="code"');
    const wrong = await raw.call("POST", page, {
      form: { code: "NOSUCHCODE", userPrincipalName: people.mira },
    });
    expect(wrong.status).toBe(404);
    expect(wrong.text).toContain("No pending sign-in has the code NOSUCHCODE");
    const hostile = await raw.call("POST", page, {
      form: { code: dc.user_code, userPrincipalName: "<b>x</b>" },
    });
    expect(hostile.text).not.toContain("<b>x</b>");
    const ok = await raw.call("POST", page, {
      form: { code: dc.user_code.toLowerCase(), userPrincipalName: people.mira },
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain(`Signed in as ${people.mira}`);
    const done = await raw.call("POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        client_id: emu.clientId,
        device_code: dc.device_code,
      },
    });
    expect(done.status).toBe(200);
    expect(decodeJwt((done.body as { access_token: string }).access_token).upn).toBe(people.mira);
  });

  it("should let an operator token read Graph through the real client", async () => {
    await emu.admin.setSignInOperator(people.mira);
    const g = graphClient(emu, deviceCodeCredential(emu));
    try {
      const me = await g.client.api("/me").get();
      expect(me.userPrincipalName).toBe(people.mira);
    } finally {
      await g.close();
      await emu.admin.setSignInOperator(null);
    }
  });
});

describe("real TLS", () => {
  it("should not be trusted by a credential that was not given the emulator's CA", async () => {
    const { ClientSecretCredential } = await import("@azure/identity");
    const cred = new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, {
      authorityHost: emu.url,
      disableInstanceDiscovery: true,
      retryOptions: { maxRetries: 0 },
    });
    const err = await cred.getToken(graphScope).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CredentialUnavailableError);
    expect(String((err as Error).message)).toMatch(/endpoints_resolution_error/);
  });
});
