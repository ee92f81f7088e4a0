// A station in its own process, for the race and crash tests: claims tasks until none are left and
// prints one JSON line per task it finished. Mode "hang" claims one task, marks it registering, says
// so, and then stops responding (the test kills it).
import { openTaskStore } from "../../core/tasks/openTaskStore.js";

const [location, optsJson, stationId, leaseMs, mode] = process.argv.slice(2);
if (!location || !optsJson || !stationId || !leaseMs)
  throw new Error("usage: claimWorker <location> <opts> <station> <leaseMs> [mode]");
const store = await openTaskStore(location, JSON.parse(optsJson));
const lease = Number(leaseMs);

if (mode === "hang") {
  const t = await store.claimNext({ stationId, leaseMs: lease });
  if (!t) throw new Error("nothing to claim");
  await store.markRegistering(t.id, t.lease!, { credentialId: `Y3JlZC0${t.id}` });
  process.stdout.write(`${JSON.stringify({ claimed: t.id })}\n`);
  setInterval(() => {}, 60_000);
} else {
  let idle = 0;
  while (idle < 3) {
    const t = await store.claimNext({ stationId, leaseMs: lease });
    if (!t) {
      idle++;
      continue;
    }
    idle = 0;
    await store.markRegistering(t.id, t.lease!, { credentialId: `Y3JlZC0${t.id}` });
    await store.complete(t.id, t.lease!, {
      kind: "registered",
      methodId: `${stationId}:${t.id}`,
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: `Y3JlZC0${t.id}`,
      registeredAt: new Date().toISOString(),
    });
    process.stdout.write(`${JSON.stringify({ done: t.id })}\n`);
  }
  await store.close();
}
