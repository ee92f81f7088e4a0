// The "Done when" check of issue 6: Debian's python3-fido2, an independent CTAP2 client, drives the
// virtual key over UDP — getInfo, setPIN, PIN tokens with protocols 1 and 2, makeCredential (rk, uv),
// getAssertion verified against the credential's public key, wrong-PIN retries and blocking.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_AAGUID } from "../../../station/virtual/authenticator.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../../station/virtual/udpServer.js";
import { requirePythonModule } from "../../support/tools.js";

const PYTHON = "/usr/bin/python3";
const script = fileURLToPath(new URL("./fido2_udp_client.py", import.meta.url));

function runScript(port: number, scenario: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [script, "127.0.0.1", String(port), scenario],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${script} ${scenario} failed: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as Record<string, unknown>);
      },
    );
  });
}

describe("virtual key driven by python-fido2 over UDP", () => {
  let server: VirtualKeyUdpServer;

  beforeAll(async () => {
    requirePythonModule(PYTHON, "fido2", "python3-fido2");
    server = await startVirtualKeyUdp({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("should run a full PIN, credential and lock-out ceremony as python-fido2 sees it", async () => {
    const r = (await runScript(server.address.port, "full")) as {
      info: {
        versions: string[];
        extensions: string[];
        aaguid: string;
        options: Record<string, boolean>;
        pinUvProtocols: number[];
      };
      ping: string;
      clientPinAfterSet: boolean;
      token_v1: number;
      token_v2: number;
      ceremony_v1: Record<string, unknown>;
      ceremony_v2: Record<string, unknown>;
      wrongPinErrors: string[];
      retriesSeen: number[];
      powerCycleState: boolean[];
      rightPinAfterBlock: string;
    };
    expect(r.info.versions).toEqual(expect.arrayContaining(["FIDO_2_0", "FIDO_2_1"]));
    expect(r.info.extensions).toEqual(["credProtect", "hmac-secret"]);
    expect(r.info.aaguid).toBe(DEFAULT_AAGUID);
    expect(r.info.options).toMatchObject({
      rk: true,
      up: true,
      plat: false,
      clientPin: false,
      pinUvAuthToken: true,
    });
    expect(r.info.pinUvProtocols).toEqual([2, 1]);
    expect(r.ping).toBe(Buffer.from("keyfleet").toString("hex"));
    expect(r.clientPinAfterSet).toBe(true);
    expect(r.token_v1).toBe(32);
    expect(r.token_v2).toBe(32);
    for (const ceremony of [r.ceremony_v1, r.ceremony_v2]) {
      expect(ceremony).toMatchObject({ fmt: "packed", attStmtAlg: -7, x5cCount: 1, aaguid: DEFAULT_AAGUID });
      expect(ceremony.signatureVerified).toBe(true);
      expect(ceremony.assertionCredentialId).toBe(ceremony.credentialId);
      // UP | UV | AT after makeCredential; UP | UV after getAssertion.
      expect(ceremony.makeFlags).toBe(0x45);
      expect(ceremony.assertionFlags).toBe(0x05);
    }
    expect(r.ceremony_v2.assertionUserId).toBe(Buffer.from("user-v2").toString("hex"));
    // PIN_INVALID, PIN_INVALID, PIN_AUTH_BLOCKED (power cycle), …, PIN_BLOCKED at the eighth.
    expect(r.wrongPinErrors).toEqual(["0x31", "0x31", "0x34", "0x31", "0x31", "0x34", "0x31", "0x32"]);
    expect(r.retriesSeen).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(r.powerCycleState).toEqual([false, false, true, false, false, true, false, false]);
    expect(r.rightPinAfterBlock).toBe("0x32");
  });
});
