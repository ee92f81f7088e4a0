// Contract: Graph rejects a missing, malformed, expired, wrong-audience or foreign token with 401
// InvalidAuthenticationToken, and an under-privileged caller with 403, in Graph's exact envelope; delegated
// operators are limited by their directory roles (Authentication Administrator vs Privileged).
import { GraphError } from "@microsoft/microsoft-graph-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { apps, expectGraphError, makeTestKeys, people, rawClient, testTenant } from "./support/fixture.js";
import { deviceCodeCredential, graphClient, graphScope, secretCredential } from "./support/graphClients.js";

let emu: RunningEmulator;
let other: RunningEmulator;
let raw: ReturnType<typeof rawClient>;
let appToken: string;

beforeAll(async () => {
  const keys = await makeTestKeys();
  [emu, other] = await Promise.all([startEmulator({ tenant: await testTenant(keys) }), startEmulator()]);
  raw = rawClient(emu);
  appToken = (await secretCredential(emu).getToken(graphScope)).token;
});
afterAll(async () => {
  await raw?.close();
  await emu?.stop();
  await other?.stop();
});

const adaPath = `/v1.0/users/${encodeURIComponent(people.ada)}`;

describe("401 InvalidAuthenticationToken", () => {
  it("should refuse a request without a token, echoing client-request-id in the envelope and headers", async () => {
    const r = await raw.call("GET", adaPath, {
      headers: { "client-request-id": "11111111-2222-4333-8444-555555555555" },
    });
    const { message } = expectGraphError(r, 401, "InvalidAuthenticationToken");
    expect(message).toBe("Access token is empty.");
    const inner = (r.body as { error: { innerError: Record<string, string> } }).error.innerError;
    expect(inner["client-request-id"]).toBe("11111111-2222-4333-8444-555555555555");
    expect(inner.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(r.headers.get("client-request-id")).toBe("11111111-2222-4333-8444-555555555555");
    expect(r.headers.get("request-id")).toBe(inner["request-id"]);
    expect(r.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("should refuse a malformed token and a token signed by another tenant's emulator", async () => {
    expectGraphError(
      await raw.call("GET", adaPath, { token: "not-a-jwt" }),
      401,
      "InvalidAuthenticationToken",
    );
    const foreign = (await secretCredential(other).getToken(graphScope)).token;
    expectGraphError(await raw.call("GET", adaPath, { token: foreign }), 401, "InvalidAuthenticationToken");
  });

  it("should refuse a token for another audience", async () => {
    const token = (await secretCredential(emu).getToken(`${emu.url}/.default`)).token;
    const { message } = expectGraphError(
      await raw.call("GET", adaPath, { token }),
      401,
      "InvalidAuthenticationToken",
    );
    expect(message).toContain("Invalid audience");
  });

  it("should refuse an expired token once the emulator clock passes its exp", async () => {
    expect((await raw.call("GET", adaPath, { token: appToken })).status).toBe(200);
    await emu.setClockOffset(2 * 3600_000);
    try {
      const { message } = expectGraphError(
        await raw.call("GET", adaPath, { token: appToken }),
        401,
        "InvalidAuthenticationToken",
      );
      expect(message).toContain("expired");
    } finally {
      await emu.setClockOffset(0);
    }
  });
});

describe("403 for under-privileged callers", () => {
  it("should refuse an app without permissions with Authorization_RequestDenied on users and accessDenied on methods", async () => {
    const token = (
      await secretCredential(emu, apps.noPermissions.secret, apps.noPermissions.clientId).getToken(graphScope)
    ).token;
    expectGraphError(await raw.call("GET", adaPath, { token }), 403, "Authorization_RequestDenied");
    expectGraphError(
      await raw.call("GET", `${adaPath}/authentication/fido2Methods`, { token }),
      403,
      "accessDenied",
    );
    expectGraphError(
      await raw.call(
        "GET",
        "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
        { token },
      ),
      403,
      "Authorization_RequestDenied",
    );
  });

  it("should let a read-only app list methods but not fetch creationOptions or delete", async () => {
    const token = (
      await secretCredential(emu, apps.readOnly.secret, apps.readOnly.clientId).getToken(graphScope)
    ).token;
    expect((await raw.call("GET", `${adaPath}/authentication/fido2Methods`, { token })).status).toBe(200);
    expectGraphError(
      await raw.call("GET", `${adaPath}/authentication/fido2Methods/creationOptions`, { token }),
      403,
      "accessDenied",
    );
    expectGraphError(
      await raw.call("DELETE", `${adaPath}/authentication/fido2Methods/abc0`, { token }),
      403,
      "accessDenied",
    );
    expectGraphError(
      await raw.call(
        "PATCH",
        "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
        { token, body: { state: "disabled" } },
      ),
      403,
      "Authorization_RequestDenied",
    );
  });

  it("should surface a 403 as a GraphError with statusCode and code through the real client", async () => {
    const g = graphClient(emu, secretCredential(emu, apps.noPermissions.secret, apps.noPermissions.clientId));
    try {
      const err = await g.client
        .api(adaPath.replace("/v1.0", ""))
        .get()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphError);
      expect((err as GraphError).statusCode).toBe(403);
      expect((err as GraphError).code).toBe("Authorization_RequestDenied");
    } finally {
      await g.close();
    }
  });
});

describe("delegated operators and directory roles", () => {
  async function operatorToken(upn: string): Promise<string> {
    await emu.admin.setSignInOperator(upn);
    try {
      return (await deviceCodeCredential(emu).getToken(graphScope)).token;
    } finally {
      await emu.admin.setSignInOperator(null);
    }
  }

  it("should let an Authentication Administrator manage a regular user but not a privileged one", async () => {
    const token = await operatorToken(people.mira);
    expect(
      (await raw.call("GET", `${adaPath}/authentication/fido2Methods/creationOptions`, { token })).status,
    ).toBe(200);
    const grace = `/v1.0/users/${encodeURIComponent(people.grace)}/authentication/fido2Methods`;
    expectGraphError(await raw.call("GET", `${grace}/creationOptions`, { token }), 403, "accessDenied");
    expectGraphError(await raw.call("DELETE", `${grace}/abc0`, { token }), 403, "accessDenied");
    // Reading a privileged user's methods is allowed.
    expect((await raw.call("GET", grace, { token })).status).toBe(200);
    // The policy needs an Authentication Policy Administrator.
    expectGraphError(
      await raw.call(
        "PATCH",
        "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
        { token, body: { state: "disabled" } },
      ),
      403,
      "Authorization_RequestDenied",
    );
  });

  it("should let a Privileged Authentication Administrator manage a privileged user", async () => {
    const token = await operatorToken(people.sam);
    const grace = `/v1.0/users/${encodeURIComponent(people.grace)}/authentication/fido2Methods`;
    expect((await raw.call("GET", `${grace}/creationOptions`, { token })).status).toBe(200);
  });

  it("should answer 405 methodNotAllowed for creationOptions on the operator's own account", async () => {
    const token = await operatorToken(people.mira);
    const r = await raw.call("GET", "/beta/me/authentication/fido2Methods/creationOptions", { token });
    const { message } = expectGraphError(r, 405, "methodNotAllowed");
    expect(message).toBe("The method is not supported for this URL.");
    expect((await raw.call("GET", "/v1.0/me/authentication/fido2Methods", { token })).status).toBe(200);
  });

  it("should refuse /me for an app token", async () => {
    expectGraphError(await raw.call("GET", "/v1.0/me", { token: appToken }), 400, "BadRequest");
  });
});

describe("unknown routes", () => {
  it("should answer 400 for an unknown segment and 405 for a wrong method", async () => {
    expectGraphError(await raw.call("GET", "/v1.0/widgets", { token: appToken }), 400, "BadRequest");
    expectGraphError(
      await raw.call("PUT", adaPath, { token: appToken, body: {} }),
      405,
      "Request_BadRequest",
    );
  });
});
