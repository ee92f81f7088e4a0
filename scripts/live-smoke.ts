// Live smoke test against a real Entra tenant (`npm run test:live`, outside `npm test`). Reads people,
// their FIDO2 methods and the FIDO2 policy, runs the preflight, and writes nothing. Credentials come from
// the environment (core/entra/README.md); without them it fails at once, naming what is missing.
//   KEYFLEET_LIVE_PEOPLE  comma-separated UPNs or object ids to read (required)
//   KEYFLEET_LIVE_GROUP   a group object id whose transitive members are read too (optional)
//   KEYFLEET_LIVE_AAGUIDS comma-separated AAGUIDs of the keys you plan to issue, for the preflight (optional)
import {
  EntraClient,
  EntraConfigError,
  EntraError,
  listFido2MethodsBulk,
  listGroupUsers,
  loadEntraConfig,
  resolveUsers,
  runPreflight,
} from "../core/entra/index.js";

function fail(message: string): never {
  process.stderr.write(`live smoke: ${message}\n`);
  process.exit(2);
}

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

const wanted = list(process.env.KEYFLEET_LIVE_PEOPLE);
if (wanted.length === 0) fail("set KEYFLEET_LIVE_PEOPLE to one or more UPNs or object ids (comma-separated)");

let entra: EntraClient;
try {
  entra = new EntraClient(loadEntraConfig());
} catch (err) {
  if (EntraConfigError.isInstance(err)) fail(`${err.message} (see core/entra/README.md)`);
  throw err;
}

try {
  const { found, missing } = await resolveUsers(entra, wanted);
  const people = new Map([...found.values()].map((u) => [u.id, u]));
  const group = process.env.KEYFLEET_LIVE_GROUP;
  if (group) for (const u of await listGroupUsers(entra, group)) people.set(u.id, u);
  const methods = await listFido2MethodsBulk(entra, [...people.keys()]);
  const { policy, report } = await runPreflight(
    entra,
    [...people.values()].map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName })),
    [{ name: "live", aaguids: list(process.env.KEYFLEET_LIVE_AAGUIDS), allowsUnattested: false }],
  );
  const out = {
    tenant: entra.config.tenantId,
    graph: entra.config.graphUrl,
    people: [...people.values()].map((u) => ({
      userPrincipalName: u.userPrincipalName,
      id: u.id,
      fido2Methods: (methods.get(u.id) ?? []).map((m) => ({
        id: m.id,
        displayName: m.displayName,
        aaGuid: m.aaGuid,
        model: m.model,
      })),
    })),
    missing,
    policy: {
      state: policy.state,
      selfService: policy.isSelfServiceRegistrationAllowed,
      passkeyProfiles: policy.passkeyProfiles.length,
    },
    preflight: report,
    graphRequests: entra.stats.requests,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(
    `live smoke: read ${people.size} people, ${entra.stats.requests} Graph requests, preflight ${report.ok ? "clean" : "has findings"}; nothing written\n`,
  );
} catch (err) {
  if (EntraError.isInstance(err)) fail(err.message);
  throw err;
} finally {
  await entra.close();
}
