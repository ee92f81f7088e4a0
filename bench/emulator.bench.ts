// The emulator on loopback: requests per second for a methods list, a 20-request $batch and a full
// registration (creationOptions + verified POST), and memory for a 100,000-user synthetic tenant.
import { Agent, fetch } from "undici";
import { type RunningEmulator, startEmulator } from "../emulator/index.js";
import { type CreationOptionsJson, makeRegistration } from "../tests/emulator/support/softAuthenticator.js";
import { measure, printTable } from "./table.js";

const concurrency = 16;
const seconds = 4;

async function appToken(emu: RunningEmulator, dispatcher: Agent): Promise<string> {
  const res = await fetch(`${emu.url}/${emu.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    dispatcher,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: "https://graph.microsoft.com/.default",
    }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Runs op from `concurrency` workers for `seconds`; returns operations per second and failures. */
async function load(
  op: (i: number) => Promise<boolean>,
): Promise<{ perSecond: number; failures: number; count: number }> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  let failures = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (!(await op(count++))) failures++;
      }
    }),
  );
  return { perSecond: count / ((performance.now() - start) / 1000), failures, count };
}

export async function run(): Promise<void> {
  const emu = await startEmulator({ synthetic: 1000 });
  const dispatcher = new Agent({ connect: { ca: emu.caCertPem }, connections: concurrency });
  await emu.admin.setThrottle(null);
  const token = await appToken(emu, dispatcher);
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const users = (
    (await (await fetch(`${emu.url}/v1.0/users?$top=999&$select=id`, { headers, dispatcher })).json()) as {
      value: { id: string }[];
    }
  ).value.map((u) => u.id);
  const user = (i: number) => users[i % users.length] as string;
  const rows: (string | number)[][] = [];
  try {
    const list = await load(async (i) => {
      const r = await fetch(`${emu.url}/v1.0/users/${user(i)}/authentication/fido2Methods`, {
        headers,
        dispatcher,
      });
      await r.arrayBuffer();
      return r.status === 200;
    });
    rows.push([
      "GET fido2Methods (list)",
      list.count,
      Math.round(list.perSecond),
      Math.round(list.perSecond),
      list.failures,
    ]);

    const batch = await load(async (i) => {
      const requests = Array.from({ length: 20 }, (_, k) => ({
        id: String(k),
        method: "GET",
        url: `/users/${user(i * 20 + k)}/authentication/fido2Methods`,
      }));
      const r = await fetch(`${emu.url}/v1.0/$batch`, {
        method: "POST",
        headers,
        dispatcher,
        body: JSON.stringify({ requests }),
      });
      const body = (await r.json()) as { responses: { status: number }[] };
      return r.status === 200 && body.responses.every((x) => x.status === 200);
    });
    rows.push([
      "POST $batch (20 lists)",
      batch.count,
      Math.round(batch.perSecond),
      Math.round(batch.perSecond * 20),
      batch.failures,
    ]);

    const registration = await load(async (i) => {
      const u = user(i);
      const o = await fetch(`${emu.url}/v1.0/users/${u}/authentication/fido2Methods/creationOptions`, {
        headers,
        dispatcher,
      });
      const opts = ((await o.json()) as { publicKey: CreationOptionsJson }).publicKey;
      const reg = makeRegistration(opts, {
        attestation: "packed-self",
        aaguid: "2fc0579f-8113-47ea-b116-555a8db9202a",
      });
      const r = await fetch(`${emu.url}/v1.0/users/${u}/authentication/fido2Methods`, {
        method: "POST",
        headers,
        dispatcher,
        body: JSON.stringify(reg.body),
      });
      await r.arrayBuffer();
      return r.status === 201;
    });
    rows.push([
      "creationOptions + POST registration (packed)",
      registration.count,
      Math.round(registration.perSecond),
      Math.round(registration.perSecond * 2),
      registration.failures,
    ]);
  } finally {
    await dispatcher.close();
    await emu.stop();
  }
  process.stdout.write(
    `Loopback HTTPS, ${concurrency} concurrent clients, ${seconds} s each, in-memory state, throttling off.\n\n`,
  );
  printTable(
    ["operation", "operations", "operations/s", "HTTP requests/s (incl. batch items)", "failures"],
    rows,
  );

  const before = process.memoryUsage();
  const big = await measure(async () => {
    const e = await startEmulator({ synthetic: 100_000 });
    const d = new Agent({ connect: { ca: e.caCertPem } });
    const t = await appToken(e, d);
    const h = { Authorization: `Bearer ${t}` };
    const page = await fetch(`${e.url}/v1.0/users?$top=999`, { headers: h, dispatcher: d });
    await page.arrayBuffer();
    const all = (
      (await (await fetch(`${e.url}/v1.0/groups?$top=999`, { headers: h, dispatcher: d })).json()) as {
        value: { id: string; displayName: string }[];
      }
    ).value.find((g) => g.displayName === "Synthetic All Staff");
    const members = await fetch(`${e.url}/v1.0/groups/${all?.id}/transitiveMembers?$top=999`, {
      headers: h,
      dispatcher: d,
    });
    await members.arrayBuffer();
    const m = process.memoryUsage();
    await d.close();
    await e.stop();
    return m;
  });
  printTable(
    ["tenant", "start + first pages (ms)", "heap used after (MiB)", "heap growth (MiB)", "peak RSS (MiB)"],
    [
      [
        "100,000 synthetic users, 1,001 groups",
        Math.round(big.ms),
        big.result.heapUsed / 2 ** 20,
        (big.result.heapUsed - before.heapUsed) / 2 ** 20,
        big.peakRssMiB,
      ],
    ],
  );
}
