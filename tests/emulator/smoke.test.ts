// First contract: a real credential and Graph client read users and register a packed key end to end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { graphClient, secretCredential } from "./support/graphClients.js";
import {
  type CreationOptionsJson,
  createAttestationChain,
  makeRegistration,
} from "./support/softAuthenticator.js";

const ada = "ada.lindqvist@northwindforge.example";
let emu: RunningEmulator;
let graph: ReturnType<typeof graphClient>;

beforeAll(async () => {
  emu = await startEmulator();
  graph = graphClient(emu, secretCredential(emu));
});
afterAll(async () => {
  await graph?.close();
  await emu?.stop();
});

describe("emulator smoke", () => {
  it("should register a packed key with a trusted chain through the real Graph client", async () => {
    const chain = await createAttestationChain();
    await emu.addTrustedRoot(chain.rootPem);
    const user = await graph.client.api(`/users/${encodeURIComponent(ada)}`).get();
    expect(user.userPrincipalName).toBe(ada);
    const options = await graph.client
      .api(`/users/${user.id}/authentication/fido2Methods/creationOptions`)
      .get();
    const reg = makeRegistration(options.publicKey as CreationOptionsJson, {
      attestation: "packed-chain",
      chain,
      aaguid: "2fc0579f-8113-47ea-b116-555a8db9202a",
    });
    const created = await graph.client.api(`/users/${user.id}/authentication/fido2Methods`).post(reg.body);
    expect(created.id).toBe(reg.expectedMethodId);
    expect(created.attestationLevel).toBe("attested");
    expect(created.model).toBe("YubiKey 5 Series with NFC");
  });
});
