// Reading a large synthetic tenant through core/entra: everyone in the nested all-staff group (paged)
// and everyone's FIDO2 methods ($batch of 20, bounded concurrency), with and without 5% of the batch
// items throttled. Reports Graph requests per person, time and peak memory. Measures; never asserts.
import {
  EntraClient,
  listFido2MethodsBulk,
  listGroupUsers,
  resolveEntraConfig,
} from "../core/entra/index.js";
import { startEmulator } from "../emulator/index.js";
import { measure, printTable } from "./table.js";

export async function run(): Promise<void> {
  // 25,000 keeps `npm run bench` near its time budget on two cores; KEYFLEET_BENCH_PEOPLE=100000 for full size
  // (about 7 minutes here, most of it the in-process emulator serving the reads).
  const people = Number(process.env.KEYFLEET_BENCH_PEOPLE ?? 25_000);
  const started = await measure(() => startEmulator({ synthetic: people }));
  const emu = started.result;
  try {
    const config = resolveEntraConfig({
      auth: "client-secret",
      cloud: "custom",
      authorityHost: emu.url,
      graphUrl: emu.url,
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      caCertPem: emu.caCertPem,
      concurrency: process.env.KEYFLEET_GRAPH_CONCURRENCY ?? 4,
    });
    const probe = new EntraClient(config);
    let allStaff = "";
    for await (const page of probe.pages<{ id: string; displayName: string }>("/groups?$top=999")) {
      allStaff = page.find((g) => g.displayName === "Synthetic All Staff")?.id ?? allStaff;
    }
    await probe.close();

    const rows: (string | number)[][] = [];
    for (const [label, faults] of [
      ["no faults", []],
      [
        "5% of method reads 429",
        [{ kind: "429" as const, route: "/fido2Methods$", rate: 0.05, retryAfterSeconds: 0 }],
      ],
    ] as const) {
      await emu.admin.setFaults([...faults], 7);
      const entra = new EntraClient(config);
      const m = await measure(async () => {
        const users = await listGroupUsers(entra, allStaff);
        const methods = await listFido2MethodsBulk(
          entra,
          users.map((u) => u.id),
        );
        return { users: users.length, methods: methods.size };
      });
      await entra.close();
      rows.push([
        label,
        m.result.users,
        entra.stats.requests,
        entra.stats.requests / Math.max(1, m.result.users),
        entra.stats.throttled,
        m.ms / 1000,
        m.result.users / (m.ms / 1000),
        m.peakRssMiB,
        m.peakHeapMiB,
      ]);
    }
    await emu.admin.clearFaults();
    printTable(
      [
        "run",
        "people",
        "Graph requests",
        "requests/person",
        "items retried (429)",
        "seconds",
        "people/s",
        "peak RSS MiB",
        "peak heap MiB",
      ],
      rows,
    );
    printTable(["emulator start", "people", "seconds"], [["synthetic tenant", people, started.ms / 1000]]);
    process.stdout.write(
      "Peaks are for the whole process, which also runs the emulator (its 100k-person directory included).\n",
    );
  } finally {
    await emu.stop();
  }
}
