// Sign-in failures a newcomer meets, against the real emulator through @azure/identity and the Graph client:
// each names its real cause (closed port, untrusted CA, unknown tenant) instead of identity's opaque
// "endpoints_resolution_error"; a dropped or refused-for-now token request is retried like a Graph read.
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCredential, EntraClient, EntraError } from "../../core/entra/index.js";
import type { RetryEvent } from "../../core/entra/retry.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

let t: TestTenant;
let stranger: RunningEmulator;
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

beforeAll(async () => {
  t = await startTestTenant();
  // Another emulator: its own CA, which did not sign t's server certificate.
  stranger = await startEmulator();
});
afterAll(async () => {
  await t?.stop();
  await stranger?.stop();
});
afterEach(async () => {
  await t.emu.admin.clearFaults();
  await t.emu.admin.clearRequests();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failRead(entra: EntraClient): Promise<EntraError> {
  try {
    await entra.get("/users?$top=1");
  } catch (err) {
    if (EntraError.isInstance(err)) return err;
    throw err;
  } finally {
    await entra.close();
  }
  throw new Error("the read succeeded");
}

describe("sign-in failures name their cause", () => {
  it("should name a refused connection with host and port, at once", async () => {
    const port = await closedPort();
    const url = `https://127.0.0.1:${port}`;
    const events: RetryEvent[] = [];
    const err = await failRead(
      new EntraClient(t.config({ authorityHost: url, graphUrl: url }), {
        credentialHooks: { retry: fast, onRetry: (e) => events.push(e) },
      }),
    );
    expect(err.kind).toBe("Auth");
    expect(err.transport).toBe("ECONNREFUSED");
    expect(err.message).toContain(`connection refused by 127.0.0.1:${port}`);
    expect(err.message).toContain("AZURE_AUTHORITY_HOST (keyfleet:entraAuthorityHost)");
    expect(err.message).not.toContain("endpoints_resolution_error");
    expect(events).toHaveLength(0);
  });

  it("should name an untrusted certificate and the CA file that was configured", async () => {
    const err = await failRead(
      new EntraClient(t.config({ caCertPem: undefined, caCertPath: stranger.caCertPath })),
    );
    expect(err.kind).toBe("Auth");
    expect(err.message).toContain(`the TLS certificate of ${t.emu.url} is not trusted`);
    expect(err.message).toContain(`the CA file ${stranger.caCertPath}, configured in KEYFLEET_ENTRA_CA_FILE`);
    expect(err.message).toContain("keyfleet emulator");
    expect(err.transport).toMatch(/LEAF_SIGNATURE|CERT/);
    expect(err.message).not.toContain("endpoints_resolution_error");
  });

  it("should say that no CA file is configured when the system's CAs were used", async () => {
    const err = await failRead(new EntraClient(t.config({ caCertPem: undefined })));
    expect(err.message).toContain(
      "no CA file is configured in KEYFLEET_ENTRA_CA_FILE (keyfleet:entraCaFile)",
    );
    expect(err.message).toContain("the emulator's CA");
  });

  it("should name an unknown tenant, with Entra's code and trace id", async () => {
    const tenant = "5a5a5a5a-1111-4222-8333-944444444444";
    const err = await failRead(new EntraClient(t.config({ tenantId: tenant })));
    expect(err.kind).toBe("Auth");
    expect(err.message).toContain(`does not know tenant '${tenant}'`);
    expect(err.message).toContain("AZURE_TENANT_ID (keyfleet:entraTenantId)");
    expect(err.code).toBe("AADSTS90002");
    expect(err.status).toBe(400);
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.message).not.toContain("Trace ID");
  });

  it("should name a wrong secret as Entra's refusal without showing any secret", async () => {
    const wrong = "wrong-secret-value-123";
    const err = await failRead(new EntraClient(t.config({ clientSecret: wrong })));
    expect(err.kind).toBe("Auth");
    expect(err.code).toBe("AADSTS7000215");
    expect(err.message).toContain("sign-in refused: AADSTS7000215");
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(t.emu.clientSecret);
  });
});

describe("sign-in survives what a Graph read survives", () => {
  it("should retry one dropped connection on the token endpoint and go on", async () => {
    await t.emu.admin.setFaults([{ kind: "drop", route: "/oauth2/v2\\.0/token$", times: 1 }]);
    const events: RetryEvent[] = [];
    const entra = new EntraClient(t.config(), {
      credentialHooks: { retry: fast, onRetry: (e) => events.push(e) },
    });
    const page = await entra.get<{ value: unknown[] }>("/users?$top=1");
    await entra.close();
    expect(page.value).toHaveLength(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.error.kind).toBe("Unavailable");
    expect(events[0]?.error.message).toContain("dropped");
    const tokenPosts = (await t.emu.admin.requests()).filter((r) => r.path.endsWith("/oauth2/v2.0/token"));
    expect(tokenPosts.map((r) => r.fault ?? "none")).toEqual(["drop", "none"]);
  });

  it("should retry 503s on the token endpoint on a fresh client (MSAL would refuse locally for 60 s)", async () => {
    await t.emu.admin.setFaults([{ kind: "503", route: "/oauth2/v2\\.0/token$", times: 2 }]);
    const credential = createCredential(t.config(), { retry: fast });
    const token = await credential.getToken("https://graph.microsoft.com/.default");
    expect(token?.token.split(".")).toHaveLength(3);
  });

  it("should give up within the policy's attempts with a sign-in error nobody retries again", async () => {
    await t.emu.admin.setFaults([{ kind: "drop", route: "/oauth2/v2\\.0/token$" }]);
    const events: RetryEvent[] = [];
    const err = await failRead(
      new EntraClient(t.config({ maxAttempts: "3" }), {
        retry: fast,
        credentialHooks: { retry: fast, onRetry: (e) => events.push(e) },
      }),
    );
    expect(err.kind).toBe("Auth");
    expect(err.message).toContain("gave up after 3 attempt(s)");
    expect(err.transport).toBe("PARSE_ERROR");
    expect(events).toHaveLength(2);
    const tokenPosts = (await t.emu.admin.requests()).filter((r) => r.path.endsWith("/oauth2/v2.0/token"));
    expect(tokenPosts).toHaveLength(3);
  });
});
