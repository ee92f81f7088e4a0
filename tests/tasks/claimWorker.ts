// A station in its own process, for the race and crash tests: claims tasks until none are left and
// prints one JSON line per task it finished. Mode "hang" claims one task, marks it registering, says
// so, and then stops responding (the test kills it). Mode "work-gated" opens the store, says it is ready
// and waits for a line on stdin before claiming, so a benchmark can time the work apart from start-up.
//
// With KEYFLEET_TEST_PIPELINE_PUBLIC_KEY (PEM) set, the worker is a whole station: an audited store
// signing its records and results with a fresh station key, claiming through claimTrusted.
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { generateSigningKey, publicKeyFromPem } from "../../core/signing/ed25519.js";
import { claimTrusted } from "../../core/tasks/claimTrusted.js";
import type { Task } from "../../core/tasks/model.js";
import { openTaskStore } from "../../core/tasks/openTaskStore.js";
import type { TaskStore } from "../../core/tasks/store.js";

const [location, optsJson, stationId, leaseMs, mode] = process.argv.slice(2);
if (!location || !optsJson || !stationId || !leaseMs)
  throw new Error("usage: claimWorker <location> <opts> <station> <leaseMs> [mode]");
const opts = JSON.parse(optsJson);
const pipelinePem = process.env.KEYFLEET_TEST_PIPELINE_PUBLIC_KEY;
let store: TaskStore = await openTaskStore(location, opts);
const lease = Number(leaseMs);
let claimNext = (): Promise<Task | undefined> => store.claimNext({ stationId, leaseMs: lease });
if (pipelinePem) {
  const records = await openRecordStore(location, { ...opts, signer: generateSigningKey() });
  const audited = new AuditedTaskStore(store, records, { actor: { role: "station", stationId } });
  store = audited;
  const pipelineKeys = [publicKeyFromPem(pipelinePem)];
  claimNext = async () => (await claimTrusted(audited, { stationId, leaseMs: lease, pipelineKeys })).task;
}

if (mode === "hang") {
  const t = await store.claimNext({ stationId, leaseMs: lease });
  if (!t) throw new Error("nothing to claim");
  await store.markRegistering(t.id, t.lease!, { credentialId: `Y3JlZC0${t.id}` });
  process.stdout.write(`${JSON.stringify({ claimed: t.id })}\n`);
  setInterval(() => {}, 60_000);
} else {
  if (mode === "work-gated") {
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    await new Promise<void>((resolve) => {
      process.stdin.once("data", () => resolve());
      process.stdin.once("end", () => resolve());
    });
  }
  let idle = 0;
  while (idle < 3) {
    const t = await claimNext();
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
