// Contract: the admin routes that change the tenant while the emulator runs (rename, disable, delete,
// group membership, a passkey deleted or self-registered behind Keyfleet's back), seen through the real
// Graph client, in $batch, and by a second emulator sharing the state file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorAdminError, type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { expectGraphError, groups, people, rawClient } from "./support/fixture.js";
import { graphClient, graphScope, secretCredential } from "./support/graphClients.js";

let dir: string;
let emu: RunningEmulator;
let twin: RunningEmulator;
let graph: ReturnType<typeof graphClient>;
let twinGraph: ReturnType<typeof graphClient>;
let raw: ReturnType<typeof rawClient>;
let token: string;

const yubikey = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kf-emu-admin-"));
  const shared = { dataDir: join(dir, "data"), stateFile: join(dir, "state.json") };
  emu = await startEmulator(shared);
  twin = await startEmulator(shared);
  graph = graphClient(emu, secretCredential(emu));
  twinGraph = graphClient(twin, secretCredential(twin));
  raw = rawClient(emu);
  token = (await secretCredential(emu).getToken(graphScope)).token;
});
afterAll(async () => {
  await graph?.close();
  await twinGraph?.close();
  await raw?.close();
  await emu?.stop();
  await twin?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const user = (g: ReturnType<typeof graphClient>, ref: string, select?: string) =>
  g.client.api(`/users/${encodeURIComponent(ref)}${select ? `?$select=${select}` : ""}`).get();

async function transitiveIds(g: ReturnType<typeof graphClient>, groupId: string): Promise<string[]> {
  const page = await g.client.api(`/groups/${groupId}/transitiveMembers?$select=id&$top=999`).get();
  return page.value.map((m: { id: string }) => m.id);
}

describe("users changed while running", () => {
  it("should rename a user keeping the object id, freeing the old name, in every process", async () => {
    const before = await user(graph, people.sam);
    const renamed = await emu.admin.renameUser(people.sam, "sam.okafor-renamed@northwindforge.example");
    expect(renamed).toEqual({
      id: before.id,
      userPrincipalName: "sam.okafor-renamed@northwindforge.example",
      accountEnabled: true,
    });
    expect((await user(twinGraph, before.id)).userPrincipalName).toBe(
      "sam.okafor-renamed@northwindforge.example",
    );
    expect((await user(graph, "sam.okafor-renamed@northwindforge.example")).id).toBe(before.id);
    expectGraphError(
      await raw.call("GET", `/v1.0/users/${encodeURIComponent(people.sam)}`, { token }),
      404,
      "Request_ResourceNotFound",
    );
    await expect(
      emu.admin.renameUser(people.ada, "sam.okafor-renamed@northwindforge.example"),
    ).rejects.toThrow(/409/);
    await expect(emu.admin.renameUser(people.ada, "not-a-upn")).rejects.toThrow(/400/);
  });

  it("should show accountEnabled when $select asks for it, and follow disable and enable", async () => {
    expect(await user(graph, people.mira, "id,accountEnabled")).toMatchObject({ accountEnabled: true });
    expect(Object.keys(await user(graph, people.mira))).not.toContain("accountEnabled");
    await twin.admin.disableUser(people.mira);
    expect(await user(graph, people.mira, "id,accountEnabled")).toMatchObject({ accountEnabled: false });
    const listed = await graph.client
      .api(
        `/users?$filter=${encodeURIComponent(`userPrincipalName eq '${people.mira}'`)}&$select=id,accountEnabled`,
      )
      .get();
    expect(listed.value).toEqual([expect.objectContaining({ accountEnabled: false })]);
    await emu.admin.enableUser(people.mira);
    expect(await user(twinGraph, people.mira, "accountEnabled")).toMatchObject({ accountEnabled: true });
  });

  it("should delete a user: 404 by id and UPN, gone from listings, groups and $batch reads", async () => {
    const ben = await user(graph, people.ben);
    expect(await transitiveIds(graph, groups.allStaff)).toContain(ben.id);
    await emu.admin.deleteUser(people.ben);
    for (const ref of [ben.id, people.ben]) {
      expectGraphError(
        await raw.call("GET", `/v1.0/users/${encodeURIComponent(ref)}`, { token }),
        404,
        "Request_ResourceNotFound",
      );
    }
    const all = await graph.client.api("/users?$top=999&$select=id").get();
    expect(all.value.map((u: { id: string }) => u.id)).not.toContain(ben.id);
    expect(await transitiveIds(twinGraph, groups.allStaff)).not.toContain(ben.id);
    const direct = await graph.client.api(`/groups/${groups.engineering}/members?$select=id`).get();
    expect(direct.value.map((m: { id: string }) => m.id)).not.toContain(ben.id);
    const batch = await graph.client.api("/$batch").post({
      requests: [
        { id: "1", method: "GET", url: `/users/${ben.id}?$select=id,accountEnabled` },
        { id: "2", method: "GET", url: `/users/${ben.id}/authentication/fido2Methods` },
        { id: "3", method: "GET", url: `/users/${encodeURIComponent(people.ada)}?$select=id` },
      ],
    });
    const status = Object.fromEntries(
      batch.responses.map((r: { id: string; status: number }) => [r.id, r.status]),
    );
    expect(status).toEqual({ "1": 404, "2": 404, "3": 200 });
    const item = batch.responses.find((r: { id: string }) => r.id === "1");
    expect(item.body.error.code).toBe("Request_ResourceNotFound");
    await expect(emu.admin.deleteUser(people.ben)).rejects.toSatisfy(
      (e: unknown) => EmulatorAdminError.isInstance(e) && e.status === 404,
    );
  });
});

describe("group membership changed while running", () => {
  it("should add and remove members, nested listings following", async () => {
    const grace = await user(graph, people.grace);
    expect(await transitiveIds(graph, groups.allStaff)).not.toContain(grace.id);
    const members = await emu.admin.addGroupMembers(groups.engineering, [people.grace]);
    expect(members).toContain(grace.id);
    expect(await transitiveIds(twinGraph, groups.allStaff)).toContain(grace.id);
    expect(await transitiveIds(graph, groups.engineering)).toContain(grace.id);
    await twin.admin.removeGroupMember(groups.engineering, grace.id);
    expect(await transitiveIds(graph, groups.allStaff)).not.toContain(grace.id);
    await expect(
      emu.admin.addGroupMembers(groups.engineering, ["nobody@northwindforge.example"]),
    ).rejects.toThrow(/404/);
    await expect(emu.admin.removeGroupMember(groups.engineering, grace.id)).rejects.toThrow(/404/);
  });
});

describe("passkeys changed behind Keyfleet's back", () => {
  it("should add a self-registered passkey with the chosen facts, and Graph should show them", async () => {
    const stored = await emu.admin.addSelfRegisteredPasskey(people.jonas, {
      aaGuid: yubikey,
      displayName: "Jonas phone",
      createdDateTime: "2026-03-04T05:06:07Z",
      passkeyType: "synced",
      attestationLevel: "notAttested",
    });
    const attested = await emu.admin.addSelfRegisteredPasskey(people.jonas, {
      aaGuid: "11111111-2222-4333-8444-555555555555",
      model: "Acme Key",
      displayName: "desk key",
      attestationLevel: "attested",
    });
    const list = await twinGraph.client
      .api(`/users/${encodeURIComponent(people.jonas)}/authentication/fido2Methods`)
      .get();
    const byId = new Map(list.value.map((m: { id: string }) => [m.id, m]));
    expect(byId.get(stored.id)).toEqual({
      "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
      id: stored.id,
      displayName: "Jonas phone",
      createdDateTime: "2026-03-04T05:06:07Z",
      aaGuid: yubikey,
      model: "YubiKey 5 Series",
      attestationCertificates: [],
      attestationLevel: "notAttested",
      passkeyType: "synced",
    });
    expect(byId.get(attested.id)).toMatchObject({
      model: "Acme Key",
      attestationLevel: "attested",
      passkeyType: "deviceBound",
    });
    await expect(
      emu.admin.addSelfRegisteredPasskey(people.jonas, {
        aaGuid: yubikey,
        displayName: "x",
        passkeyType: "cloud" as never,
      }),
    ).rejects.toThrow(/passkeyType/);
  });

  it("should delete a passkey so that Graph no longer lists it, and say 404 for an unknown one", async () => {
    const added = await twin.admin.addSelfRegisteredPasskey(people.grace, {
      aaGuid: yubikey,
      displayName: "k",
    });
    await emu.admin.deleteMethod(people.grace, added.id);
    const list = await graph.client
      .api(`/users/${encodeURIComponent(people.grace)}/authentication/fido2Methods`)
      .get();
    expect(list.value.map((m: { id: string }) => m.id)).not.toContain(added.id);
    await expect(emu.admin.deleteMethod(people.grace, added.id)).rejects.toThrow(/404/);
  });

  it("should refuse admin changes without the admin secret", async () => {
    const res = await raw.call("DELETE", `/_emulator/users/${encodeURIComponent(people.ada)}`);
    expect(res.status).toBe(401);
    expect((await user(graph, people.ada)).userPrincipalName).toBe(people.ada);
  });
});
