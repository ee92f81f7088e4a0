// Everything a station runner test stands on, all real: the Entra emulator (the station signs in as the
// operator Mira by device code), a task store (SQLite file or Azurite) with the pipeline's signed tasks,
// the audited station store with its signed records, virtual keys, and sealed PIN delivery to an age
// identity the test holds — plus the end-of-test checks: records verify, no PIN on disk.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter, generateIdentity, identityToRecipient } from "age-encryption";
import { stringify } from "yaml";
import { EntraClient } from "../../../core/entra/client.js";
import { resolveEntraConfig } from "../../../core/entra/config.js";
import { AuditedTaskStore } from "../../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import { type ChainReport, verifyChain } from "../../../core/records/verifyChain.js";
import { generateSigningKey, type SigningKey } from "../../../core/signing/ed25519.js";
import type { Task, TaskProfile } from "../../../core/tasks/model.js";
import { openTaskStore } from "../../../core/tasks/openTaskStore.js";
import type { TaskStore } from "../../../core/tasks/store.js";
import {
  EmulatorAdmin,
  type RunningEmulator,
  startEmulator,
  type TenantSeed,
} from "../../../emulator/index.js";
import { formatAaguid } from "../../../station/ctap2/getInfo.js";
import { generatePin } from "../../../station/pin/generatePin.js";
import { sealedDelivery } from "../../../station/pin/sealedPin.js";
import type { RunnerContext } from "../../../station/runner/context.js";
import type { KeyView, StationEvent, TaskView } from "../../../station/runner/events.js";
import type { StationOperator, TaskPick } from "../../../station/runner/operator.js";
import { graphIsEmulator } from "../../../station/runner/trust.js";
import { DEFAULT_AAGUID } from "../../../station/virtual/authenticator.js";
import { defaultSeed } from "../../entra/support/emulatorTenant.js";
import { type AzuriteTable, startAzuriteTable } from "../../support/azurite.js";
import { cliPath } from "../../support/cli.js";

export const OPERATOR = "mira.kovac@northwindforge.example";
export const VIRTUAL_AAGUID = formatAaguid(Buffer.from(DEFAULT_AAGUID, "hex"));

/** Walks a folder and prints (JSON) the files holding any of the hex needles read from stdin. */
const SCAN_SCRIPT = `
const fs = require("node:fs"), path = require("node:path");
const needles = JSON.parse(fs.readFileSync(0, "utf8")).map((h) => Buffer.from(h, "hex"));
const hits = [];
const walk = (d) => { for (const n of fs.readdirSync(d)) { const p = path.join(d, n); const st = fs.statSync(p);
  if (st.isDirectory()) walk(p); else if (st.isFile()) { const b = fs.readFileSync(p); if (needles.some((x) => b.includes(x))) hits.push(p); } } };
walk(process.argv[1]);
process.stdout.write(JSON.stringify(hits));`;

export interface Person {
  objectId: string;
  userPrincipalName: string;
}

/** People an Authentication Administrator may provision: no admin role, not privileged. */
export function ordinaryPeople(seed: TenantSeed = defaultSeed()): Person[] {
  return (seed.users ?? [])
    .filter((u) => !u.privileged && !(u.directoryRoles?.length ?? 0))
    .map((u) => ({ objectId: u.id as string, userPrincipalName: u.userPrincipalName }));
}

export function virtualProfile(over: Partial<TaskProfile> = {}): TaskProfile {
  return {
    name: "virtual",
    allowedAaguids: [VIRTUAL_AAGUID],
    allowedModels: ["Keyfleet Virtual Key"],
    pinLength: 8,
    forceChangePin: true,
    credProtect: 2,
    displayName: "primary virtual",
    ...over,
  };
}

/** An operator for tests: records every event, agrees to resets, replugs with `replug`. */
export class TestOperator implements StationOperator {
  readonly events: StationEvent[] = [];
  resets = 0;
  constructor(
    private readonly opts: {
      allowReset?: boolean;
      replug?: (key: KeyView) => Promise<void> | void;
      pick?: (key: KeyView, waiting: readonly TaskView[]) => TaskPick;
      /** The serial the operator scans off the key's label (none: undefined). */
      label?: (key: KeyView, task: TaskView) => string | undefined;
    } = {},
  ) {}
  event(e: StationEvent): void {
    this.events.push(e);
  }
  async confirmReset(): Promise<boolean> {
    this.resets++;
    return this.opts.allowReset ?? true;
  }
  async replug(key: KeyView): Promise<boolean> {
    if (!this.opts.replug) return false;
    await this.opts.replug(key);
    return true;
  }
  async pickTask(key: KeyView, waiting: readonly TaskView[]): Promise<TaskPick> {
    return this.opts.pick?.(key, waiting) ?? { kind: "next" };
  }
  serialQuestions = 0;
  async readSerial(key: KeyView, task: TaskView): Promise<string | undefined> {
    this.serialQuestions++;
    return this.opts.label?.(key, task);
  }
  of<T extends StationEvent["type"]>(type: T): Extract<StationEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<StationEvent, { type: T }> => e.type === type);
  }
}

export interface World {
  dir: string;
  emu: RunningEmulator;
  location: string;
  pipelineKey: SigningKey;
  stationKey: SigningKey;
  pinDir: string;
  recipient: string;
  /** The pipeline's store (raises signed tasks, writes pipeline-signed records). */
  pipeline: TaskStore;
  raise(people: readonly Person[], profile?: TaskProfile): Promise<Task[]>;
  /** A station's audited store and a Graph client signed in as the operator. */
  station(
    stationId: string,
    operator: StationOperator,
    over?: Partial<RunnerContext>,
  ): Promise<RunnerContext>;
  /** The PINs in the sealed files, decrypted with the test's age identity, by file name. */
  deliveredPins(): Promise<Map<string, Buffer>>;
  verifyRecords(): Promise<ChainReport>;
  /** Files under dir that contain any of the PINs in any common encoding. */
  filesHolding(pins: readonly Buffer[]): string[];
  close(): Promise<void>;
}

/**
 * The emulator in its own process (the compiled `keyfleet emulator`), as Graph is another machine for a real
 * station: its work then does not compete with the station's on one event loop (the benchmark uses this).
 */
async function startEmulatorProcess(seed: TenantSeed, dir: string): Promise<RunningEmulator> {
  const tenant = join(dir, "tenant.yaml");
  writeFileSync(tenant, stringify(seed));
  const child = spawn(
    process.execPath,
    [cliPath, "emulator", "--port", "0", "--json", "--tenant", tenant, "--data-dir", join(dir, "emulator")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const details = await new Promise<Record<string, string>>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as Record<string, string>);
      } catch {
        // not the whole object yet
      }
    });
    child.once("exit", (code) => reject(new Error(`keyfleet emulator exited with ${code}`)));
  });
  const caCertPem = readFileSync(details.caCertPath!, "utf8");
  const admin = new EmulatorAdmin({ url: details.url!, adminSecret: details.adminSecret!, caCertPem });
  return {
    url: details.url!,
    tenantId: details.tenantId!,
    clientId: details.clientId!,
    clientSecret: details.clientSecret!,
    caCertPath: details.caCertPath!,
    caCertPem,
    adminSecret: details.adminSecret!,
    dataDir: join(dir, "emulator"),
    admin,
    addTrustedRoot: (pem) => admin.addTrustedRoot(pem),
    setClockOffset: (ms) => admin.setClockOffset(ms),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

export async function startWorld(
  opts: {
    backend?: "sqlite" | "azure-table";
    seed?: (s: TenantSeed) => TenantSeed;
    /** Run the emulator in its own process (needs the build). */
    emulatorProcess?: boolean;
  } = {},
): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-station-"));
  const seed = (opts.seed ?? ((s) => s))({ ...defaultSeed(), deviceCodeIntervalSeconds: 1 });
  const emu = opts.emulatorProcess
    ? await startEmulatorProcess(seed, dir)
    : await startEmulator({ tenant: seed, dataDir: join(dir, "emulator") });
  await emu.admin.setSignInOperator(OPERATOR);
  let azurite: AzuriteTable | undefined;
  let location = `sqlite:${join(dir, "keyfleet.db")}`;
  if (opts.backend === "azure-table") {
    azurite = await startAzuriteTable();
    location = `azure-table:${azurite.connectionString}`;
  }
  const pipelineKey = generateSigningKey();
  const stationKey = generateSigningKey();
  const anchorPath = join(dir, "records.anchor.json");
  const pipelineInner = await openTaskStore(location);
  const pipelineRecords = await openRecordStore(location, { signer: pipelineKey, anchorPath });
  const pipeline = new AuditedTaskStore(pipelineInner, pipelineRecords, { actor: { role: "pipeline" } });
  const pinDir = join(dir, "pins");
  mkdirSync(pinDir, { mode: 0o700 });
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const closers: (() => Promise<void>)[] = [];

  return {
    dir,
    emu,
    location,
    pipelineKey,
    stationKey,
    pinDir,
    recipient,
    pipeline,
    async raise(people, profile = virtualProfile()) {
      const out: Task[] = [];
      for (const p of people) {
        const { task } = await pipeline.raise(
          {
            assignmentId: `${p.objectId}/primary`,
            generation: 1,
            person: p,
            slot: "primary",
            profile,
            provenance: { gitCommit: "0123456789abcdef0123456789abcdef01234567" },
          },
          pipelineKey,
        );
        out.push(task);
      }
      return out;
    },
    async station(stationId, operator, over = {}) {
      const config = resolveEntraConfig({
        auth: "device-code",
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        cloud: "custom",
        authorityHost: emu.url,
        graphUrl: emu.url,
        graphScope: "https://graph.microsoft.com/.default",
        caCertPem: emu.caCertPem,
      });
      const entra = new EntraClient(config, { credentialHooks: { onDeviceCode: () => {} } });
      const inner = await openTaskStore(location);
      const records = await openRecordStore(location, { signer: stationKey, anchorPath });
      const actor = { role: "station" as const, stationId, operator: OPERATOR };
      const store = new AuditedTaskStore(inner, records, { actor });
      closers.push(async () => {
        await store.close();
        await entra.close();
      });
      return {
        stationId,
        operatorName: OPERATOR,
        store,
        stationKey,
        audit: { records, actor },
        pipelineKeys: [pipelineKey.publicKey],
        entra,
        operator,
        generatePin,
        delivery: await sealedDelivery({ recipients: [recipient], folder: pinDir }),
        trust: { graphIsEmulator: graphIsEmulator(config), allowTestKeys: false },
        attended: false,
        leaseMs: 120_000,
        callTimeoutMs: 20_000,
        ...over,
      };
    },
    async deliveredPins() {
      const out = new Map<string, Buffer>();
      for (const f of readdirSync(pinDir).filter((n) => n.endsWith(".age"))) {
        const d = new Decrypter();
        d.addIdentity(identity);
        const text = Buffer.from(await d.decrypt(readFileSync(join(pinDir, f))));
        const m = /PIN: (\d+)\n/.exec(text.toString("utf8"));
        if (m?.[1]) out.set(f, Buffer.from(m[1]));
        text.fill(0);
      }
      return out;
    },
    async verifyRecords() {
      const log = await openRecordStore(location);
      try {
        return verifyChain(await log.rows(), { trustedKeys: [pipelineKey.publicKey, stationKey.publicKey] });
      } finally {
        await log.close();
      }
    },
    filesHolding(pins) {
      const needles = pins.flatMap((p) => {
        const s = p.toString("utf8");
        return [
          Buffer.from(s),
          Buffer.from(s, "utf16le"),
          Buffer.from(Buffer.from(s).toString("base64")),
          Buffer.from(Buffer.from(s).toString("base64url")),
          Buffer.from(Buffer.from(s).toString("hex")),
        ].map((b) => b.toString("hex"));
      });
      // In another process: closing a descriptor of the SQLite file here would drop this process's SQLite
      // locks (POSIX fcntl semantics), and a station process would then think it alone has the store open.
      const out = execFileSync(process.execPath, ["-e", SCAN_SCRIPT, dir], {
        input: JSON.stringify(needles),
        encoding: "utf8",
      });
      return JSON.parse(out) as string[];
    },
    async close() {
      for (const c of closers.reverse()) await c().catch(() => {});
      await pipeline.close().catch(() => {});
      await emu.stop();
      await azurite?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
