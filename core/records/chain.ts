// Hashing and signing one link of a record chain.
import { createHash } from "node:crypto";
import { canonicalJson } from "../signing/canonicalJson.js";
import {
  keyIdOf,
  publicKeyFromRaw,
  rawPublicKey,
  type SigningKey,
  signCanonical,
  verifyCanonical,
} from "../signing/ed25519.js";
import type { AuditRecord, RecordBody, RecordDraft } from "./model.js";

export function recordBodyOf(r: AuditRecord): RecordBody {
  const { hash: _h, signature: _s, ...body } = r;
  return body;
}

export function hashRecordBody(body: RecordBody): string {
  return createHash("sha256").update(canonicalJson(body), "utf8").digest("hex");
}

function signedPayload(hash: string) {
  return { type: "keyfleet.record/v1", hash };
}

/**
 * Seals the record at `link`. With `link.chain` it is a v2 record of that chain (the writer's own);
 * without, a v1 record of the legacy chain (only tests still write those, to stand for older stores).
 */
export function sealRecord(
  draft: RecordDraft,
  link: { chain?: string; seq: number; prevHash: string; at: Date },
  key: SigningKey,
): AuditRecord {
  const body: RecordBody = {
    v: link.chain === undefined ? 1 : 2,
    ...(link.chain === undefined ? {} : { chain: link.chain }),
    seq: link.seq,
    at: link.at.toISOString(),
    action: draft.action,
    actor: draft.actor,
    subject: draft.subject,
    provenance: draft.provenance ?? {},
    prevHash: link.prevHash,
    signer: { keyId: key.keyId, publicKey: rawPublicKey(key.publicKey) },
  };
  if (draft.detail !== undefined) body.detail = draft.detail;
  const hash = hashRecordBody(JSON.parse(JSON.stringify(body)) as RecordBody);
  return { ...body, hash, signature: signCanonical(key, signedPayload(hash)) };
}

/** Whether the record's signature is valid under the public key it carries (trust is checked apart). */
export function signatureValid(r: AuditRecord): boolean {
  try {
    const key = publicKeyFromRaw(r.signer.publicKey);
    if (keyIdOf(key) !== r.signer.keyId) return false;
    return verifyCanonical([key], signedPayload(r.hash), r.signature);
  } catch {
    return false;
  }
}
