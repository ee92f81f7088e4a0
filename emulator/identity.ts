// The emulator's own generated identity in the data directory: default tenant id, the default app's
// client id and secret, the admin secret, the token-signing key and the challenge key. Made once, reused
// after, so tokens and challenges stay valid across restarts and across processes sharing the directory.
import { createHash, randomBytes, randomUUID, type webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

export interface EmulatorIdentity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  adminSecret: string;
  /** HMAC key for creationOptions challenges. */
  challengeKey: Buffer;
  signingKid: string;
  signingPrivate: webcrypto.CryptoKey;
  signingPublicJwk: JWK;
}

interface IdentityFile {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  adminSecret: string;
  challengeKey: string;
  signingJwk: JWK;
}

function secret(): string {
  // Shaped like an Entra client secret: a short prefix, then url-safe random text.
  return `kfe~${randomBytes(24).toString("base64url")}`;
}

export async function ensureIdentity(dataDir: string): Promise<EmulatorIdentity> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "identity.json");
  let file: IdentityFile;
  if (existsSync(path)) {
    file = JSON.parse(readFileSync(path, "utf8")) as IdentityFile;
  } else {
    const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
    file = {
      tenantId: randomUUID(),
      clientId: randomUUID(),
      clientSecret: secret(),
      adminSecret: secret(),
      challengeKey: randomBytes(32).toString("base64url"),
      signingJwk: await exportJWK(privateKey),
    };
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
    renameSync(tmp, path);
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = file.signingJwk;
  const kid = createHash("sha256").update(String(publicJwk.n)).digest("base64url").slice(0, 27);
  const signingPrivate = (await importJWK(
    { ...file.signingJwk, alg: "RS256" },
    "RS256",
  )) as webcrypto.CryptoKey;
  return {
    tenantId: file.tenantId,
    clientId: file.clientId,
    clientSecret: file.clientSecret,
    adminSecret: file.adminSecret,
    challengeKey: Buffer.from(file.challengeKey, "base64url"),
    signingKid: kid,
    signingPrivate,
    signingPublicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" },
  };
}
