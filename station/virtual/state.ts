// What a virtual key remembers across power cycles, and its JSON file. The PIN is kept only as the
// authenticator keeps it, LEFT(SHA-256(pin), 16), with its length in code points (so setMinPINLength can
// tell whether the current PIN is now too short). Writes are atomic: a temporary file, then a rename.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { AttestationMaterial, EnterpriseAttestation } from "./attestation.js";

export const MAX_PIN_RETRIES = 8;
export const DEFAULT_MIN_PIN_LENGTH = 4;

export interface StoredCredential {
  /** Credential id, base64url. Random: it wraps nothing; the key lives here. */
  id: string;
  rpId: string;
  rpName?: string;
  /** user.id, base64url. */
  userId: string;
  userName?: string;
  userDisplayName?: string;
  /** The credential's P-256 private key, PKCS#8 DER in base64. */
  privateKeyPkcs8: string;
  /** credProtect level: 1 userVerificationOptional, 2 …WithCredentialIDList, 3 userVerificationRequired. */
  credProtect: 1 | 2 | 3;
  /** hmac-secret CredRandom values (base64), present when the credential was made with hmac-secret. */
  credRandomWithUv?: string;
  credRandomWithoutUv?: string;
  discoverable: boolean;
  signCount: number;
  /** Creation time (ms since the epoch) with a tiebreak counter, for most-recent-first ordering. */
  createdAt: number;
}

export interface PinRecord {
  /** LEFT(SHA-256(pin), 16) in base64. */
  hash: string;
  /** Length of the PIN in Unicode code points. */
  codePoints: number;
}

export interface VirtualKeyState {
  format: "keyfleet-virtual-key/1";
  aaguidHex: string;
  model: string;
  attestation: AttestationMaterial;
  pin: PinRecord | null;
  pinRetries: number;
  minPinLength: number;
  forcePinChange: boolean;
  credentials: StoredCredential[];
  /** This key's enterprise attestation, when it has one, and whether it is enabled ("ep" in getInfo). */
  enterprise?: EnterpriseAttestation & { enabled: boolean };
}

/** Where the state lives: memory only, or a JSON file rewritten after every change. */
export interface StateStore {
  load(): VirtualKeyState | undefined;
  save(state: VirtualKeyState): void;
  readonly path?: string;
}

export function memoryStore(): StateStore {
  let saved: string | undefined;
  return {
    load: () => (saved === undefined ? undefined : parseState(saved, "memory")),
    save: (state) => {
      saved = JSON.stringify(state);
    },
  };
}

export function fileStore(path: string): StateStore {
  return {
    path,
    load() {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
      return parseState(text, path);
    },
    save(state) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
        renameSync(tmp, path);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    },
  };
}

/** Parses and checks a state file; a file that is not one names itself in the error. */
export function parseState(text: string, source: string): VirtualKeyState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source}: not a virtual key state file (not JSON)`);
  }
  const s = value as Partial<VirtualKeyState> | null;
  const bad = (what: string): never => {
    throw new Error(`${source}: not a virtual key state file (${what})`);
  };
  if (typeof s !== "object" || s === null) return bad("not an object");
  if (s.format !== "keyfleet-virtual-key/1") bad("unknown format");
  if (typeof s.aaguidHex !== "string" || !/^[0-9a-f]{32}$/.test(s.aaguidHex)) bad("aaguidHex");
  if (typeof s.model !== "string") bad("model");
  const a = s.attestation;
  if (
    typeof a !== "object" ||
    a === null ||
    typeof a.rootCertificatePem !== "string" ||
    typeof a.rootKeyPkcs8 !== "string" ||
    typeof a.batchCertificatePem !== "string" ||
    typeof a.batchKeyPkcs8 !== "string" ||
    typeof a.aaguidHex !== "string"
  ) {
    bad("attestation");
  }
  if (s.pin !== null && (typeof s.pin !== "object" || typeof s.pin?.hash !== "string")) bad("pin");
  if (!Number.isInteger(s.pinRetries) || s.pinRetries! < 0 || s.pinRetries! > MAX_PIN_RETRIES)
    bad("pinRetries");
  if (!Number.isInteger(s.minPinLength) || s.minPinLength! < DEFAULT_MIN_PIN_LENGTH || s.minPinLength! > 63) {
    bad("minPinLength");
  }
  if (typeof s.forcePinChange !== "boolean") bad("forcePinChange");
  if (!Array.isArray(s.credentials)) bad("credentials");
  const ea = s.enterprise;
  if (
    ea !== undefined &&
    (typeof ea !== "object" ||
      ea === null ||
      typeof ea.serial !== "string" ||
      typeof ea.certificatePem !== "string" ||
      typeof ea.keyPkcs8 !== "string" ||
      !Array.isArray(ea.rpIds) ||
      typeof ea.enabled !== "boolean")
  )
    bad("enterprise");
  for (const c of s.credentials ?? []) {
    if (
      typeof c !== "object" ||
      c === null ||
      typeof c.id !== "string" ||
      typeof c.rpId !== "string" ||
      typeof c.userId !== "string" ||
      typeof c.privateKeyPkcs8 !== "string" ||
      ![1, 2, 3].includes(c.credProtect) ||
      typeof c.discoverable !== "boolean" ||
      !Number.isInteger(c.signCount) ||
      typeof c.createdAt !== "number"
    ) {
      bad("a credential");
    }
  }
  return s as VirtualKeyState;
}
