// A record writer in its own process, for the concurrent-order test: appends N records numbered 0..N-1.
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { generateSigningKey } from "../../core/signing/ed25519.js";

const [location, optsJson, writer, count] = process.argv.slice(2);
if (!location || !optsJson || !writer || !count)
  throw new Error("usage: appendWorker <location> <opts> <writer> <n>");
const log = await openRecordStore(location, { ...JSON.parse(optsJson), signer: generateSigningKey() });
for (let i = 0; i < Number(count); i++) {
  await log.append({
    action: "claim",
    actor: { role: "station", stationId: writer },
    subject: {},
    detail: String(i),
  });
}
await log.close();
