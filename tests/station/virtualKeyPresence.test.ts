// User presence through the whole stack against the virtual key: KEEPALIVE statuses reach the caller
// ("touch the key"), an abort sends CANCEL and the key's late answer does not leak into the next call,
// the call deadline holds, and denial or a key-side timeout surface as CtapErrors.
import { beforeEach, describe, expect, it } from "vitest";
import { ClientPin } from "../../station/ctap2/clientPin.js";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { CtapError } from "../../station/ctap2/errors.js";
import { type AuthenticatorInfo, getInfo } from "../../station/ctap2/getInfo.js";
import { TransportError } from "../../station/ctaphid/errors.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { KeepaliveStatus } from "../../station/ctaphid/packets.js";
import { openVirtualConnection } from "../../station/virtual/connection.js";
import { VirtualKey } from "../../station/virtual/virtualKey.js";
import { registerCredential } from "../../station/webauthn/registration.js";
import { entraCreationOptions } from "./entraFixture.js";

const PIN = Buffer.from("864200");

describe("user presence against the virtual key", () => {
  let key: VirtualKey;
  let ctap: Ctap2;
  let info: AuthenticatorInfo;

  beforeEach(async () => {
    key = await VirtualKey.create({ keepaliveIntervalMs: 10 });
    ctap = new Ctap2(await CtapHidDevice.open(openVirtualConnection(key)));
    await new ClientPin(ctap, await getInfo(ctap)).setPin(PIN);
    info = await getInfo(ctap);
  });

  const register = (call: Parameters<typeof registerCredential>[0]["call"]) =>
    registerCredential({
      ctap,
      info,
      creationOptions: entraCreationOptions(),
      pin: PIN,
      displayName: "k",
      ...(call ? { call } : {}),
    });

  it("should pass 'user presence needed' keepalives to the caller while the key waits for a touch", async () => {
    key.authenticator.setPresence("approve", { approveDelayMs: 150 });
    const statuses = new Set<number>();
    await register({ onKeepalive: (s) => statuses.add(s) });
    expect(statuses.has(KeepaliveStatus.UPNEEDED)).toBe(true);
  });

  it("should cancel on abort, and the next command gets its own answer", async () => {
    key.authenticator.setPresence("timeout", { timeoutMs: 20_000 });
    const ac = new AbortController();
    const e = await register({
      signal: ac.signal,
      onKeepalive: (s) => {
        if (s === KeepaliveStatus.UPNEEDED) ac.abort();
      },
    }).catch((x: unknown) => x);
    expect(TransportError.isInstance(e) && e.kind).toBe("cancelled");
    const again = await getInfo(ctap);
    expect(again.aaguid).toBe(info.aaguid);
  });

  it("should end a call at its deadline even while keepalives keep coming", async () => {
    key.authenticator.setPresence("timeout", { timeoutMs: 20_000 });
    const e = await register({ timeoutMs: 300 }).catch((x: unknown) => x);
    expect(TransportError.isInstance(e) && e.kind).toBe("timeout");
    expect((await getInfo(ctap)).aaguid).toBe(info.aaguid);
  });

  it("should report a denied touch and a key-side timeout as CtapErrors", async () => {
    key.authenticator.setPresence("deny");
    const denied = await register(undefined).catch((x: unknown) => x);
    expect(CtapError.isInstance(denied) && denied.code).toBe("OPERATION_DENIED");
    key.authenticator.setPresence("timeout", { timeoutMs: 100 });
    const timedOut = await register(undefined).catch((x: unknown) => x);
    expect(CtapError.isInstance(timedOut) && timedOut.code).toBe("USER_ACTION_TIMEOUT");
  });
});
