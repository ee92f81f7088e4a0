// Shared inputs for the provider suites: one assignment's inputs as the program declares them.
import { execFileSync } from "node:child_process";
import type { RunningEmulator } from "../../emulator/index.js";
import type { AssignmentInputs } from "../../providers/assignmentTypes.js";
import { type AssignmentWire, assignmentToWire } from "../../providers/assignmentWire.js";
import type { RunApprovalInputs } from "../../providers/runApproval.js";
import { emulatorEntraEnv, repoRoot } from "../support/cli.js";
import { type DynamicProviderHost, urnFor } from "../support/pulumiHost.js";

export const project = "keyfleet";
export const resourceType = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";

/**
 * The compiled KeyAssignment provider text exactly as `pulumi up` stores it, read from dist in a plain Node
 * process: inside vitest every module (dist included) is rewritten by Vite.
 */
export function compiledProviderText(): string {
  return compiledText("keyAssignment", "keyAssignmentProvider");
}

export const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
export const otherKey = "ee882879-721c-4913-9775-3dfcce97072a";

export function assignmentInputs(over: Partial<AssignmentInputs> = {}): AssignmentInputs {
  const objectId = over.objectId ?? "11111111-2222-3333-4444-555555555555";
  const slot = over.slot ?? "primary";
  return {
    assignmentId: `${objectId}/${slot}`,
    objectId,
    userPrincipalName: "ada@contoso.example",
    slot,
    profile: {
      name: "standard",
      allowedAaguids: [yubikey5],
      allowedModels: [],
      pinLength: 8,
      forceChangePin: true,
      credProtect: 2,
      displayName: "primary YubiKey 5",
    },
    adopt: false,
    adoptCriteria: { aaguids: [], displayNameContains: "", createdBefore: "" },
    lostSince: "",
    ...over,
  };
}

/** One assignment's inputs as the program declares them, in the wire form (providers/assignmentWire.ts). */
export function declaredInputs(over: Partial<AssignmentInputs> = {}): AssignmentWire {
  return assignmentToWire(assignmentInputs(over));
}

/**
 * The `keyfleet:` config that points the provider or the program at a running emulator and a SQLite store.
 * The client secret is left out: a host takes it as plain config, a stack as `pulumi config set --secret`.
 */
export function emulatorConfig(
  emu: Pick<RunningEmulator, "tenantId" | "clientId" | "url" | "caCertPath">,
  files: { taskStore: string; pipelineKey: string; recordsAnchor?: string; stationKeys?: string },
): Record<string, string> {
  return {
    "keyfleet:entraTenantId": emu.tenantId,
    "keyfleet:entraClientId": emu.clientId,
    "keyfleet:entraCloud": "custom",
    "keyfleet:entraAuthorityHost": emu.url,
    "keyfleet:entraGraphUrl": emu.url,
    "keyfleet:entraGraphScope": "https://graph.microsoft.com/.default",
    "keyfleet:entraCaFile": emu.caCertPath,
    "keyfleet:taskStore": `sqlite:${files.taskStore}`,
    "keyfleet:pipelineKeyFile": files.pipelineKey,
    ...(files.recordsAnchor ? { "keyfleet:recordsAnchor": files.recordsAnchor } : {}),
    ...(files.stationKeys ? { "keyfleet:stationKeys": files.stationKeys } : {}),
  };
}

/** A spec document: the `yk` key profile (YubiKey 5 only, credProtect 2) that small test fleets use. */
export const ykProfileYaml = [
  "apiVersion: keyfleet.dev/v1",
  "kind: KeyProfile",
  "name: yk",
  `aaguids: [${yubikey5}]`,
  "credProtect: 2",
].join("\n");

/** Spec YAML: the `yk` profile and one `primary` slot for each person, named by object id. */
export function ykFleetYaml(objectIds: readonly string[]): string {
  const people = objectIds.map((id) => `  - objectId: ${id}\n    slots: { primary: { profile: yk } }`);
  return [ykProfileYaml, "---", "apiVersion: keyfleet.dev/v1", "kind: People", "people:", ...people, ""].join(
    "\n",
  );
}

/** A compiled thin provider text (`<exportName>Text` of the module), as `pulumi up` stores it. */
export function compiledText(module: string, exportName: string): string {
  const script = `
    import("./dist/providers/${module}.js").then((m) => process.stdout.write(m.${exportName}Text));`;
  return execFileSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" });
}

export const approvalType = "pulumi-nodejs:dynamic/keyfleet:RunApproval";

/** What a run's plan approves, written by hand for a host test (the program derives it from the plan). */
export function approval(over: Partial<RunApprovalInputs> = {}): RunApprovalInputs {
  return {
    assignments: {},
    unmanaged: [],
    atStake: 10,
    maxRevokeShare: 0.5,
    allowMassRevoke: false,
    revocations: 0,
    ...over,
  };
}

/**
 * Installs an approval in the host as the engine does before the resources that depend on it: Diff (which
 * installs it in the host process) and then Create, which records it.
 */
export async function approveRun(
  host: Pick<DynamicProviderHost, "create">,
  providerText: string,
  inputs: RunApprovalInputs,
): Promise<void> {
  await host.create(urnFor(project, approvalType, "keyfleet-run-approval"), {
    ...inputs,
    __provider: providerText,
  });
}

/**
 * The environment a `keyfleet` CLI run (plan, drift) needs against the emulator and a SQLite store, checking
 * rows and results against the pipeline's public key and the enrolled stations' folder.
 */
export function cliEnvFor(
  emu: Pick<RunningEmulator, "tenantId" | "clientId" | "clientSecret" | "url" | "caCertPath">,
  files: { taskStore: string; pipelinePublicKey: string; stationKeys: string },
): NodeJS.ProcessEnv {
  return {
    ...emulatorEntraEnv(emu),
    KEYFLEET_TASK_STORE: `sqlite:${files.taskStore}`,
    KEYFLEET_PIPELINE_PUBLIC_KEY: files.pipelinePublicKey,
    KEYFLEET_STATION_KEYS: files.stationKeys,
  };
}
