// The demo's one folder and everything in it: a Pulumi project (Pulumi.yaml, the repository's node_modules and
// compiled dist linked in), a copy of the example specs the demo may edit, the file:// state backend, the
// keys, the task store, the emulator's data, the PIN envelopes and the drift reports.
import { randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DemoFailure } from "./output.js";

/** The repository (or installed package) this module was compiled into: dist/cli/demo → its root. */
export const packageRoot = fileURLToPath(new URL("../../..", import.meta.url));

const MARKER = ".keyfleet-demo";

export interface DemoFolder {
  dir: string;
  specs: string;
  state: string;
  pulumiHome: string;
  passphraseFile: string;
  emulatorData: string;
  taskStore: string;
  recordsAnchor: string;
  pipelineKey: string;
  stationKey: string;
  stationKeys: string;
  pinEnvelopes: string;
  driftHtml: string;
  driftAfterDeleteHtml: string;
}

export function folderLayout(dir: string): DemoFolder {
  const d = resolve(dir);
  return {
    dir: d,
    specs: join(d, "specs"),
    state: join(d, "state"),
    pulumiHome: join(d, ".pulumi-home"),
    passphraseFile: join(d, "keys", "pulumi-passphrase.txt"),
    emulatorData: join(d, "emulator"),
    taskStore: join(d, ".keyfleet", "keyfleet.db"),
    recordsAnchor: join(d, ".keyfleet", "records.anchor.json"),
    pipelineKey: join(d, "keys", "pipeline.ed25519"),
    stationKey: join(d, "keys", "demo-station.ed25519"),
    stationKeys: join(d, "keys", "stations"),
    pinEnvelopes: join(d, "pin-envelopes"),
    driftHtml: join(d, "drift-report.html"),
    driftAfterDeleteHtml: join(d, "drift-report-after-delete.html"),
  };
}

/**
 * A fresh folder: an earlier demo's folder (it carries the marker) is emptied first; any other folder that
 * is not empty is refused, so the demo never deletes files it did not make.
 */
export function prepareFolder(dir: string): DemoFolder {
  const f = folderLayout(dir);
  if (existsSync(f.dir)) {
    const entries = readdirSync(f.dir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new DemoFailure(`${f.dir} exists and is not a Keyfleet demo folder; choose another with --dir`);
    }
    for (const e of entries) rmSync(join(f.dir, e), { recursive: true, force: true });
  }
  mkdirSync(f.dir, { recursive: true });
  writeFileSync(
    join(f.dir, MARKER),
    "A folder made by `keyfleet demo`; the next demo run here empties it.\n",
  );
  for (const sub of [f.state, f.pulumiHome, f.emulatorData, join(f.dir, "keys"), f.stationKeys])
    mkdirSync(sub, { recursive: true, mode: 0o700 });
  mkdirSync(f.pinEnvelopes, { mode: 0o700 });
  mkdirSync(join(f.dir, ".keyfleet"), { mode: 0o700 });
  writeFileSync(join(f.dir, "Pulumi.yaml"), readFileSync(join(packageRoot, "Pulumi.yaml")));
  writeFileSync(
    join(f.dir, "package.json"),
    `${JSON.stringify({ name: "keyfleet-demo-stack", type: "module", private: true }, null, 2)}\n`,
  );
  for (const link of ["node_modules", "dist"]) {
    const target = join(packageRoot, link);
    if (!existsSync(target))
      throw new DemoFailure(`${target} is missing: run 'npm ci && npm run build' first`);
    symlinkSync(target, join(f.dir, link), "dir");
  }
  cpSync(join(packageRoot, "specs"), f.specs, { recursive: true });
  // The stack's passphrase: random, kept in a file (PULUMI_CONFIG_PASSPHRASE_FILE), never printed.
  writeFileSync(f.passphraseFile, randomBytes(24).toString("base64url"), { mode: 0o600 });
  return f;
}
