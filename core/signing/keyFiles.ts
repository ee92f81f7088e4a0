// Where signing keys live and how they are read and written.
//
//   <keyDir>/pipeline.ed25519       the pipeline's private key (PKCS#8 PEM, mode 0600): signs tasks
//   <keyDir>/pipeline.ed25519.pub   its public key (SPKI PEM): stations verify tasks with it
//   <keyDir>/station.ed25519(.pub)  a station's own key: signs the records the station writes
//   <keyDir>/stations/*.pub         the pipeline's list of trusted stations: their public keys, one file a
//                                   station (e.g. desk-3.pub); results signed by any other key, and
//                                   records by any other key, are not acted on (verifyTaskResults)
//   <keyDir>/trusted/*.pub          further public keys whose records `records verify` accepts (operators)
//
// keyDir defaults to `.keyfleet/keys`; KEYFLEET_KEY_DIR moves it; KEYFLEET_PIPELINE_KEY,
// KEYFLEET_PIPELINE_PUBLIC_KEY and KEYFLEET_STATION_KEY point at single files instead, and
// KEYFLEET_STATION_KEYS at another stations folder. A station is enrolled by copying the `.pub` that
// `keyfleet tasks keygen --role station` wrote into the pipeline's stations folder (reviewed like code).

import type { KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  generateSigningKey,
  privateKeyPem,
  publicKeyFromPem,
  publicKeyPem,
  type SigningKey,
  SigningKeyError,
  signingKeyFromPem,
} from "./ed25519.js";

export type KeyRole = "pipeline" | "station";

type Env = Record<string, string | undefined>;

export function keyDir(env: Env = process.env): string {
  return env.KEYFLEET_KEY_DIR ?? join(".keyfleet", "keys");
}

export function privateKeyPath(role: KeyRole, env: Env = process.env): string {
  const override = role === "pipeline" ? env.KEYFLEET_PIPELINE_KEY : env.KEYFLEET_STATION_KEY;
  return override ?? join(keyDir(env), `${role}.ed25519`);
}

export function publicKeyPath(role: KeyRole, env: Env = process.env): string {
  if (role === "pipeline" && env.KEYFLEET_PIPELINE_PUBLIC_KEY) return env.KEYFLEET_PIPELINE_PUBLIC_KEY;
  return `${privateKeyPath(role, env)}.pub`;
}

export function loadSigningKey(path: string): SigningKey {
  if (!existsSync(path)) {
    throw new SigningKeyError(
      `no signing key at ${path} (create it with 'keyfleet tasks keygen --role ${/pipeline/.test(path) ? "pipeline" : "station"} --out ${path}')`,
    );
  }
  return signingKeyFromPem(readFileSync(path, "utf8"));
}

export function loadPublicKey(path: string): KeyObject {
  if (!existsSync(path)) throw new SigningKeyError(`no public key at ${path}`);
  return publicKeyFromPem(readFileSync(path, "utf8"));
}

/** The folder of trusted station public keys. */
export function stationKeysDir(env: Env = process.env): string {
  return env.KEYFLEET_STATION_KEYS ?? join(keyDir(env), "stations");
}

/** Every `*.pub` in a folder, in name order; a file that is not an Ed25519 public key is an error. */
export function loadPublicKeyFolder(dir: string): KeyObject[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".pub"))
    .sort()
    .map((f) => {
      try {
        return loadPublicKey(join(dir, f));
      } catch (e) {
        throw new SigningKeyError(`${join(dir, f)}: ${(e as Error).message}`);
      }
    });
}

/** The public keys of the stations whose results and records the pipeline trusts. */
export function loadStationKeys(env: Env = process.env): KeyObject[] {
  return loadPublicKeyFolder(stationKeysDir(env));
}

/** The pipeline's public key (tasks and cancellations are signed with it), when it exists. */
export function loadPipelinePublicKeys(env: Env = process.env): KeyObject[] {
  const p = publicKeyPath("pipeline", env);
  return existsSync(p) ? [loadPublicKey(p)] : [];
}

/**
 * Every key whose records are accepted: the pipeline's and this machine's station public keys, the
 * stations folder and `<dir>/trusted/*.pub`.
 */
export function loadTrustedKeys(env: Env = process.env): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const role of ["pipeline", "station"] as const) {
    const p = publicKeyPath(role, env);
    if (existsSync(p)) keys.push(loadPublicKey(p));
  }
  keys.push(...loadStationKeys(env), ...loadPublicKeyFolder(join(keyDir(env), "trusted")));
  return keys;
}

/** Writes a fresh key pair; refuses to overwrite an existing private key. */
export function writeNewSigningKey(path: string): SigningKey {
  if (existsSync(path)) throw new SigningKeyError(`${path} exists; refusing to overwrite a signing key`);
  const key = generateSigningKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, privateKeyPem(key), { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  writeFileSync(`${path}.pub`, publicKeyPem(key.publicKey), { mode: 0o644 });
  return key;
}
