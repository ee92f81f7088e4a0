// Credential management and authenticatorConfig through Keyfleet's client, against the virtual key in
// process: enumerate relying parties and credentials after an Entra-shaped registration, delete one,
// then setMinPINLength with forceChangePin and the PIN change it forces.
import { beforeAll, describe, expect, it } from "vitest";
import { ClientPin, Permission } from "../../station/ctap2/clientPin.js";
import { setMinPinLength } from "../../station/ctap2/config.js";
import { CredentialManagement } from "../../station/ctap2/credentialManagement.js";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { CtapError } from "../../station/ctap2/errors.js";
import { type AuthenticatorInfo, features, getInfo } from "../../station/ctap2/getInfo.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { openVirtualConnection } from "../../station/virtual/connection.js";
import { VirtualKey } from "../../station/virtual/virtualKey.js";
import { registerCredential } from "../../station/webauthn/registration.js";
import { entraCreationOptions } from "./entraFixture.js";

const PIN = Buffer.from("424242");

describe("credential management and config against the virtual key", () => {
  let ctap: Ctap2;
  let info: AuthenticatorInfo;
  let credentialId: Uint8Array;

  beforeAll(async () => {
    const key = await VirtualKey.create();
    ctap = new Ctap2(await CtapHidDevice.open(openVirtualConnection(key)));
    info = await getInfo(ctap);
    await new ClientPin(ctap, info).setPin(PIN);
    info = await getInfo(ctap);
    const outcome = await registerCredential({
      ctap,
      creationOptions: entraCreationOptions(),
      pin: PIN,
      displayName: "key",
    });
    credentialId = outcome.credentialId;
  });

  async function credMgmt(): Promise<CredentialManagement> {
    const command = features.credentialManagementCommand(info);
    expect(command).toBe(0x0a);
    const token = await new ClientPin(ctap, info).getToken(PIN, {
      permissions: Permission.CREDENTIAL_MANAGEMENT,
    });
    return new CredentialManagement(ctap, command!, token);
  }

  it("should list the relying party and the discoverable credential just made", async () => {
    const cm = await credMgmt();
    expect((await cm.metadata()).existingResidentCredentialsCount).toBe(1);
    const rps = await cm.relyingParties();
    expect(rps.map((r) => r.id)).toEqual(["login.microsoft.com"]);
    const creds = await cm.credentials(rps[0]!.rpIdHash);
    expect(creds).toHaveLength(1);
    expect(Buffer.from(creds[0]!.credentialId)).toEqual(Buffer.from(credentialId));
    expect(creds[0]!.user.name).toBe("kim.user@contoso.example");
    expect(creds[0]!.credProtect).toBe(1);
  });

  it("should delete the credential and then find none", async () => {
    const cm = await credMgmt();
    await cm.deleteCredential(credentialId);
    expect(await cm.relyingParties()).toEqual([]);
  });

  it("should set a minimum PIN length with forceChangePin, then refuse tokens until the PIN changes", async () => {
    const token = await new ClientPin(ctap, info).getToken(PIN, {
      permissions: Permission.AUTHENTICATOR_CONFIG,
    });
    await setMinPinLength(ctap, token, { newMinPINLength: 8, forceChangePin: true });
    info = await getInfo(ctap);
    expect(info.minPINLength).toBe(8);
    expect(info.forcePINChange).toBe(true);
    const refused = await new ClientPin(ctap, info)
      .getToken(PIN, { permissions: Permission.MAKE_CREDENTIAL })
      .catch((e: unknown) => e);
    expect(CtapError.isInstance(refused)).toBe(true);
    await expect(new ClientPin(ctap, info).changePin(PIN, Buffer.from("1234567"))).rejects.toThrow(
      RangeError,
    );
    await new ClientPin(ctap, info).changePin(PIN, Buffer.from("12345678"));
    info = await getInfo(ctap);
    expect(info.forcePINChange).toBe(false);
    const fresh = await new ClientPin(ctap, info).getToken(Buffer.from("12345678"), {
      permissions: Permission.MAKE_CREDENTIAL,
    });
    fresh.dispose();
  });
});
