// A record writer in its own process, for the concurrent-order tests: appends N records numbered 0..N-1,
// signed with a fresh key (its own chain) or, with KEYFLEET_TEST_APPEND_KEY (PEM), a key shared with other
// writers (one chain they race for).
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { generateSigningKey, signingKeyFromPem } from "../../core/signing/ed25519.js";

const [location, optsJson, writer, count] = process.argv.slice(2);
if (!location || !optsJson || !writer || !count)
  throw new Error("usage: appendWorker <location> <opts> <writer> <n>");
const shared = process.env.KEYFLEET_TEST_APPEND_KEY;
const signer = shared ? signingKeyFromPem(shared) : generateSigningKey();
const log = await openRecordStore(location, { ...JSON.parse(optsJson), signer });
for (let i = 0; i < Number(count); i++) {
  await log.append({
    action: "claim",
    actor: { role: "station", stationId: writer },
    subject: {},
    detail: String(i),
  });
}
await log.close();
