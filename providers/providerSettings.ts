// The provider's settings: Entra's (core/entra's one table of names), the task store, the pipeline key and the
// records anchor, from Pulumi config (`keyfleet:<key>`, secrets decrypted by the engine) over the CLI's
// environment variables.
//
// The records anchor (the chain's latest seq and hash, kept outside the store) is `keyfleet:recordsAnchor` or
// KEYFLEET_RECORDS_ANCHOR, else core/records' default `.keyfleet/records.anchor.json`. A relative anchor path is
// taken from the Pulumi project directory, not the process's: the engine starts the provider host (and the
// program) in `<project>/dist`, so cwd-relative would put the anchor in the build output, apart from the CLI's.

import type { KeyObject } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { type EntraSettings, entraSettingsFromEnv, entraSettingsFromPulumi } from "../core/entra/config.js";
import { defaultAnchorPath } from "../core/records/anchor.js";
import {
  loadPublicKey,
  loadPublicKeyFolder,
  loadSigningKey,
  privateKeyPath,
  stationKeysDir,
} from "../core/signing/keyFiles.js";
import { DEFAULT_TASK_STORE } from "../core/tasks/openTaskStore.js";

export interface ProviderSettings {
  entra: EntraSettings;
  /** `sqlite:<absolute path>` or an Azure Table Storage location. */
  taskStore: string | undefined;
  pipelineKeyPath: string;
  /** The folder of enrolled stations' public keys (`*.pub`) whose results the pipeline accepts. */
  stationKeysDir: string;
  /**
   * Absolute path of the records anchor file. Optional so that callers that only read (e.g. `keyfleet plan`)
   * can build settings by hand; writers take {@link anchorPathOf}.
   */
  recordsAnchorPath?: string;
}

/** Names outside core/entra's table; the same in `pulumi config` and the environment as the CLI reads them. */
export const PROVIDER_SETTINGS = {
  taskStore: { env: "KEYFLEET_TASK_STORE", pulumi: "keyfleet:taskStore" },
  pipelineKey: { env: "KEYFLEET_PIPELINE_KEY", pulumi: "keyfleet:pipelineKeyFile" },
  recordsAnchor: { env: "KEYFLEET_RECORDS_ANCHOR", pulumi: "keyfleet:recordsAnchor" },
} as const;

/**
 * The Pulumi project directory: `cwd` when it holds Pulumi.yaml, else its parent when that does (`dist/`).
 * getcwd() resolves symbolic links, so a project whose `dist` links to a shared build would resolve to the
 * build's parent; the launching shell's (or CLI's) PWD is preferred when it, or its child of cwd's name, is
 * the same directory as cwd.
 */
export function projectDirectory(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const logical = env.PWD;
  if (logical && logical !== cwd) {
    if (sameDirectory(logical, cwd)) return projectDirectory(logical, {});
    if (existsSync(join(logical, "Pulumi.yaml")) && sameDirectory(join(logical, basename(cwd)), cwd))
      return logical;
  }
  if (existsSync(join(cwd, "Pulumi.yaml"))) return cwd;
  const parent = dirname(cwd);
  return existsSync(join(parent, "Pulumi.yaml")) ? parent : cwd;
}

/** `get` takes the key without the `keyfleet:` prefix, like `new pulumi.Config("keyfleet").get`. */
export function providerSettings(
  get: (key: string) => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ProviderSettings {
  const fromPulumi = Object.fromEntries(
    Object.entries(entraSettingsFromPulumi(get)).filter(([, v]) => v !== undefined && v !== ""),
  );
  const project = () => projectDirectory(cwd, env);
  const fromProject = (path: string) => (path === "" || isAbsolute(path) ? path : resolve(project(), path));
  const store = get("taskStore") || env[PROVIDER_SETTINGS.taskStore.env] || DEFAULT_TASK_STORE;
  const taskStore = store.startsWith("sqlite:")
    ? `sqlite:${fromProject(store.slice("sqlite:".length))}`
    : store;
  const keyFile = get("pipelineKeyFile") || undefined;
  return {
    entra: { ...entraSettingsFromEnv(env), ...fromPulumi },
    taskStore,
    pipelineKeyPath: fromProject(keyFile ?? privateKeyPath("pipeline", env)),
    stationKeysDir: fromProject(get("stationKeys") || stationKeysDir(env)),
    recordsAnchorPath: resolveAnchorPath(
      get("recordsAnchor") || env[PROVIDER_SETTINGS.recordsAnchor.env],
      cwd,
      env,
    ),
  };
}

function sameDirectory(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** The anchor path: as configured, else the default, relative ones taken from the project directory. */
export function resolveAnchorPath(
  configured: string | undefined,
  cwd: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): string {
  const anchor = configured || defaultAnchorPath({});
  return isAbsolute(anchor) ? anchor : resolve(projectDirectory(cwd, env), anchor);
}

/** The anchor path settings name, or the default resolved as {@link providerSettings} would. */
export function anchorPathOf(settings: ProviderSettings): string {
  return settings.recordsAnchorPath ?? resolveAnchorPath(process.env[PROVIDER_SETTINGS.recordsAnchor.env]);
}

/**
 * The keys the pipeline checks task rows and results against: its own public key (`<key>.pub`, or derived
 * from the private key) and the enrolled stations' keys.
 */
export function pipelineTrust(settings: Pick<ProviderSettings, "pipelineKeyPath" | "stationKeysDir">): {
  pipelineKeys: KeyObject[];
  stationKeys: KeyObject[];
} {
  const pub = `${settings.pipelineKeyPath}.pub`;
  const pipelineKeys = existsSync(pub)
    ? [loadPublicKey(pub)]
    : existsSync(settings.pipelineKeyPath)
      ? [loadSigningKey(settings.pipelineKeyPath).publicKey]
      : [];
  return { pipelineKeys, stationKeys: loadPublicKeyFolder(settings.stationKeysDir) };
}
