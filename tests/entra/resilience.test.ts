// Bulk reads (paging, $batch of 20), every retry path under the emulator's injected faults, and typed
// errors; real HTTPS, real credential, real Graph client.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EntraClient,
  EntraError,
  listFido2MethodsBulk,
  listGroupUsers,
  readActualState,
  resolveUsers,
} from "../../core/entra/index.js";
import type { RetryEvent } from "../../core/entra/retry.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

let t: TestTenant;
let allStaffId = "";
const fast = { baseDelayMs: 10, maxDelayMs: 100 };

beforeAll(async () => {
  t = await startTestTenant(undefined, 250);
  const entra = new EntraClient(t.config());
  for await (const page of entra.pages<{ id: string; displayName: string }>("/groups?$top=999")) {
    allStaffId = page.find((g) => g.displayName === "Synthetic All Staff")?.id ?? allStaffId;
  }
  await entra.close();
});
afterAll(async () => {
  await t?.stop();
});
afterEach(async () => {
  await t.emu.admin.clearFaults();
});

function client(events: RetryEvent[] = []): EntraClient {
  return new EntraClient(t.config(), { retry: fast, onRetry: (e) => events.push(e) });
}

describe("bulk reads", () => {
  it("should follow @odata.nextLink through every page of a nested group's members", async () => {
    const entra = client();
    const users = await listGroupUsers(entra, allStaffId);
    await entra.close();
    expect(users).toHaveLength(250);
    expect(new Set(users.map((u) => u.id)).size).toBe(250);
  });

  it("should read everyone's FIDO2 methods in $batch requests of 20", async () => {
    const entra = client();
    const users = await listGroupUsers(entra, allStaffId);
    const before = entra.stats.requests;
    const methods = await listFido2MethodsBulk(
      entra,
      users.map((u) => u.id),
    );
    await entra.close();
    expect(methods.size).toBe(250);
    expect(entra.stats.requests - before).toBe(Math.ceil(250 / 20));
  });

  it("should resolve people by UPN and by id, listing the unknown ones apart", async () => {
    const entra = client();
    const result = await resolveUsers(entra, [
      "ada.lindqvist@northwindforge.example",
      "04a0bd23-7b75-581c-96d7-6d8a3642ac20",
      "nobody@northwindforge.example",
    ]);
    await entra.close();
    expect([...result.found.values()].map((u) => u.userPrincipalName).sort()).toEqual([
      "ada.lindqvist@northwindforge.example",
      "ben.adeyemi@northwindforge.example",
    ]);
    expect(result.missing).toEqual(["nobody@northwindforge.example"]);
  });

  it("should produce the plan's actual state for the spec's people and groups", async () => {
    const entra = client();
    const { actual, unresolved } = await readActualState(entra, {
      people: [
        { userPrincipalName: "jonas.berg@northwindforge.example", objectId: undefined } as never,
        { userPrincipalName: "ghost@northwindforge.example", objectId: undefined } as never,
      ],
      groups: [
        { group: { displayName: "Finance" } } as never,
        { group: { objectId: "ea721d0a-bf67-5aae-bc84-6a2be743ccfd" } } as never,
      ],
    });
    await entra.close();
    expect(unresolved).toEqual(["ghost@northwindforge.example"]);
    // Sorted by object id: Finance (6e83…) before Engineering (ea72…).
    expect(actual.groups.map((g) => [g.displayName, g.members.length])).toEqual([
      ["Finance", 2],
      ["Engineering", 3],
    ]);
    expect(actual.people).toHaveLength(6);
    expect(actual.people.every((p) => Array.isArray(p.fido2Methods))).toBe(true);
  });
});

describe("retries under injected faults", () => {
  it("should wait Graph's Retry-After on a 429 and then succeed", async () => {
    await t.emu.admin.setFaults([
      { kind: "429", route: "/v1.0/groups/", method: "GET", times: 1, retryAfterSeconds: 1 },
    ]);
    const events: RetryEvent[] = [];
    const entra = client(events);
    const users = await listGroupUsers(entra, allStaffId);
    await entra.close();
    expect(users).toHaveLength(250);
    expect(events.map((e) => [e.error.kind, e.error.status, e.delayMs])).toEqual([["Throttled", 429, 1000]]);
  });

  it("should back off and retry on 503", async () => {
    await t.emu.admin.setFaults([
      { kind: "503", route: "/v1.0/users/", method: "GET", times: 2, retryAfterSeconds: 0 },
    ]);
    const events: RetryEvent[] = [];
    const entra = client(events);
    const user = await entra.get<{ id: string }>("/users/ada.lindqvist@northwindforge.example");
    await entra.close();
    expect(user.id).toBe("9a0d258a-5fee-579a-93d8-9362d5365d67");
    expect(events.map((e) => e.error.status)).toEqual([503, 503]);
  });

  it("should retry a read whose connection was dropped", async () => {
    await t.emu.admin.setFaults([{ kind: "drop", route: "/v1.0/users/", method: "GET", times: 1 }]);
    const events: RetryEvent[] = [];
    const entra = client(events);
    const user = await entra.get<{ id: string }>("/users/ada.lindqvist@northwindforge.example");
    await entra.close();
    expect(user.id).toBe("9a0d258a-5fee-579a-93d8-9362d5365d67");
    expect(events).toHaveLength(1);
    expect(events[0]?.error.kind).toBe("Unavailable");
    expect(events[0]?.error.transport).toMatch(/^E|^UND/);
  });

  it("should resend only the throttled items of a $batch", async () => {
    await t.emu.admin.setFaults([
      {
        kind: "429",
        route: "/v1.0/users/[^/]+/authentication/fido2Methods$",
        method: "GET",
        times: 7,
        retryAfterSeconds: 0,
      },
    ]);
    const entra = client();
    const users = await listGroupUsers(entra, allStaffId);
    const before = entra.stats.requests;
    const methods = await listFido2MethodsBulk(
      entra,
      users.slice(0, 40).map((u) => u.id),
    );
    await entra.close();
    expect(methods.size).toBe(40);
    expect(entra.stats.throttled).toBe(7);
    // Two full batches, then the seven throttled items resent (in one or two batches, by chunk).
    expect(entra.stats.requests - before).toBeGreaterThanOrEqual(3);
    expect(entra.stats.requests - before).toBeLessThanOrEqual(4);
  });

  it("should give up at the attempt limit with a typed error carrying code, status and request id", async () => {
    await t.emu.admin.setFaults([
      { kind: "503", route: "/v1.0/users/", method: "GET", retryAfterSeconds: 0 },
    ]);
    const entra = new EntraClient(t.config({ maxAttempts: 3 }), { retry: fast });
    const err = await entra.get("/users/ada.lindqvist@northwindforge.example").catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(err)).toBe(true);
    if (!EntraError.isInstance(err)) return;
    expect(err).toMatchObject({ kind: "Unavailable", status: 503, attempts: 3 });
    expect(err.code).toBeTruthy();
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("typed errors", () => {
  it("should report a missing group as NotFound, never as a group without members", async () => {
    const entra = client();
    const err = await listGroupUsers(entra, "00000000-0000-0000-0000-00000000dead").catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(err)).toBe(true);
    if (!EntraError.isInstance(err)) return;
    expect(err.kind).toBe("NotFound");
    expect(err.status).toBe(404);
    expect(err.code).toBeTruthy();
    expect(err.requestId).toBeTruthy();
    expect(err.date).toBeTruthy();
    expect(err.message).toContain("/groups/00000000-0000-0000-0000-00000000dead");
  });
});
