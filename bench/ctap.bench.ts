// CTAP benchmark: one full provisioning ceremony (getInfo, set PIN, PIN token, makeCredential from
// Entra-shaped creationOptions, Graph body) against the virtual key in process and over UDP, and
// CTAPHID PING round trips per second. Key creation (attestation certificates) is outside the timings.
import { randomBytes } from "node:crypto";
import { ClientPin } from "../station/ctap2/clientPin.js";
import { Ctap2 } from "../station/ctap2/ctap2.js";
import { getInfo } from "../station/ctap2/getInfo.js";
import { CtapHidDevice } from "../station/ctaphid/hidDevice.js";
import { openDevice } from "../station/transport/openDevice.js";
import { openVirtualConnection } from "../station/virtual/connection.js";
import { startVirtualKeyUdp } from "../station/virtual/udpServer.js";
import { VirtualKey } from "../station/virtual/virtualKey.js";
import { registerCredential } from "../station/webauthn/registration.js";
import { measure, printTable } from "./table.js";

const CEREMONIES = 15;
const PING_SECONDS = 2;

function creationOptions(): Record<string, unknown> {
  return {
    publicKey: {
      rp: { id: "login.microsoft.com", name: "Microsoft" },
      user: {
        id: Buffer.concat([Buffer.from("OF:"), randomBytes(48)]).toString("base64url"),
        name: "bench@contoso.example",
        displayName: "Bench",
      },
      challenge: randomBytes(5198).toString("base64url"),
      pubKeyCredParams: [
        { type: "public-key", alg: -7 },
        { type: "public-key", alg: -257 },
      ],
      excludeCredentials: [{ type: "public-key", id: randomBytes(32).toString("base64"), transports: [] }],
      authenticatorSelection: {
        authenticatorAttachment: "cross-platform",
        requireResidentKey: true,
        userVerification: "required",
      },
      attestation: "direct",
      extensions: {
        hmacCreateSecret: true,
        enforceCredentialProtectionPolicy: true,
        credentialProtectionPolicy: "userVerificationOptional",
      },
    },
  };
}

async function ceremony(device: CtapHidDevice): Promise<void> {
  const ctap = new Ctap2(device);
  let info = await getInfo(ctap);
  await new ClientPin(ctap, info).setPin(Buffer.from("135790"));
  info = await getInfo(ctap);
  await registerCredential({
    ctap,
    info,
    creationOptions: creationOptions(),
    pin: Buffer.from("135790"),
    displayName: "bench",
  });
}

type Opener = (key: VirtualKey) => Promise<{ device: CtapHidDevice; stop: () => Promise<void> }>;

const inProcess: Opener = async (key) => ({
  device: await CtapHidDevice.open(openVirtualConnection(key)),
  stop: async () => {},
});
const overUdp: Opener = async (key) => {
  const server = await startVirtualKeyUdp({ key, port: 0 });
  const device = await openDevice(`udp:127.0.0.1:${server.address.port}`, { udpLocalPort: 0 });
  return { device, stop: () => server.close() };
};

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function run(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const [name, open] of [
    ["in process", inProcess],
    ["UDP", overUdp],
  ] as const) {
    const keys = await Promise.all(Array.from({ length: CEREMONIES }, () => VirtualKey.create()));
    const times: number[] = [];
    let peakRss = 0;
    for (const key of keys) {
      const { device, stop } = await open(key);
      const m = await measure(() => ceremony(device));
      times.push(m.ms);
      peakRss = Math.max(peakRss, m.peakRssMiB);
      await device.close();
      await stop();
    }
    rows.push([name, CEREMONIES, percentile(times, 50), percentile(times, 95), Math.max(...times), peakRss]);
  }
  process.stdout.write(
    "Full provisioning ceremony (getInfo, setPIN, getInfo, PIN token, makeCredential, body):\n\n",
  );
  printTable(["transport", "ceremonies", "median ms", "p95 ms", "max ms", "peak RSS MiB"], rows);

  const pingRows: (string | number)[][] = [];
  for (const [name, open] of [
    ["in process", inProcess],
    ["UDP", overUdp],
  ] as const) {
    const key = await VirtualKey.create();
    const { device, stop } = await open(key);
    for (const size of [32, 1024]) {
      const payload = randomBytes(size);
      let n = 0;
      const m = await measure(async () => {
        const end = performance.now() + PING_SECONDS * 1000;
        while (performance.now() < end) {
          await device.ping(payload);
          n++;
        }
      });
      pingRows.push([name, size, Math.ceil(size <= 57 ? 1 : 1 + (size - 57) / 59), n, (n / m.ms) * 1000]);
    }
    await device.close();
    await stop();
  }
  process.stdout.write("CTAPHID PING round trips:\n\n");
  printTable(["transport", "payload bytes", "reports each way", "round trips", "per second"], pingRows);
}
