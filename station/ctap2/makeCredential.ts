// authenticatorMakeCredential (CTAP 2.1 §6.1): pure request builder and reply parser, and the WebAuthn
// attestationObject built from the reply without touching authData or attStmt.
import { type CborMap, type CborValue, encodeCanonical } from "../cbor.js";
import type { CallOptions } from "../ctaphid/device.js";
import { type Ctap2, Ctap2Command } from "./ctap2.js";
import { CtapProtocolError } from "./errors.js";
import { ReplyFields } from "./replyFields.js";

export interface CredentialDescriptor {
  id: Uint8Array;
  type: "public-key";
}

export interface MakeCredentialParams {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  pubKeyCredParams: { alg: number; type: "public-key" }[];
  excludeList?: CredentialDescriptor[];
  extensions?: { credProtect?: 1 | 2 | 3; hmacSecret?: boolean };
  /** Tri-state: an undefined option is omitted and the key's default applies. */
  options?: { rk?: boolean; up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
  /** 1 vendor-facilitated, 2 platform-managed (CTAP 2.1 §7.1); only to a key whose getInfo lists "ep". */
  enterpriseAttestation?: 1 | 2;
}

export function descriptor(d: CredentialDescriptor): Map<string, CborValue> {
  return new Map<string, CborValue>([
    ["id", d.id],
    ["type", d.type],
  ]);
}

function optionsMap(o: Record<string, boolean | undefined> | undefined): Map<string, CborValue> | undefined {
  if (o === undefined) return undefined;
  const m = new Map<string, CborValue>();
  for (const [k, v] of Object.entries(o)) if (v !== undefined) m.set(k, v);
  return m.size === 0 ? undefined : m;
}

export function encodeMakeCredential(p: MakeCredentialParams): Map<number, CborValue | undefined> {
  const ext = new Map<string, CborValue>();
  if (p.extensions?.credProtect !== undefined) ext.set("credProtect", p.extensions.credProtect);
  if (p.extensions?.hmacSecret !== undefined) ext.set("hmac-secret", p.extensions.hmacSecret);
  return new Map<number, CborValue | undefined>([
    [0x01, p.clientDataHash],
    [0x02, { id: p.rp.id, name: p.rp.name }],
    [0x03, { id: p.user.id, name: p.user.name, displayName: p.user.displayName }],
    [0x04, p.pubKeyCredParams.map((c) => ({ alg: c.alg, type: c.type }))],
    // An empty list is left out: some keys reject an empty array.
    [0x05, p.excludeList?.length ? p.excludeList.map(descriptor) : undefined],
    [0x06, ext.size ? ext : undefined],
    [0x07, optionsMap(p.options)],
    [0x08, p.pinUvAuthParam],
    [0x09, p.pinUvAuthProtocol],
    [0x0a, p.enterpriseAttestation],
  ]);
}

export interface MakeCredentialResult {
  fmt: string;
  authData: Uint8Array;
  attStmt: CborMap;
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
}

export function parseMakeCredential(reply: CborMap): MakeCredentialResult {
  const f = new ReplyFields(reply, "makeCredential");
  const out: MakeCredentialResult = {
    fmt: f.text(0x01, "fmt"),
    authData: f.bytes(0x02, "authData"),
    attStmt: f.map_(0x03, "attStmt").map,
  };
  if (out.authData.length < 37)
    throw new CtapProtocolError("makeCredential authData is shorter than 37 bytes");
  const ep = f.bool(0x04, "epAtt", "optional");
  if (ep !== undefined) out.epAtt = ep;
  const lbk = f.bytes(0x05, "largeBlobKey", "optional");
  if (lbk !== undefined) out.largeBlobKey = lbk;
  return out;
}

/**
 * The WebAuthn attestationObject {fmt, attStmt, authData}. The reply was decoded strictly canonical, so
 * re-encoding attStmt reproduces the key's bytes exactly; authData is carried as the key sent it.
 */
export function attestationObject(r: MakeCredentialResult): Uint8Array {
  return encodeCanonical(
    new Map<string, CborValue>([
      ["fmt", r.fmt],
      ["attStmt", r.attStmt],
      ["authData", r.authData],
    ]),
  );
}

export async function makeCredential(
  ctap: Ctap2,
  params: MakeCredentialParams,
  opts?: CallOptions,
): Promise<MakeCredentialResult> {
  return parseMakeCredential(
    await ctap.sendExpectingMap(Ctap2Command.MAKE_CREDENTIAL, encodeMakeCredential(params), opts),
  );
}
