// Where signing keys live and how they are read and written.
//
//   <keyDir>/pipeline.ed25519       the pipeline's private key (PKCS#8 PEM, mode 0600): signs tasks
//   <keyDir>/pipeline.ed25519.pub   its public key (SPKI PEM): stations verify tasks with it
//   <keyDir>/station.ed25519(.pub)  a station's own key: signs the records the station writes
//   <keyDir>/trusted/*.pub          further public keys whose records `records verify` accepts
//
// keyDir defaults to `.keyfleet/keys`; KEYFLEET_KEY_DIR moves it; KEYFLEET_PIPELINE_KEY,
// KEYFLEET_PIPELINE_PUBLIC_KEY and KEYFLEET_STATION_KEY point at single files instead.

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
    throw new SigningKeyError(`no signing key at ${path} (create one with 'keyfleet tasks keygen')`);
  }
  return signingKeyFromPem(readFileSync(path, "utf8"));
}

export function loadPublicKey(path: string): KeyObject {
  if (!existsSync(path)) throw new SigningKeyError(`no public key at ${path}`);
  return publicKeyFromPem(readFileSync(path, "utf8"));
}

/** The public keys in `<dir>/trusted/*.pub`, plus any existing pipeline/station public keys. */
export function loadTrustedKeys(env: Env = process.env): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const role of ["pipeline", "station"] as const) {
    const p = publicKeyPath(role, env);
    if (existsSync(p)) keys.push(loadPublicKey(p));
  }
  const trustedDir = join(keyDir(env), "trusted");
  if (existsSync(trustedDir)) {
    for (const f of readdirSync(trustedDir).sort()) {
      if (f.endsWith(".pub")) keys.push(loadPublicKey(join(trustedDir, f)));
    }
  }
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
