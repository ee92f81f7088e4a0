// Contract: FIDO2 policy GET/PATCH/DELETE, JSON $batch (≤ 20, per-item statuses, dependsOn → 424,
// per-item 429 with its own Retry-After), per-app throttling, and fault injection (429, 503, latency,
// dropped connections) that repeats with the same seed; the admin routes need their secret.
import type { GraphError } from "@microsoft/microsoft-graph-client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { expectGraphError, people, rawClient } from "./support/fixture.js";
import { graphClient, graphScope, secretCredential } from "./support/graphClients.js";
import { type CreationOptionsJson, makeRegistration } from "./support/softAuthenticator.js";

const policyPath = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";
let emu: RunningEmulator;
let graph: ReturnType<typeof graphClient>;
let raw: ReturnType<typeof rawClient>;
let token: string;

beforeAll(async () => {
  emu = await startEmulator();
  graph = graphClient(emu, secretCredential(emu));
  raw = rawClient(emu);
  token = (await secretCredential(emu).getToken(graphScope)).token;
});
afterAll(async () => {
  await graph?.close();
  await raw?.close();
  await emu?.stop();
});
beforeEach(async () => {
  await emu.admin.clearFaults();
  await emu.admin.setThrottle({ requestsPerWindow: 130_000, windowSeconds: 10 });
  await emu.admin.clearRequests();
});

interface BatchResponse {
  responses: {
    id: string;
    status: number;
    headers: Record<string, string>;
    body?: Record<string, unknown>;
  }[];
}

describe("FIDO2 policy", () => {
  it("should GET the documented shape, PATCH with 204, refuse a bad PATCH and DELETE back to the default", async () => {
    const p = await graph.client.api(policyPath).get();
    expect(p["@odata.type"]).toBe("#microsoft.graph.fido2AuthenticationMethodConfiguration");
    expect(p).toMatchObject({ id: "Fido2", state: "enabled", isSelfServiceRegistrationAllowed: true });
    const patched = await raw.call("PATCH", `/v1.0${policyPath}`, {
      token,
      body: { isAttestationEnforced: true },
    });
    expect(patched.status).toBe(204);
    expect(
      (
        await graph.client
          .api("/policies/authenticationMethodsPolicy/authenticationMethodConfigurations('Fido2')")
          .get()
      ).isAttestationEnforced,
    ).toBe(true);
    expectGraphError(
      await raw.call("PATCH", `/v1.0${policyPath}`, { token, body: { state: "maybe" } }),
      400,
      "BadRequest",
    );
    expectGraphError(
      await raw.call("PATCH", `/v1.0${policyPath}`, { token, body: { colour: "red" } }),
      400,
      "BadRequest",
    );
    expect((await raw.call("DELETE", `/v1.0${policyPath}`, { token })).status).toBe(204);
    expect((await graph.client.api(policyPath).get()).isAttestationEnforced).toBe(false);
  });
});

describe("$batch", () => {
  it("should answer up to 20 requests with per-item statuses through the real client", async () => {
    const requests = Array.from({ length: 20 }, (_, i) => ({
      id: String(i + 1),
      method: "GET",
      url:
        i === 19
          ? "/users/nobody@northwindforge.example"
          : `/users/${encodeURIComponent(people.ada)}/authentication/fido2Methods`,
    }));
    const r: BatchResponse = await graph.client.api("/$batch").post({ requests });
    expect(r.responses).toHaveLength(20);
    expect(r.responses.filter((x) => x.status === 200)).toHaveLength(19);
    const missing = r.responses.find((x) => x.id === "20");
    expect(missing?.status).toBe(404);
    expect((missing?.body as { error?: { code: string } } | undefined)?.error?.code).toBe(
      "Request_ResourceNotFound",
    );
  });

  it("should refuse 21 requests, duplicate ids and a body without Content-Type with 400", async () => {
    const item = (id: string) => ({ id, method: "GET", url: "/users" });
    expectGraphError(
      await raw.call("POST", "/v1.0/$batch", {
        token,
        body: { requests: Array.from({ length: 21 }, (_, i) => item(String(i))) },
      }),
      400,
      "BadRequest",
    );
    expectGraphError(
      await raw.call("POST", "/v1.0/$batch", { token, body: { requests: [item("a"), item("a")] } }),
      400,
      "BadRequest",
    );
    expectGraphError(
      await raw.call("POST", "/v1.0/$batch", {
        token,
        body: { requests: [{ id: "1", method: "PATCH", url: policyPath, body: {} }] },
      }),
      400,
      "BadRequest",
    );
    expectGraphError(
      await raw.call("POST", "/v1.0/$batch", { token, body: { nope: true } }),
      400,
      "BadRequest",
    );
  });

  it("should give 424 to a request whose dependency failed, and run POSTs inside a batch", async () => {
    const opts = (
      await graph.client
        .api(`/users/${encodeURIComponent(people.ben)}/authentication/fido2Methods/creationOptions`)
        .get()
    ).publicKey as CreationOptionsJson;
    const reg = makeRegistration(opts, { attestation: "none" });
    const r = (
      await raw.call("POST", "/v1.0/$batch", {
        token,
        body: {
          requests: [
            { id: "1", method: "GET", url: "/users/nobody@northwindforge.example" },
            { id: "2", method: "GET", url: "/users", dependsOn: ["1"] },
            {
              id: "3",
              method: "POST",
              url: `/users/${people.ben}/authentication/fido2Methods`,
              headers: { "Content-Type": "application/json" },
              body: reg.body,
            },
          ],
        },
      })
    ).body as BatchResponse;
    expect(r.responses.map((x) => x.status)).toEqual([404, 424, 201]);
    expect(r.responses[2]?.body?.id).toBe(reg.expectedMethodId);
  });

  it("should throttle items individually with a 429 and Retry-After inside the item", async () => {
    await emu.admin.setThrottle({ requestsPerWindow: 5, windowSeconds: 30 });
    const requests = Array.from({ length: 8 }, (_, i) => ({
      id: String(i),
      method: "GET",
      url: "/users?$top=1",
    }));
    const r = (await raw.call("POST", "/v1.0/$batch", { token, body: { requests } })).body as BatchResponse;
    expect(r.responses.filter((x) => x.status === 200)).toHaveLength(5);
    const throttled = r.responses.filter((x) => x.status === 429);
    expect(throttled).toHaveLength(3);
    expect(Number(throttled[0]?.headers["Retry-After"])).toBeGreaterThan(0);
    expect((throttled[0]?.body as { error?: { code: string } } | undefined)?.error?.code).toBe(
      "TooManyRequests",
    );
  });
});

describe("throttling", () => {
  it("should answer 429 TooManyRequests with Retry-After and the throttle headers when an app's budget is spent", async () => {
    await emu.admin.setThrottle({ requestsPerWindow: 3, windowSeconds: 30 });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof raw.call>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await raw.call("GET", "/v1.0/users?$top=1", { token });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    if (!last) throw new Error("no response");
    const body = last.body as {
      error: { code: string; message: string; innerError: Record<string, string> };
    };
    expect(body.error).toMatchObject({ code: "TooManyRequests", message: "Please retry again later." });
    expect(body.error.innerError).toMatchObject({
      code: "429",
      status: "429",
      message: "Please retry after",
    });
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(last.headers.get("x-ms-throttle-scope")).toContain(`${emu.clientId}/${emu.tenantId}`);
    expect(last.headers.get("x-ms-throttle-information")).toBe("ResourceUnitLimitExceeded");
  });
});

describe("fault injection", () => {
  it("should inject 429 with Retry-After that the real client retries, visible in the request log", async () => {
    await emu.admin.setFaults([{ kind: "429", route: "^/v1\\.0/users$", times: 2, retryAfterSeconds: 1 }]);
    const r = await graph.client.api("/users").top(1).get();
    expect(r.value).toHaveLength(1);
    const log = (await emu.admin.requests()).filter((x) => x.path === "/v1.0/users");
    expect(log.map((x) => x.status)).toEqual([429, 429, 200]);
    expect(log.map((x) => x.retryAttempt ?? 0)).toEqual([0, 1, 2]);
  });

  it("should inject 503 until the client gives up, and latency that still answers", async () => {
    await emu.admin.setFaults([{ kind: "503", route: "/groups$", retryAfterSeconds: 1 }]);
    const err = await graph.client
      .api("/groups")
      .get()
      .catch((e: unknown) => e);
    expect((err as GraphError).statusCode).toBe(503);
    await emu.admin.setFaults([{ kind: "latency", route: "/groups$", latencyMs: 300 }]);
    expect((await raw.call("GET", "/v1.0/groups", { token })).status).toBe(200);
    expect((await emu.admin.requests()).some((x) => x.fault === "latency")).toBe(true);
  });

  it("should drop the connection mid-response after the work is done, so a POST registers but the client sees an error", async () => {
    const opts = (
      await graph.client
        .api(`/users/${encodeURIComponent(people.jonas)}/authentication/fido2Methods/creationOptions`)
        .get()
    ).publicKey as CreationOptionsJson;
    const reg = makeRegistration(opts, { attestation: "none" });
    await emu.admin.setFaults([{ kind: "drop", method: "POST", route: "/fido2Methods$", times: 1 }]);
    const err = await raw
      .call("POST", `/v1.0/users/${encodeURIComponent(people.jonas)}/authentication/fido2Methods`, {
        token,
        body: reg.body,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const stored = await emu.admin.storedMethods(people.jonas);
    expect(stored.map((m) => m.id)).toContain(reg.expectedMethodId);
  });

  it("should repeat the same fault pattern for the same seed and differ for another", async () => {
    const pattern = async (seed: number) => {
      await emu.admin.setFaults([{ kind: "503", route: "^/v1\\.0/users$", rate: 0.5 }], seed);
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await raw.call("GET", "/v1.0/users?$top=1", { token })).status);
      return out.join(",");
    };
    const a = await pattern(42);
    expect(await pattern(42)).toBe(a);
    expect(a).toContain("503");
    expect(a).toContain("200");
    expect(await pattern(7)).not.toBe(a);
  });

  it("should refuse bad rules and admin calls without the admin secret", async () => {
    await expect(emu.admin.setFaults([{ kind: "500" as "503" }])).rejects.toThrow(/kind/);
    const r = await raw.call("GET", "/_emulator/state");
    expect(r.status).toBe(401);
    const wrong = await raw.call("GET", "/_emulator/state", {
      headers: { "x-emulator-admin-secret": "guess" },
    });
    expect(wrong.status).toBe(401);
  });
});
