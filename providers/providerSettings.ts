// The provider's settings: Entra's (core/entra's one table of names), the task store and the pipeline key,
// from Pulumi config (`keyfleet:<key>`, secrets decrypted by the engine) over the CLI's environment variables.
import { type EntraSettings, entraSettingsFromEnv, entraSettingsFromPulumi } from "../core/entra/config.js";
import { privateKeyPath } from "../core/signing/keyFiles.js";

export interface ProviderSettings {
  entra: EntraSettings;
  /** `sqlite:<path>` or an Azure Table Storage location; undefined when nothing is configured. */
  taskStore: string | undefined;
  pipelineKeyPath: string;
}

/** Names outside core/entra's table; the same in `pulumi config` and the environment as the CLI reads them. */
export const PROVIDER_SETTINGS = {
  taskStore: { env: "KEYFLEET_TASK_STORE", pulumi: "keyfleet:taskStore" },
  pipelineKey: { env: "KEYFLEET_PIPELINE_KEY", pulumi: "keyfleet:pipelineKeyFile" },
} as const;

/** `get` takes the key without the `keyfleet:` prefix, like `new pulumi.Config("keyfleet").get`. */
export function providerSettings(
  get: (key: string) => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ProviderSettings {
  const fromPulumi = Object.fromEntries(
    Object.entries(entraSettingsFromPulumi(get)).filter(([, v]) => v !== undefined && v !== ""),
  );
  const taskStore = get("taskStore") || env[PROVIDER_SETTINGS.taskStore.env] || undefined;
  const keyFile = get("pipelineKeyFile") || undefined;
  return {
    entra: { ...entraSettingsFromEnv(env), ...fromPulumi },
    taskStore,
    pipelineKeyPath: keyFile ?? privateKeyPath("pipeline", env),
  };
}
